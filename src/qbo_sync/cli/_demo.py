"""``qbo-sync demo``: the library end to end on the embedded default, offline.

Everything runs in this process: the bundled fake QBO is reached through its
in-process transport, and one :class:`~qbo_sync.testing.FakeClock` drives the
fake, the OAuth manager, the pacer, retries and the store, so pacing and
token lifetimes cost virtual time, never wall time.

Secrets made for the run (the fake app's client secret, the webhook verifier
token, the token encryption key) are random, live only in memory and are
never printed; tokens are only ever reported by their storage version.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

import attrs

from qbo_sync._json import dumps
from qbo_sync._version import __version__
from qbo_sync.cli._errors import CLIError
from qbo_sync.cli._render import MORE, label
from qbo_sync.cli._steps import DemoSteps
from qbo_sync.storage import SQLiteStore, TokenCipher
from qbo_sync.testing import FakeClock, FakeQBO

__all__ = ["DemoOptions", "build_fake", "resolve_db", "run_demo"]

DB_NAME = "qbo-sync-demo.sqlite3"


@attrs.frozen(kw_only=True)
class DemoOptions:
    """What ``qbo-sync demo`` was asked to do.

    Attributes:
        db: The SQLite file; ``None`` makes a new temporary directory.
        customers: Customers to create by batch (at least 2).
        invoices: Invoices to create (at least 3: one is paid, one credited,
            one voided).
        json: Print one JSON summary instead of lines.
    """

    db: Path | None = None
    customers: int = 25
    invoices: int = 10
    json: bool = False


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
    if path is None:
        return Path(tempfile.mkdtemp(prefix="qbo-sync-demo-")) / DB_NAME
    path = path.expanduser()
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


def _printer(out: TextIO, *, quiet: bool) -> Callable[[str], None]:
    def say(line: str) -> None:
        if not quiet:
            out.write(line + "\n")
            out.flush()

    return say


def run_demo(options: DemoOptions, *, out: TextIO) -> int:
    """Run the demo and print its lines (or its JSON summary) to ``out``.

    Args:
        options: What to run.
        out: Where to print.

    Returns:
        0 (failures raise).

    Raises:
        CLIError: For a ``--db`` that cannot be used.
        qbo_sync.errors.QBOError: When a step fails.
    """
    wall = time.perf_counter()
    db = resolve_db(options.db)
    say = _printer(out, quiet=options.json)
    clock = FakeClock(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    fake = build_fake(clock=clock, verifier_token=secrets.token_urlsafe(24))
    key = TokenCipher.generate_key()
    store = SQLiteStore(
        db,
        encryption=TokenCipher([key]),
        clock=clock.now,
        sleep=clock.sleep,
    )
    say("qbo-sync demo: offline, bundled fake QuickBooks Online, virtual clock")
    say(label("database") + str(db))
    say(MORE + "SQLiteStore; tokens encrypted at rest with a throw-away key")
    steps = DemoSteps(
        fake=fake,
        clock=clock,
        store=store,
        encryption_key=key,
        customers=options.customers,
        invoices=options.invoices,
        say=say,
    )
    try:
        summary: dict[str, Any] = {
            "version": __version__,
            "db": str(db),
            "db_temporary": options.db is None,
        }
        summary.update(steps.run())
    finally:
        steps.close()
        store.close()
    elapsed = time.perf_counter() - wall
    summary["elapsed_seconds"] = round(elapsed, 3)
    summary["virtual_seconds"] = round(clock.elapsed, 3)
    if options.json:
        out.write(dumps(summary).decode("utf-8") + "\n")
        out.flush()
    else:
        requests: Mapping[str, int] = summary["requests"]
        say(
            label("done") + f"{elapsed:.2f} s wall, {clock.elapsed:.1f} s virtual; "
            f"{requests['api']} API and {requests['oauth']} OAuth requests to the fake"
        )
        say(label("database") + f"kept at {db}")
        if options.db is None:
            say(MORE + f"a temporary folder: delete {db.parent} when done, or pass --db PATH")
        say(MORE + f"look inside: sqlite3 {db} .tables")
    return 0
