"""Argument parsing and dispatch for ``qbo-sync``; failures become one line and an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from qbo_sync._version import __version__
from qbo_sync.cli._errors import CLIError

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
        description="qbo_sync command line: a self-contained demo and the fake QuickBooks Online.",
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
        "(default: a new temporary directory, printed)",
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
    return parser


def _fail(message: str, code: int) -> int:
    # One line, whatever the message holds: scripts grep it, people read it.
    text = " ".join(message.split())
    sys.stderr.write(f"qbo-sync: error: {text}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qbo-sync`` with ``argv`` (default: ``sys.argv[1:]``).

    Args:
        argv: The arguments after the program name.

    Returns:
        The exit status: 0 on success, 1 when a command failed, 2 for bad
        usage (argparse also exits with 2, through ``SystemExit``).
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
        from qbo_sync.cli._serve import serve  # noqa: PLC0415 - keep --help fast

        return serve(
            host=args.host,
            port=args.port,
            company_name=args.company_name,
            limits=not args.no_limits,
        )
    except CLIError as exc:
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # the command line reports in one line; it never traces back
        return _fail(f"{type(exc).__name__}: {exc}", 1)
