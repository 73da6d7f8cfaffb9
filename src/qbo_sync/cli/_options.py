"""The options every real-company command shares (kept light: ``--help`` imports only this)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["DEFAULT_DB", "add_common_options"]

#: The SQLite file used without ``--db`` or ``--database-url``.
DEFAULT_DB = Path("qbo-sync.sqlite3")


def add_common_options(parser: argparse.ArgumentParser, *, realm: bool = True) -> None:
    """``--db`` / ``--database-url``, ``--realm`` and the hidden fake-QBO options."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--db", type=Path, default=None, metavar="PATH",
        help=f"SQLite file holding the connection, tokens, links and run history "
        f"(default: ./{DEFAULT_DB})",
    )
    where.add_argument(
        "--database-url", default=None, metavar="URL",
        help="a SQLAlchemy URL instead of --db, e.g. postgresql+psycopg://user@host/db "
        "(needs the [postgres] or [sqlalchemy] extra)",
    )
    if realm:
        parser.add_argument(
            "--realm", default=None, metavar="ID",
            help="the QuickBooks company (realm id); default: the only connected one",
        )
    # A fake QBO served over HTTP (qbo-sync fake-server): never needed for Intuit.
    parser.add_argument("--api-base-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--oauth-base-url", default=None, help=argparse.SUPPRESS)
