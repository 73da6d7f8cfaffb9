"""Argument parsing and dispatch for ``qbo-sync``; failures become one line and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qbo_sync._version import __version__
from qbo_sync.cli._errors import CLIError
from qbo_sync.cli._options import add_common_options

__all__ = ["main"]

#: Upper bounds for ``demo`` (2,000 customers and 8,000 invoices take about 20 s of wall time).
MAX_CUSTOMERS = 5_000
MAX_INVOICES = 20_000


def _count(low: int, high: int, *, what: str = "whole number") -> Callable[[str], int]:
    """An argparse ``type`` accepting whole numbers in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The ``qbo-sync`` argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="qbo-sync",
        description=(
            "qbo_sync command line: a self-contained demo, the fake QuickBooks Online, and "
            "commands to connect and sync a real company (docs/cli.md)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"qbo-sync {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the whole library end to end, offline, on the bundled fake QBO",
        description=(
            "Run the flows a product builds, through SyncEngine: connect a fake company "
            "through OAuth, load a sample book into the product's table, map accounts, "
            "push everything (one failure is deliberate), mark an invoice paid from a "
            "QuickBooks payment and its webhook, void an invoice, pull, refresh the tokens, "
            "and print the run history and the health score. Run it again on the same --db: "
            "every record is skipped and nothing is written. Offline, on a virtual clock."
        ),
    )
    demo.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help="SQLite file to use, kept with PATH.secrets.json and PATH.fake-qbo.json beside it "
        "(default: qbo-sync-demo.sqlite3 in the working directory)",
    )
    demo.add_argument(
        "--customers",
        type=_count(2, MAX_CUSTOMERS),
        default=25,
        metavar="N",
        help=f"customers in a new sample book (2 to {MAX_CUSTOMERS:,}, default 25)",
    )
    demo.add_argument(
        "--invoices",
        type=_count(3, MAX_INVOICES),
        default=40,
        metavar="N",
        help=f"invoices in a new sample book (3 to {MAX_INVOICES:,}, default 40); items, "
        "payments and credit memos follow",
    )
    demo.add_argument("--json", action="store_true", help="print one JSON summary instead of lines")

    serve = commands.add_parser(
        "fake-server",
        help="serve the fake QuickBooks Online over HTTP (needs the [server] extra)",
        description=(
            "Serve a FakeQBO over HTTP until interrupted (python -m qbo_sync.testing serve). "
            "Prints the base URL, a realm id and a bearer token of the fake."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_count(0, 65535, what="port number"),
        default=8765,
        help="port (default 8765)",
    )
    serve.add_argument("--company-name", default="Fake Company", help="the first company's name")
    serve.add_argument("--no-limits", action="store_true", help="turn off QBO's per-realm limits")
    serve.add_argument("--client-id", default=None,
                       help="register an OAuth app with this id (for qbo-sync connect)")
    serve.add_argument("--client-secret", default=None, help="... and this client secret")
    serve.add_argument("--redirect-uri", action="append", default=[], metavar="URI",
                       help="... and this redirect URI (repeat for more)")
    _add_company_commands(commands)
    return parser


def _add_company_commands(commands: Any) -> None:
    """The commands that work on a real company (or a fake served by fake-server)."""
    def command(name: str, help_: str, description: str, *, realm: bool = True,
                json: bool = False) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(name, help=help_,
                                                           description=description)
        add_common_options(sub, realm=realm)
        if json:
            sub.add_argument("--json", action="store_true", help="print JSON instead of lines")
        return sub

    connect = command(
        "connect", "connect a QuickBooks company (browser sign-in; tokens stored encrypted)",
        "Open Intuit's sign-in page in the browser, wait for the callback on the redirect URI "
        "(QUICKBOOKS_REDIRECT_URI, http://localhost:PORT/PATH) and store the tokens, "
        "encrypted with QUICKBOOKS_TOKEN_ENCRYPTION_KEY. The app's keys come from "
        "QUICKBOOKS_CLIENT_ID, QUICKBOOKS_CLIENT_SECRET and QUICKBOOKS_ENVIRONMENT.",
    )
    connect.add_argument("--no-browser", action="store_true",
                         help="do not open a browser; only print the address to open")
    connect.add_argument("--timeout", type=_count(1, 3600, what="number of seconds"),
                         default=300, metavar="SECONDS",
                         help="how long to wait for the sign-in (default 300)")
    connect.add_argument("--tenant", default=None,
                         help="the product tenant the company belongs to (default: none)")
    connect.add_argument("--allow-realm-change", action="store_true",
                         help="replace the connected company with the one chosen "
                         "(the old one is disconnected; its links and history stay)")

    command("status", "show the connection, token expiries, account mapping and links",
            "Show each connected company (or --realm): state, token expiry times (never the "
            "tokens), account mapping, linked records and the last run. Reads the database "
            "only; exits 3 when nothing usable is connected.", json=True)
    command("test-connection", "check the connection with one read-only QuickBooks call",
            "Read CompanyInfo once with the stored tokens (refreshed first when needed).")

    mapping = command(
        "map-accounts", "show or save the accounts invoices and expenses are posted to",
        "Invoices and items need an income account and the accounts-receivable account; "
        "expenses an expense account, and the bank or credit card account they were paid "
        "from (purchases) or accounts payable (bills). Without options, show the mapping "
        "and QuickBooks' suggestions (one query).",
    )
    mapping.add_argument("--suggested", action="store_true",
                         help="save QuickBooks' suggested accounts")
    mapping.add_argument("--income", default=None, metavar="ID", help="the income account id")
    mapping.add_argument("--accounts-receivable", default=None, metavar="ID",
                         help="the accounts-receivable account id")
    mapping.add_argument("--expense", default=None, metavar="ID",
                         help="the expense account id")
    mapping.add_argument("--bank", default=None, metavar="ID", help="the bank account id")
    mapping.add_argument("--credit-card", default=None, metavar="ID",
                         help="the credit card account id")
    mapping.add_argument("--accounts-payable", default=None, metavar="ID",
                         help="the accounts-payable account id")

    configure = command(
        "configure", "show or save expense, tax and tax-code choices for the company",
        "Show the company-level choices (what expenses are written as, whether prices "
        "include tax outside the US, whether QuickBooks computes US sales tax), the product's "
        "tax codes mapped to QuickBooks TaxCodes, and the company's tax codes with their "
        "rates (two queries). Options save a choice; the others are kept.",
    )
    configure.add_argument("--expense-entity", choices=("Purchase", "Bill"), default=None,
                           help="write new expenses as purchases (paid) or bills (owed)")
    configure.add_argument("--tax-calculation", choices=("TaxExcluded", "TaxInclusive"),
                           default=None,
                           help="outside the US: whether the product's amounts include tax")
    configure.add_argument("--automated-sales-tax", choices=("yes", "no"), default=None,
                           help="US: whether QuickBooks computes sales tax itself "
                           "(default: read from the company's preferences)")
    configure.add_argument("--tax-code", action="append", default=[], metavar="LOCAL=ID",
                           help="map a product tax code to a QuickBooks TaxCode id "
                           "(repeat for more)")

    sync = command(
        "sync", "push a records file to QuickBooks and pull its changes as JSON lines",
        "Push the records of --records FILE (JSON: entity name -> list of records), then "
        "pull what changed in QuickBooks since the last pull and write it as JSON lines "
        "(stdout, or --output FILE). Unchanged records are skipped without a request.",
        json=True,
    )
    _add_records(sync, required=False)
    sync.add_argument("--entity", action="append", type=_entity, default=[], metavar="E",
                      help="only this entity: Item, Customer, Invoice, CreditMemo, Payment "
                      "(repeat for more)")
    sync.add_argument("--direction", choices=("push", "pull", "both"), default="both",
                      help="push the records file, pull changes, or both (default; push first, "
                      "and only with --records)")
    sync.add_argument("--dry-run", action="store_true",
                      help="plan the push: the outcome of each record, nothing written, no pull")
    sync.add_argument("--output", default=None, metavar="FILE",
                      help="write pulled changes here instead of stdout (replaced)")

    retry = command("retry-failed", "push again the records whose last push failed",
                    "Push again the records of --records FILE whose last push failed "
                    "(fix the cause first: map accounts, rename, ...).", json=True)
    _add_records(retry, required=True)

    history = command("history", "show the run history, newest first",
                      "Show the sync runs of the company: type, direction, counts, requests, "
                      "duration and status.", json=True)
    history.add_argument("--limit", type=_count(1, 10_000), default=20, metavar="N",
                         help="how many runs (default 20)")
    history.add_argument("--failures", action="store_true",
                         help="list each run's failed records with reason and intuit_tid")

    command("health", "show the health score and the dashboard figures",
            "The health score (five tiers, dots, reasons with actions) and per-entity "
            "synced / pending / failed counts, read from the database.", json=True)

    disconnect = command(
        "disconnect", "revoke the tokens and disconnect (optionally voiding synced invoices)",
        "Revoke the grant at Intuit and delete the tokens; links and history stay, so a "
        "later connect resumes. --void-invoices first voids in QuickBooks every invoice the "
        "product pushed.",
    )
    disconnect.add_argument("--void-invoices", action="store_true",
                            help="void every synced invoice in QuickBooks first")
    disconnect.add_argument("--yes", action="store_true",
                            help="do not ask to confirm --void-invoices")


def _add_records(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--records", required=required, default=None, metavar="FILE",
                        help="JSON file of the product's records to push ('-': stdin); "
                        "see docs/cli.md")


def _entity(text: str) -> str:
    from qbo_sync.cli._records import entity_name  # noqa: PLC0415

    try:
        return entity_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fail(message: str, code: int, hint: str | None = None) -> int:
    # One line, whatever the message holds: scripts grep it, people read it.
    text = " ".join(message.split())
    sys.stderr.write(f"qbo-sync: error: {text}\n")
    if hint:
        sys.stderr.write(f"qbo-sync: hint: {' '.join(hint.split())}\n")
    sys.stderr.flush()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qbo-sync`` with ``argv`` (default: ``sys.argv[1:]``).

    Args:
        argv: The arguments after the program name.

    Returns:
        The exit status: 0 on success, 1 when a command failed, 2 for bad
        usage or configuration (argparse also exits with 2, through
        ``SystemExit``), 3 when no company is connected or it must be
        reconnected, 4 for a temporary failure (retry later), 130 when
        interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command == "demo":
            from qbo_sync.cli._demo import DemoOptions, run_demo  # noqa: PLC0415 - keep --help fast

            return run_demo(
                DemoOptions(
                    db=args.db,
                    customers=args.customers,
                    invoices=args.invoices,
                    json=args.json,
                ),
                out=sys.stdout,
            )
        if args.command == "fake-server":
            from qbo_sync.cli._serve import serve  # noqa: PLC0415 - keep --help fast

            return serve(
                host=args.host,
                port=args.port,
                company_name=args.company_name,
                limits=not args.no_limits,
                client_id=args.client_id,
                client_secret=args.client_secret,
                redirect_uris=args.redirect_uri,
            )
        return _company_command(args)
    except CLIError as exc:
        return _fail(str(exc), exc.exit_code, exc.hint)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # the command line reports in one line; it never traces back
        from qbo_sync.errors import QBOError  # noqa: PLC0415

        if isinstance(exc, QBOError) and args.command not in ("demo", "fake-server"):
            from qbo_sync.cli._errors import explain  # noqa: PLC0415

            failure = explain(exc)
            return _fail(str(failure), failure.exit_code, failure.hint)
        return _fail(f"{type(exc).__name__}: {exc}", 1)


def _company_command(args: argparse.Namespace) -> int:
    """Run one of the real-company commands."""
    from qbo_sync.cli import _commands as run  # noqa: PLC0415 - keep --help fast

    out, err = sys.stdout, sys.stderr
    if args.command == "connect":
        from qbo_sync.cli._connect import run_connect  # noqa: PLC0415

        return run_connect(args, out=out, err=err)
    if args.command == "status":
        return run.run_status(args, out=out)
    if args.command == "test-connection":
        return run.run_test_connection(args, out=out)
    if args.command == "map-accounts":
        return run.run_map_accounts(args, out=out)
    if args.command == "configure":
        return run.run_configure(args, out=out)
    if args.command == "sync":
        return run.run_sync(args, out=out, err=err)
    if args.command == "retry-failed":
        return run.run_retry_failed(args, out=out, err=err)
    if args.command == "history":
        return run.run_history(args, out=out)
    if args.command == "health":
        return run.run_health(args, out=out)
    return run.run_disconnect(args, out=out, err=err)
