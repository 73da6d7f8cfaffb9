"""``python -m qbo_sync.testing serve --port N``: run a FakeQBO over HTTP.

Prints the base URL, a realm id and a bearer token for it, then serves until
interrupted. The tokens are the fake's own (they open nothing real).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qbo_sync.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a fake QuickBooks Online over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (0: a free one)")
    serve.add_argument("--company-name", default="Fake Company", help="the first company's name")
    serve.add_argument("--realm-id", default=None, help="the first company's realm id")
    serve.add_argument("--no-limits", action="store_true", help="turn off the per-realm limits")
    serve.add_argument("--client-id", default=None, help="register an OAuth app with this id")
    serve.add_argument("--client-secret", default=None, help="... and this secret")
    serve.add_argument(
        "--redirect-uri", action="append", default=[], help="... and this redirect URI (repeat)"
    )
    serve.add_argument("--verifier-token", default=None, help="webhook verifier token")
    serve.add_argument(
        "--webhook-url", action="append", default=[], help="POST webhooks here (repeat)"
    )
    serve.add_argument("--webhook-format", choices=["legacy", "cloudevents"], default="legacy")
    serve.add_argument("--log-level", default="info")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        import uvicorn  # noqa: PLC0415 - optional [server] extra
    except ImportError:
        sys.stderr.write("serving needs uvicorn: pip install 'qbo-sync[server]'\n")
        return 2
    from qbo_sync.testing import FakeQBO  # noqa: PLC0415 - keep --help fast

    fake = FakeQBO(
        limits=not args.no_limits,
        verifier_token=args.verifier_token,
        webhook_format=args.webhook_format,
    )
    realm = fake.add_company(realm_id=args.realm_id, company_name=args.company_name)
    if args.client_id:
        fake.register_app(
            client_id=args.client_id,
            client_secret=args.client_secret or "",
            redirect_uris=args.redirect_uri,
        )
    for url in args.webhook_url:
        fake.webhooks.add_url(url)
    token = fake.issue_access_token(realm, lifetime=365 * 86400)
    base = f"http://{args.host}:{args.port}"
    sys.stdout.write(
        f"FakeQBO on {base}\nrealm id:     {realm}\naccess token: {token}\n"
        f"(more companies: POST {base}/_fake/companies; tokens: POST {base}/_fake/tokens)\n"
    )
    sys.stdout.flush()
    uvicorn.run(fake.asgi_app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
