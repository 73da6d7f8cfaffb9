"""The Flask example (examples/flask_app) against the fake QBO served over loopback HTTP.

The app runs in Flask's test client; everything it says to "Intuit" (the
authorization redirect, the code exchange, CompanyInfo, batches, reads,
refresh and revoke) goes over real HTTP to a FakeQBOServer. The browser's
hop to Intuit's consent page is an httpx GET to the fake, whose redirect is
then followed back into the app, as a browser would.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from qbo_sync.errors import ReauthorizationRequired
from qbo_sync.testing import FakeQBO, FakeQBOServer, sign

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLIENT_ID = "flask-example-client"
CLIENT_SECRET = "flask-example-secret-0123456789"
REDIRECT_URI = "http://localhost:5000/qbo/callback"
VERIFIER = "flask-example-verifier-token"


def _create_app() -> Any:
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module("flask_app").create_app


@pytest.fixture
def fake() -> FakeQBO:
    fake = FakeQBO(verifier_token=VERIFIER, webhook_delivery="manual")
    fake.add_company(company_name="Flask Plumbing")
    fake.register_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                      redirect_uris=[REDIRECT_URI])
    return fake


@pytest.fixture
def server(fake: FakeQBO) -> Iterator[FakeQBOServer]:
    with FakeQBOServer(fake) as server:
        yield server


@pytest.fixture
def app(server: FakeQBOServer, tmp_path: Path) -> Iterator[Any]:
    app = _create_app()({
        "TESTING": True,
        "QBO_DB_PATH": str(tmp_path / "app.sqlite3"),
        "QBO_BASE_URL": server.base_url,
        "QUICKBOOKS_CLIENT_ID": CLIENT_ID,
        "QUICKBOOKS_CLIENT_SECRET": CLIENT_SECRET,
        "QUICKBOOKS_REDIRECT_URI": REDIRECT_URI,
        "QUICKBOOKS_ENVIRONMENT": "sandbox",
        "QUICKBOOKS_TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": VERIFIER,
    })
    try:
        yield app
    finally:
        app.extensions["qbo"].close()


def _connect(client: Any) -> Any:
    """Press Connect, approve at the fake "Intuit" over HTTP, land on the callback."""
    start = client.get("/qbo/connect")
    assert start.status_code == 302
    consent = httpx.get(start.headers["Location"], follow_redirects=False)
    assert consent.status_code == 302
    back = urlsplit(consent.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT_URI
    return client.get(f"{back.path}?{back.query}")


def test_connect_flow_end_to_end(app: Any, fake: FakeQBO, server: FakeQBOServer) -> None:
    client = app.test_client()
    before = client.get("/qbo/status").get_json()
    assert (before["connected"], before["state"], before["realm_id"]) == (False, "disconnected",
                                                                          None)

    start = client.get("/qbo/connect")
    location = start.headers["Location"]
    assert location.startswith(f"{server.base_url}/connect/oauth2?")
    assert f"client_id={CLIENT_ID}" in location
    assert "state=" in location

    callback = _connect(client)
    assert callback.status_code == 302
    assert callback.headers["Location"].endswith("/qbo/status")

    status = client.get("/qbo/status").get_json()
    realm_id = fake.realm_ids[0]
    assert status["connected"] is True
    assert status["state"] == "connected"
    assert status["needs_reauthorization"] is False
    assert (status["company_name"], status["realm_id"]) == ("Flask Plumbing", realm_id)
    assert status["environment"] == "sandbox"
    assert status["messages"] == [{"category": "success", "text": "Connected to Flask Plumbing"}]
    assert set(status["entities"]) >= {"Customer", "Item", "Invoice", "Payment"}
    assert status["health"]["dots"] in range(1, 6)
    # The code was exchanged over HTTP and the tokens are in the store, encrypted.
    store = app.extensions["qbo"].store
    assert store.encrypts_tokens
    assert store.get_tokens(realm_id) is not None
    assert fake.stats.snapshot()["requests"]["oauth"] >= 1

    # The flash was shown once; a replayed callback is refused (the code is used once).
    assert client.get("/qbo/status").get_json()["messages"] == []
    first = client.get("/qbo/connect")
    consent = httpx.get(first.headers["Location"], follow_redirects=False).headers["location"]
    back = urlsplit(consent)
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.get("/qbo/status")  # drop the success flash
    client.get(f"{back.path}?{back.query}")
    replay = client.get("/qbo/status").get_json()["messages"]
    assert [m["category"] for m in replay] == ["error"]

    # The user presses Cancel on Intuit's page.
    fake.next_consent(deny=True)
    denied = _connect(client)
    assert denied.status_code == 302
    messages = client.get("/qbo/status").get_json()["messages"]
    assert [m["category"] for m in messages] == ["error"]
    assert client.get("/qbo/status").get_json()["connected"] is True  # still the old grant


def _connect_and_sync(app: Any) -> tuple[Any, dict[str, Any]]:
    client = app.test_client()
    assert _connect(client).status_code == 302
    loaded = app.test_cli_runner().invoke(args=["load-sample-book"])
    assert loaded.exit_code == 0, loaded.output
    assert "83 records saved" in loaded.output
    pushed = client.post("/qbo/sync")
    assert pushed.status_code == 200
    return client, pushed.get_json()


def test_sync_then_status_json(app: Any, fake: FakeQBO) -> None:
    client, report = _connect_and_sync(app)
    realm_id = fake.realm_ids[0]
    assert report["status"] == "success"
    assert report["counts"]["Customer"]["created"] == 25
    assert report["counts"]["Invoice"]["created"] == 40
    assert report["failures"] == []
    assert fake.object_counts(realm_id)["Invoice"] == 40

    again = client.post("/qbo/sync").get_json()
    assert again["write_requests"] == 0
    assert all(c["created"] == c["updated"] == 0 for c in again["counts"].values())

    status = client.get("/qbo/status").get_json()
    invoices = status["entities"]["Invoice"]
    assert (invoices["created"], invoices["updated"], invoices["failed"]) == (40, 0, 0)
    assert invoices["synced"] == 40
    assert invoices["last_synced_at"]
    assert status["entities"]["Customer"]["created"] == 25
    assert status["entities"]["Payment"]["created"] == 10
    assert status["last_sync"]["status"] == "success"
    assert status["health"]["tier"] == "excellent"
    assert (status["health"]["dots"], status["health"]["dots_text"]) == (5, "●●●●●")

    # The grant is revoked at "Intuit": the next refresh gets invalid_grant.
    integration = app.extensions["qbo"]
    tokens = integration.store.get_tokens(realm_id)
    revoked = httpx.post(f"{app.config['QBO_BASE_URL']}/v2/oauth2/tokens/revoke",
                         json={"token": tokens.refresh_token}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert revoked.status_code == 200
    with pytest.raises(ReauthorizationRequired):
        integration.oauth.refresh(realm_id)
    status = client.get("/qbo/status").get_json()
    assert status["needs_reauthorization"] is True
    assert status["connected"] is False
    assert status["state"] == "needs_reauthorization"
    assert status["health"]["tier"] in ("critical", "disconnected")


def test_webhook_good_and_bad_signatures(app: Any, fake: FakeQBO) -> None:
    client, _ = _connect_and_sync(app)
    integration = app.extensions["qbo"]
    realm_id = fake.realm_ids[0]
    invoice_link = integration.store.get_links(realm_id, "Invoice", ["inv-00020"])["inv-00020"]
    invoice = fake.read(realm_id, "Invoice", invoice_link.qbo_id)
    assert invoice is not None
    total = Decimal(str(invoice["TotalAmt"]))

    # Intuit's deliveries (signed by the fake) reach the app's webhook route.
    answered: list[int] = []
    fake.webhooks.add_callback(
        lambda body, headers: answered.append(
            client.post("/qbo/webhooks", data=body, headers=dict(headers)).status_code)
    )
    # An accountant records a payment for the invoice in QuickBooks.
    fake.seed(realm_id, "Payment", {
        "CustomerRef": invoice["CustomerRef"],
        "TotalAmt": str(total),
        "Line": [{"Amount": str(total),
                  "LinkedTxn": [{"TxnId": invoice_link.qbo_id, "TxnType": "Invoice"}]}],
    })
    assert fake.flush_webhooks() >= 1
    assert answered == [200]
    (report,) = integration.drain()
    assert report.status.value == "success"
    # The delivery also carried the echoes of the app's own push (skipped or, for the
    # invoices its payments paid, QBO's new balance); the accountant's payment is "paid".
    assert "paid" in [o.reason for o in report.outcomes if o.local_id == "inv-00020"]
    notes = integration.product.timeline("Invoice", "inv-00020")
    assert len(notes) == 1
    assert notes[0].startswith("Payment confirmed via QuickBooks")
    assert integration.product.get("Invoice", ["inv-00020"])[0].balance == 0

    # The same delivery again (Intuit retries): acknowledged, not pulled again.
    delivery = fake.webhooks.deliveries[-1]
    again = client.post("/qbo/webhooks", data=delivery.body, headers=dict(delivery.headers))
    assert again.status_code == 200
    assert integration.drain() == []

    # Forged, unsigned and wrongly keyed deliveries are refused before parsing; nothing runs.
    body = delivery.body.replace(b'"Payment"', b'"Invoice"')
    runs = len(integration.store.list_runs(realm_id=realm_id))
    for headers in ({"intuit-signature": delivery.headers["intuit-signature"]},
                    {},
                    {"intuit-signature": sign(body, "not-the-verifier-token")}):
        refused = client.post("/qbo/webhooks", data=body, headers=headers)
        assert refused.status_code == 401
    assert integration.drain() == []
    assert len(integration.store.list_runs(realm_id=realm_id)) == runs
    assert len(integration.product.timeline("Invoice", "inv-00020")) == 1
