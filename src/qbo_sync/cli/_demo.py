"""``qbo-sync demo``: the flows a product builds, end to end on the embedded default, offline.

Everything runs in this process: the bundled fake QBO is reached through its
in-process transport, and one :class:`~qbo_sync.testing.FakeClock` drives the
fake, the OAuth manager, the pacer, retries and the store, so pacing and
token lifetimes cost virtual time, never wall time.

Three files, side by side:

- ``PATH`` (``--db``): the SQLite file. qbo_sync's tables (``SQLiteStore``:
  connection, encrypted tokens, links, cursors, settings, run history) and
  the demo product's own tables (``demo_records`` ...; see ``_product``).
- ``PATH.secrets.json`` (mode 0600): the token encryption key, the fake
  app's client secret and the webhook verifier token. Made on the first run,
  read by the next ones, never printed.
- ``PATH.fake-qbo.json`` (mode 0600): the fake QBO's state
  (:meth:`~qbo_sync.testing.FakeQBO.save_state`), saved at the end of a run
  and loaded by the next, so the company, its objects and the tokens survive.
  Its SHA-256 is kept in ``demo_meta``; a run that did not finish leaves none,
  and the next run starts over with a new company and a new book.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import attrs

from qbo_sync._json import dumps
from qbo_sync._version import __version__
from qbo_sync.cli._errors import CLIError
from qbo_sync.cli._product import ProductDB
from qbo_sync.cli._progress import PushProgress
from qbo_sync.cli._render import MORE, label, plural
from qbo_sync.cli._steps import BookSize, Company, DemoSteps
from qbo_sync.errors import ConfigurationError, EncryptionKeyError, StorageError
from qbo_sync.storage import SQLiteStore, TokenCipher
from qbo_sync.testing import FakeClock, FakeQBO

__all__ = ["DemoFiles", "DemoOptions", "build_fake", "resolve_db", "run_demo"]

DB_NAME = "qbo-sync-demo.sqlite3"


@attrs.frozen(kw_only=True)
class DemoOptions:
    """What ``qbo-sync demo`` was asked to do.

    Attributes:
        db: The SQLite file; ``None``: ``qbo-sync-demo.sqlite3`` in the working directory.
        customers: Customers in a new sample book.
        invoices: Invoices in a new sample book (at least 3: one paid in QBO,
            one voided).
        json: Print one JSON summary instead of lines.
    """

    db: Path | None = None
    customers: int = 25
    invoices: int = 40
    json: bool = False


@attrs.frozen(kw_only=True)
class DemoFiles:
    """The demo's files: the database, and the two kept beside it."""

    db: Path
    secrets: Path
    fake_state: Path

    @classmethod
    def beside(cls, db: Path) -> DemoFiles:
        """``db``, ``db.secrets.json`` and ``db.fake-qbo.json``."""
        return cls(db=db, secrets=Path(f"{db}.secrets.json"),
                   fake_state=Path(f"{db}.fake-qbo.json"))


@attrs.frozen(kw_only=True)
class DemoSecrets:
    """What must stay secret and survive between runs (never printed, never in a repr)."""

    token_encryption_key: str = attrs.field(repr=False)
    client_secret: str = attrs.field(repr=False)
    webhook_verifier_token: str = attrs.field(repr=False)


def build_fake(*, clock: FakeClock, verifier_token: str) -> FakeQBO:
    """The fake QBO the demo runs against (a seam: tests wrap it to see its tokens)."""
    return FakeQBO(clock=clock, verifier_token=verifier_token)


def resolve_db(path: Path | None) -> Path:
    """The SQLite file to use, checked before anything is written.

    ``SQLiteStore`` would create missing folders; the demo refuses them
    instead, so a mistyped ``--db`` is reported rather than silently made.

    Raises:
        CLIError: (exit code 2) when the folder is missing, not a folder or
            not writable, or the path is a folder.
    """
    # Default: the working directory's file, so running the demo again there
    # finds the book it pushed and shows a second run that writes nothing.
    path = Path(DB_NAME) if path is None else path.expanduser()
    folder = path.parent if str(path.parent) else Path()
    if path.is_dir():
        raise CLIError(f"--db {path}: is a directory; give a file path", exit_code=2)
    if not folder.exists():
        raise CLIError(f"--db {path}: directory {folder} does not exist", exit_code=2)
    if not folder.is_dir():
        raise CLIError(f"--db {path}: {folder} is not a directory", exit_code=2)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CLIError(f"--db {path}: directory {folder} is not writable", exit_code=2)
    return path.resolve()


def load_secrets(files: DemoFiles) -> tuple[DemoSecrets, bool]:
    """Read the secrets file beside the database, or make it (mode 0600).

    Returns:
        The secrets, and whether the file was made now.

    Raises:
        CLIError: (exit code 2) The file exists but is not a secrets file.
    """
    path = files.secrets
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found = DemoSecrets(
                token_encryption_key=str(data["token_encryption_key"]),
                client_secret=str(data["client_secret"]),
                webhook_verifier_token=str(data["webhook_verifier_token"]),
            )
            TokenCipher([found.token_encryption_key])
        except (OSError, ValueError, KeyError, TypeError, ConfigurationError):
            raise CLIError(
                f"--db {files.db}: {path} is not a demo secrets file; move it away to start "
                "over (tokens saved under its key can then not be read)",
                exit_code=2,
            ) from None
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        return found, False
    made = DemoSecrets(
        token_encryption_key=TokenCipher.generate_key(),
        client_secret=secrets.token_urlsafe(24),
        webhook_verifier_token=secrets.token_urlsafe(24),
    )
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(attrs.asdict(made), out)
    return made, True


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _earlier_company(
    product: ProductDB, store: SQLiteStore, files: DemoFiles
) -> tuple[Company | None, str | None]:
    """The company of the last complete run, or why there is none to use."""
    meta = product.meta()
    realm_id = meta.get("realm_id")
    if not realm_id:
        return None, "the product has records but no company" if len(product) else None
    if not files.fake_state.is_file():
        return None, f"the fake QBO's state {files.fake_state.name} is missing"
    if meta.get("state_digest") != _digest(files.fake_state):
        return None, "the last run did not finish (the fake QBO's state does not match)"
    try:
        tokens = store.get_tokens(realm_id)
    except EncryptionKeyError:
        return None, f"the saved tokens cannot be read with the key in {files.secrets.name}"
    if tokens is None:
        return None, "the saved company has no tokens"
    return Company(realm_id=realm_id, tenant_id=meta.get("tenant_id", "")), None


def _printer(out: TextIO, *, quiet: bool) -> Callable[[str], None]:
    def say(line: str) -> None:
        if not quiet:
            out.write(line + "\n")
            out.flush()

    return say


def _check_sqlite(db: Path) -> None:
    """Refuse an existing ``db`` that is not a SQLite file, before anything is written."""
    if not db.exists():
        return
    if not db.is_file():
        raise CLIError(f"--db {db}: not a regular file", exit_code=2)
    try:
        with contextlib.closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as conn:
            conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise CLIError(f"--db {db}: not a usable SQLite file ({exc})", exit_code=2) from None


def _open(files: DemoFiles, key: str, clock: FakeClock) -> tuple[SQLiteStore, ProductDB]:
    try:
        store = SQLiteStore(files.db, encryption=TokenCipher([key]), clock=clock.now,
                            sleep=clock.sleep)
    except StorageError as exc:
        cause = exc.__cause__ or exc  # the sqlite3 error, without the path again
        raise CLIError(f"--db {files.db}: not a usable SQLite file ({cause})",
                       exit_code=2) from None
    try:
        product = ProductDB(files.db)
    except sqlite3.DatabaseError as exc:
        store.close()
        raise CLIError(f"--db {files.db}: not a usable SQLite file ({exc})", exit_code=2) from None
    return store, product


def run_demo(options: DemoOptions, *, out: TextIO) -> int:
    """Run the demo and print its lines (or its JSON summary) to ``out``.

    Args:
        options: What to run.
        out: Where to print (push progress redraws one line when it is a terminal).

    Returns:
        0 (failures raise).

    Raises:
        CLIError: For a ``--db`` that cannot be used.
        qbo_sync.errors.QBOError: When a step fails.
    """
    wall = time.perf_counter()
    db = resolve_db(options.db)
    files = DemoFiles.beside(db)
    say = _printer(out, quiet=options.json)
    _check_sqlite(db)
    found, made_secrets = load_secrets(files)
    clock = FakeClock(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    store, product = _open(files, found.token_encryption_key, clock)
    fake = build_fake(clock=clock, verifier_token=found.webhook_verifier_token)
    try:
        company, why_not = _earlier_company(product, store, files)
        runs_before = int(product.meta().get("runs", "0")) if company else 0
        if company is not None:
            try:
                fake.load_state(files.fake_state)
            except ConfigurationError as exc:
                raise CLIError(f"{exc}; delete it to start over") from None
            clock.advance(60)  # the earlier run's last write is in the past
        elif len(product) or product.meta():
            product.reset()
        # Until this run ends, no saved fake state matches the database.
        product.set_meta(state_digest=None)
        virtual_start = clock.elapsed
        say("qbo-sync demo: offline, bundled fake QuickBooks Online, virtual clock")
        run_no = runs_before + 1
        say(label("database") + f"{db} (run {run_no} on this file)")
        say(MORE + "SQLiteStore: connection, tokens (encrypted), links, cursors, runs;")
        say(MORE + "demo_records: the product's own records, in the same file")
        say(MORE + f"{files.secrets.name}: key and app secret, mode 0600, "
            f"{'made now' if made_secrets else 'reused'}, never printed")
        if company is not None:
            say(MORE + f"{files.fake_state.name}: the fake QBO as the last run left it, loaded")
        else:
            if why_not:
                say(MORE + f"starting over with a new company and a new book: {why_not}")
            say(MORE + f"{files.fake_state.name}: the fake QBO, saved at the end for the next run")
        progress = PushProgress(out, indent=MORE, enabled=not options.json)
        steps = DemoSteps(
            fake=fake, clock=clock, store=store, product=product,
            encryption_key=found.token_encryption_key, client_secret=found.client_secret,
            size=BookSize(customers=options.customers, invoices=options.invoices),
            company=company, say=say, progress=progress,
        )
        summary: dict[str, Any] = {
            "version": __version__,
            "db": str(db),
            "files": {"db": str(db), "secrets": str(files.secrets),
                      "fake_state": str(files.fake_state)},
            "run_number": run_no,
            "started_over": why_not,
        }
        try:
            summary.update(steps.run())
        finally:
            steps.close()
        fake.save_state(files.fake_state)
        product.set_meta(realm_id=steps.realm_id, tenant_id=steps.tenant_id,
                         runs=str(run_no), state_digest=_digest(files.fake_state))
    finally:
        product.close()
        store.close()
    counted: Mapping[str, int] = fake.stats.snapshot()["requests"]
    writes = counted.get("write", 0) + counted.get("batch", 0)
    api = sum(n for kind, n in counted.items() if kind not in ("oauth", "other"))
    summary["requests"] = {"api": api, "oauth": counted.get("oauth", 0), "by_kind": dict(counted)}
    summary["write_requests"] = writes
    summary["writes"] = fake.stats.writes
    elapsed = time.perf_counter() - wall
    virtual = clock.elapsed - virtual_start
    summary["elapsed_seconds"] = round(elapsed, 3)
    summary["virtual_seconds"] = round(virtual, 3)
    if options.json:
        out.write(dumps(summary).decode("utf-8") + "\n")
        out.flush()
        return 0
    say(
        label("done") + f"{elapsed:.2f} s wall, {virtual:.1f} s virtual; {api} API requests "
        f"({plural(writes, 'write request')}) and {counted.get('oauth', 0)} OAuth requests"
    )
    say(label("database") + f"kept at {db}")
    if options.db is None:
        say(MORE + "run qbo-sync demo again here: every record is skipped, nothing is written")
    else:
        say(MORE + f"again, on the same file: qbo-sync demo --db {db}")
    say(MORE + f"start over: delete {db.name} and the two {db.name}.* files beside it")
    say(MORE + f"look inside: sqlite3 {db} .tables")
    return 0
