"""Run the example: ``python -m examples.fastapi_app`` (fake QBO) or ``... --real``.

Against the fake, everything runs on this machine: a fake QuickBooks Online
(OAuth, Accounting API and webhooks) on a free loopback port, and the app on
``--port``. Open http://127.0.0.1:8000/ and press *Connect to QuickBooks*.

With ``--real`` the app reads ``QUICKBOOKS_*`` environment variables and
keeps its state in ``qbo_example.db`` (see README.md).
"""

from __future__ import annotations

import argparse
import threading

import uvicorn
from cryptography.fernet import Fernet

from qbo_sync.auth import OAuthConfig
from qbo_sync.storage import MemoryStore
from qbo_sync.testing import FakeQBO, FakeQBOServer

from .app import create_app

CLIENT_ID = "fielddesk-example"
CLIENT_SECRET = "fielddesk-example-secret"  # the fake's app, not a real credential
VERIFIER_TOKEN = "fielddesk-example-verifier"


def _fake_app(host: str, port: int) -> tuple[object, FakeQBOServer]:
    app_url = f"http://{host}:{port}"
    # Intuit batches notifications; so does this fake, flushed every 3 seconds below.
    fake = FakeQBO(verifier_token=VERIFIER_TOKEN, webhook_delivery="manual")
    fake.add_company(company_name="Acme Plumbing")
    fake.register_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                      redirect_uris=[f"{app_url}/qbo/callback"])
    fake.webhooks.add_url(f"{app_url}/qbo/webhook")
    server = FakeQBOServer(fake).start()
    config = OAuthConfig(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, environment="sandbox",
        redirect_uri=f"{app_url}/qbo/callback",
        token_encryption_key=Fernet.generate_key().decode(),
        webhook_verifier_token=VERIFIER_TOKEN,
    )
    app = create_app(config=config, store=MemoryStore(), oauth_base_url=server.base_url,
                     api_base_url=server.base_url)

    def flush_webhooks() -> None:
        while not stop.wait(3.0):
            fake.flush_webhooks()

    stop = threading.Event()
    threading.Thread(target=flush_webhooks, daemon=True, name="fake-webhooks").start()
    print(f"Fake QuickBooks Online on {server.base_url} (company 'Acme Plumbing')")
    return app, server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.fastapi_app",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--real", action="store_true",
                        help="connect a real company (QUICKBOOKS_* environment variables)")
    args = parser.parse_args()
    server = None
    if args.real:
        app: object = create_app()
    else:
        app, server = _fake_app(args.host, args.port)
    print(f"Integration page: http://{args.host}:{args.port}/")
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
