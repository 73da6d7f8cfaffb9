"""What every real-company command needs: the store, the company, the OAuth manager.

The commands share three choices, each from an option:

- **Storage**: ``--db PATH`` (``SQLiteStore``, default ``./qbo-sync.sqlite3``)
  or ``--database-url URL`` (``SQLAlchemyStore``). Tokens are encrypted with
  ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY``. Only ``connect`` creates a SQLite file;
  the other commands refuse a missing one (nothing can be connected there).
- **Company**: ``--realm ID``, or the only connected company in the store.
- **QuickBooks**: Intuit's hosts for ``QUICKBOOKS_ENVIRONMENT``, or a fake
  (``--api-base-url`` / ``--oauth-base-url``, hidden from ``--help``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from qbo_sync.auth import IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.cli._errors import (
    EXIT_NOT_CONNECTED,
    EXIT_USAGE,
    HINT_CONNECT,
    HINT_RECONNECT,
    CLIError,
    explain,
)
from qbo_sync.cli._options import DEFAULT_DB
from qbo_sync.errors import ConfigurationError, QBOError
from qbo_sync.storage import Connection, ConnectionStatus, SQLiteStore, Store

__all__ = ["Company", "library_errors", "oauth_manager", "open_store", "pick", "ready", "safe_url"]

def safe_url(url: str) -> str:
    """A database URL with its password masked (for messages)."""
    try:
        import sqlalchemy as sa  # noqa: PLC0415 - optional

        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split(":", 1)[0] + "://..." if "://" in url else "(not a URL)"


def _check_sqlite(db: Path, *, create: bool) -> Path:
    """Refuse a ``--db`` that cannot be used, before anything is written."""
    db = db.expanduser()
    if db.is_dir():
        raise CLIError(f"--db {db}: is a directory; give a file path", exit_code=EXIT_USAGE)
    if not db.exists():
        if not create:
            raise CLIError(
                f"no database at {db}: no QuickBooks company is connected there",
                exit_code=EXIT_NOT_CONNECTED,
                hint=f"{HINT_CONNECT} (or pass the --db / --database-url it was connected with)",
            )
        folder = db.parent if str(db.parent) else Path()
        if not folder.is_dir():
            raise CLIError(f"--db {db}: directory {folder} does not exist", exit_code=EXIT_USAGE)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CLIError(f"--db {db}: directory {folder} is not writable", exit_code=EXIT_USAGE)
        return db
    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro",
                                                uri=True)) as conn:
            conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise CLIError(f"--db {db}: not a usable SQLite file ({exc})",
                       exit_code=EXIT_USAGE) from None
    return db


def open_store(args: argparse.Namespace, *, create: bool = False) -> Store:
    """The store the options name.

    Args:
        args: Parsed options with ``db`` and ``database_url``.
        create: Whether a missing SQLite file may be created (``connect``).

    Raises:
        CLIError: The database cannot be used (exit 2), or there is none (exit 3).
    """
    url: str | None = args.database_url
    if url is not None:
        return _open_url(url)
    db = _check_sqlite(args.db if args.db is not None else DEFAULT_DB, create=create)
    try:
        return SQLiteStore(db)
    except ConfigurationError as exc:  # a malformed QUICKBOOKS_TOKEN_ENCRYPTION_KEY
        raise CLIError(str(exc), exit_code=EXIT_USAGE) from None
    except QBOError as exc:
        cause = exc.__cause__ or exc
        raise CLIError(f"--db {db}: not a usable SQLite file ({cause})",
                       exit_code=EXIT_USAGE) from None


def _open_url(url: str) -> Store:
    shown = safe_url(url)
    try:
        import sqlalchemy  # noqa: F401, PLC0415 - optional extra, checked first
    except ImportError:
        raise CLIError("--database-url needs SQLAlchemy: pip install 'qbo-sync[sqlalchemy]' "
                       "(or [postgres])", exit_code=EXIT_USAGE) from None
    from sqlalchemy import exc as sa_exc  # noqa: PLC0415

    from qbo_sync.storage import SQLAlchemyStore  # noqa: PLC0415 - loads SQLAlchemy

    try:
        return SQLAlchemyStore(url)
    except sa_exc.NoSuchModuleError:
        raise CLIError(f"--database-url {shown}: SQLAlchemy has no such database dialect",
                       exit_code=EXIT_USAGE) from None
    except sa_exc.ArgumentError:
        # SQLAlchemy's text may quote the URL, password included: say it in our words.
        raise CLIError(
            f"--database-url {shown}: not a SQLAlchemy URL "
            "(dialect+driver://user:password@host/database)", exit_code=EXIT_USAGE,
        ) from None
    except ImportError as exc:
        raise CLIError(
            f"--database-url {shown}: its database driver is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'qbo-sync[postgres]'", exit_code=EXIT_USAGE,
        ) from None
    except QBOError as exc:
        # StorageError quotes the driver's first line only (never parameters).
        raise CLIError(f"--database-url {shown}: {exc}", exit_code=EXIT_USAGE) from None


@attrs.frozen
class Company:
    """The company a command works on."""

    realm_id: str
    connection: Connection

    @property
    def name(self) -> str:
        """``"Acme Ltd (realm 9130...)"``."""
        if self.connection.company_name:
            return f"{self.connection.company_name} (realm {self.realm_id})"
        return f"realm {self.realm_id}"


def pick(store: Store, realm: str | None, *, connected: bool = True) -> Company:
    """The company ``--realm`` names, or the only connected one.

    Args:
        store: Where connections are.
        realm: ``--realm``.
        connected: Refuse a company that is disconnected or needs reconnecting
            (the commands that call QuickBooks).

    Raises:
        CLIError: None connected (exit 3, hint to connect), several and no
            ``--realm`` (exit 2), or not usable as asked (exit 3).
    """
    if realm is not None:
        found = store.get_connection(realm)
        if found is None:
            known = ", ".join(c.realm_id for c in store.list_connections()) or "none"
            raise CLIError(f"company {realm} is not in this database (companies here: {known})",
                           exit_code=EXIT_NOT_CONNECTED, hint=HINT_CONNECT)
        company = Company(realm, found)
    else:
        every = store.list_connections()
        live = [c for c in every if c.status is not ConnectionStatus.DISCONNECTED]
        if len(live) > 1:
            names = ", ".join(Company(c.realm_id, c).name for c in live)
            raise CLIError(f"{len(live)} companies are connected: {names}",
                           exit_code=EXIT_USAGE, hint="choose one with --realm ID")
        if live:
            company = Company(live[0].realm_id, live[0])
        elif not connected and len(every) == 1:
            company = Company(every[0].realm_id, every[0])
        else:
            gone = f" ({len(every)} disconnected)" if every else ""
            raise CLIError(f"no QuickBooks company is connected{gone}",
                           exit_code=EXIT_NOT_CONNECTED, hint=HINT_CONNECT)
    if connected:
        refuse_unusable(company)
    return company


def refuse_unusable(company: Company) -> None:
    """Raise the not-connected error for a disconnected or needs-reauthorization company."""
    status = company.connection.status
    if status is ConnectionStatus.DISCONNECTED:
        raise CLIError(f"{company.name} was disconnected"
                       + (f" ({company.connection.status_reason})"
                          if company.connection.status_reason else ""),
                       exit_code=EXIT_NOT_CONNECTED, hint=HINT_CONNECT)
    if status is ConnectionStatus.NEEDS_REAUTHORIZATION:
        reason = company.connection.status_reason or "the refresh token was refused"
        raise CLIError(f"{company.name} needs reauthorization ({reason})",
                       exit_code=EXIT_NOT_CONNECTED, hint=HINT_RECONNECT)


def ready(oauth: OAuthManager, company: Company) -> None:
    """Refuse, before any request, a company whose tokens are gone, expired or refused.

    Reading the connection's state also decrypts the tokens, so a wrong
    ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY`` is reported here, once.
    """
    from qbo_sync.auth import ConnectionState  # noqa: PLC0415

    with library_errors():
        info = oauth.connection_info(company.realm_id)
    if info.state is ConnectionState.NEEDS_REAUTHORIZATION:
        raise CLIError(f"{company.name} needs reauthorization"
                       + (f" ({info.reason})" if info.reason else ""),
                       exit_code=EXIT_NOT_CONNECTED, hint=HINT_RECONNECT)
    if info.state is ConnectionState.DISCONNECTED:
        raise CLIError(f"{company.name} is not connected"
                       + (f" ({info.reason})" if info.reason else ""),
                       exit_code=EXIT_NOT_CONNECTED, hint=HINT_CONNECT)


def oauth_config() -> OAuthConfig:
    """``OAuthConfig.from_env()``; a problem becomes one line listing every variable at fault."""
    try:
        return OAuthConfig.from_env()
    except ConfigurationError as exc:
        raise CLIError(
            str(exc), exit_code=EXIT_USAGE,
            hint="set QUICKBOOKS_CLIENT_ID, QUICKBOOKS_CLIENT_SECRET, QUICKBOOKS_REDIRECT_URI, "
            "QUICKBOOKS_ENVIRONMENT (sandbox or production) and QUICKBOOKS_TOKEN_ENCRYPTION_KEY",
        ) from None


def oauth_manager(store: Store, args: argparse.Namespace,
                  company: Company | None = None) -> OAuthManager:
    """The OAuth manager for the app in ``QUICKBOOKS_*`` (and the fake's hosts, if given).

    Raises:
        CLIError: A configuration problem, or a company connected in another
            environment than ``QUICKBOOKS_ENVIRONMENT`` (exit 2).
    """
    config = oauth_config()
    if company is not None and company.connection.environment is not config.environment:
        raise CLIError(
            f"{company.name} was connected in {company.connection.environment.value}, but "
            f"QUICKBOOKS_ENVIRONMENT is {config.environment.value}", exit_code=EXIT_USAGE,
            hint="set QUICKBOOKS_ENVIRONMENT (and the app's keys) to the environment it was "
            "connected in",
        )
    options: dict[str, Any] = {}
    if args.oauth_base_url:
        options["endpoints"] = IntuitEndpoints.for_base_url(args.oauth_base_url)
    if args.api_base_url:
        options["api_base_url"] = args.api_base_url
    return OAuthManager(store=store, config=config, **options)


@contextlib.contextmanager
def library_errors() -> Iterator[None]:
    """Turn a library error into the CLI's message, hint and exit status."""
    try:
        yield
    except QBOError as exc:
        raise explain(exc) from None
