"""The FastAPI example (examples/fastapi_app) over real loopback HTTP, against the fake QBO.

Two servers run in this process, each on its own loopback port: the app under
uvicorn (``LoopbackServer``) and the fake QuickBooks Online (``FakeQBOServer``).
Every request the tests make goes over a socket to the app, and everything the
app says to "Intuit" (authorization, code exchange, CompanyInfo, batches,
CDC, refresh, revoke) goes over a socket to the fake. The fake POSTs its
signed webhook notifications to the app's ``/qbo/webhook`` URL.

Time is a ``FakeClock`` shared by the fake, the store and the app, so token
expiry can be reached without waiting.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from cryptography.fernet import Fernet

from qbo_sync.auth import OAuthConfig
from qbo_sync.http import RealmPacer
from qbo_sync.storage import MemoryStore
from qbo_sync.sync import PAYMENT_CONFIRMED
from qbo_sync.testing import FakeClock, FakeQBO, FakeQBOServer, LoopbackServer, sample_book, sign

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the repository root holds the examples package
    sys.path.insert(0, str(ROOT))

from examples.fastapi_app import ProductDB, create_app  # noqa: E402

CLIENT_ID = "fastapi-example-client"
CLIENT_SECRET = "fastapi-example-secret-0123456789"
VERIFIER = "fastapi-example-verifier-token"
BOOK = sample_book(customers=6, items=3, invoices=8, payments=3, credit_memos=1)
#: The fake runs without QBO's limits here, so the client need not pace (10 requests/s).
NO_PACING = RealmPacer(per_minute=None, batch_per_minute=None, per_second=None,
                       max_in_flight=None)
#: An invoice no sample payment pays: the one the accountant pays in QBO.
UNPAID = BOOK.invoices[-1].id


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time shared by the fake, the store and the app."""
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeQBO:
    """A fake QBO with one company; webhooks are sent when the test flushes them."""
    qbo = FakeQBO(clock=clock, limits=False, verifier_token=VERIFIER, webhook_delivery="manual")
    qbo.add_company(company_name="Acme Plumbing")
    return qbo


@pytest.fixture
def realm(fake: FakeQBO) -> str:
    """The company's realm id."""
    return fake.realm_ids[0]


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    """qbo_sync's storage for the app."""
    return MemoryStore(clock=clock.now)


@pytest.fixture
def product() -> ProductDB:
    """The product's own records: a small sample book."""
    return ProductDB(BOOK.records())


def ticking(clock: FakeClock) -> Callable[[], dt.datetime]:
    """The app's clock: virtual time that moves 10 ms each time it is read (runs get an order)."""

    def now() -> dt.datetime:
        clock.advance(0.01)
        return clock.now()

    return now


@pytest.fixture
def servers(
    fake: FakeQBO, store: MemoryStore, product: ProductDB, clock: FakeClock
) -> Iterator[tuple[LoopbackServer, FakeQBOServer, Any]]:
    """The fake on one loopback port and the app on another; yields (app server, fake, app)."""
    with FakeQBOServer(fake) as qbo, LoopbackServer() as web:
        fake.register_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                          redirect_uris=[f"{web.base_url}/qbo/callback"])
        fake.webhooks.add_url(f"{web.base_url}/qbo/webhook")
        config = OAuthConfig(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, environment="sandbox",
            redirect_uri=f"{web.base_url}/qbo/callback",
            token_encryption_key=Fernet.generate_key().decode(),
            webhook_verifier_token=VERIFIER,
        )
        app = create_app(config=config, store=store, product=product, clock=ticking(clock),
                         oauth_base_url=qbo.base_url, api_base_url=qbo.base_url,
                         engine_options={"client_options": {"pacer": NO_PACING}})
        web.serve(app)
        yield web, qbo, app
        fake.webhooks.close()


@pytest.fixture
def web(servers: tuple[LoopbackServer, FakeQBOServer, Any]) -> Iterator[httpx.Client]:
    """An HTTP client for the app (redirects are followed by hand)."""
    with httpx.Client(base_url=servers[0].base_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def qbo(servers: tuple[LoopbackServer, FakeQBOServer, Any]) -> FakeQBOServer:
    """The fake QBO server."""
    return servers[1]


@pytest.fixture
def app(servers: tuple[LoopbackServer, FakeQBOServer, Any]) -> Any:
    """The FastAPI app object (for waiting on its webhook worker)."""
    return servers[2]


def connect(web: httpx.Client, qbo: FakeQBOServer) -> tuple[list[httpx.Response], httpx.Response]:
    """Play the browser through the connect flow; returns the redirect hops and the final page."""
    to_intuit = web.get("/qbo/connect")
    consent = httpx.get(to_intuit.headers["location"])  # Intuit's consent page (the fake)
    back = web.get(consent.headers["location"])  # Intuit redirects to our callback
    page = web.get(back.headers["location"])
    return [to_intuit, consent, back], page


@pytest.fixture
def connected(web: httpx.Client, qbo: FakeQBOServer) -> dict[str, Any]:
    """The company connected; returns ``/api/integration``."""
    _, page = connect(web, qbo)
    assert page.status_code == 200
    return web.get("/api/integration").json()


@pytest.fixture
def synced(web: httpx.Client, connected: dict[str, Any]) -> dict[str, Any]:
    """Connected and synced once; returns the sync answer."""
    answer = web.post("/api/sync")
    assert answer.status_code == 200, answer.text
    return answer.json()


def record_payment_in_qbo(fake: FakeQBO, store: MemoryStore, realm: str, local_id: str) -> str:
    """An accountant records a payment in QBO for a synced invoice's whole balance."""
    link = store.get_links(realm, "Invoice", [local_id])[local_id]
    invoice = fake.read(realm, "Invoice", link.qbo_id)
    assert invoice is not None
    payment = fake.seed(realm, "Payment", {
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": invoice["Balance"],
        "Line": [{"Amount": invoice["Balance"],
                  "LinkedTxn": [{"TxnId": link.qbo_id, "TxnType": "Invoice"}]}],
    })
    return str(payment["Id"])


def notification(realm: str, entity: str, entity_id: str) -> bytes:
    """A legacy webhook body naming one created object, as Intuit sends it."""
    return json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [
        {"name": entity, "id": entity_id, "operation": "Create",
         "lastUpdated": "2026-01-05T09:00:00.000Z"}]}}]}).encode()


# -- connect --------------------------------------------------------------------------------


def test_connect_follows_intuit_redirects_back_to_the_callback(
    web: httpx.Client, qbo: FakeQBOServer, realm: str
) -> None:
    """/qbo/connect redirects to the fake's authorize URL, which returns to the callback."""
    before = web.get("/api/integration").json()
    assert before["connection"]["state"] == "disconnected"
    assert before["connection"]["badge"] == "Not connected"
    assert "Connect to QuickBooks" in web.get("/").text

    (to_intuit, consent, back), page = connect(web, qbo)

    assert to_intuit.status_code == 302
    assert to_intuit.headers["location"].startswith(f"{qbo.base_url}/connect/oauth2?")
    assert "state=" in to_intuit.headers["location"]
    assert consent.status_code == 302
    assert consent.headers["location"].startswith(f"{web.base_url}/qbo/callback?code=")
    assert f"realmId={realm}" in consent.headers["location"]
    assert back.status_code == 303
    assert back.headers["location"].startswith("/?flash=")
    assert page.status_code == 200
    assert "Connected to Acme Plumbing" in page.text
    assert 'id="connection-badge">Connected<' in page.text
    assert realm in page.text

    status = web.get("/api/integration").json()["connection"]
    assert status["state"] == "connected"
    assert status["connected"] is True
    assert (status["company_name"], status["realm_id"]) == ("Acme Plumbing", realm)
    assert (status["expiring_soon"], status["needs_reauthorization"]) == (False, False)
    # The outcome is shown once; a reload does not repeat it.
    assert "Connected to Acme Plumbing" not in web.get(back.headers["location"]).text


def test_denied_consent_and_replayed_callback_show_typed_outcomes(
    web: httpx.Client, qbo: FakeQBOServer, fake: FakeQBO
) -> None:
    """Cancel on Intuit's page and a replayed callback each show their reason; nothing connects."""
    fake.next_consent(deny=True)
    (_, consent, _), page = connect(web, qbo)
    assert "error=access_denied" in consent.headers["location"]
    assert "Connection cancelled" in page.text
    assert 'data-reason="access_denied"' in page.text
    assert web.get("/api/integration").json()["connection"]["state"] == "disconnected"
    refused = web.post("/api/sync")
    assert refused.status_code == 409
    assert refused.json()["error"] == "not_connected"

    (_, consent, _), page = connect(web, qbo)
    assert "Connected to Acme Plumbing" in page.text
    replay = web.get(consent.headers["location"])  # the same callback URL, again
    shown = web.get(replay.headers["location"]).text
    assert 'data-reason="state_reused"' in shown
    assert "This connection link was already used" in shown
    assert web.get("/api/integration").json()["connection"]["state"] == "connected"


# -- the integration JSON and sync -----------------------------------------------------------


def test_integration_json_before_and_after_a_sync(
    web: httpx.Client, connected: dict[str, Any], realm: str, fake: FakeQBO
) -> None:
    """Counts start at zero and health asks for a first sync; after Sync All they are filled."""
    assert connected["last_sync"] is None
    cards = {e["entity"]: e for e in connected["entities"]}
    assert list(cards) == ["Customer", "Invoice", "Payment", "Item"]
    assert all((e["created"], e["updated"], e["failed"]) == (0, 0, 0) for e in cards.values())
    health = connected["health"]
    assert (health["tier"], health["dots"], health["dots_display"]) == ("good", 4, "●●●●○")
    assert health["actions"] == ["Run a first sync"]
    assert [t["tier"] for t in health["tiers"]] == [
        "excellent", "good", "warning", "critical", "disconnected"]

    answer = web.post("/api/sync")
    assert answer.status_code == 200
    push, pull = answer.json()["push"], answer.json()["pull"]
    assert (push["status"], push["failed"]) == ("success", 0)
    assert push["created"] == len(BOOK) + 1  # and the default service item
    assert pull["status"] == "success"

    after = web.get("/api/integration").json()
    cards = {e["entity"]: e for e in after["entities"]}
    assert cards["Customer"]["created"] == len(BOOK.customers) == cards["Customer"]["linked"]
    assert cards["Invoice"]["created"] == len(BOOK.invoices)
    assert cards["Payment"]["created"] == len(BOOK.payments)
    assert cards["Item"]["created"] >= len(BOOK.items)
    assert all(e["failed"] == 0 and e["last_synced_at"] for e in cards.values())
    assert after["last_sync"]["status"] == "success"
    assert (after["health"]["tier"], after["health"]["dots"]) == ("excellent", 5)
    assert after["health"]["score"] == 100
    assert fake.object_counts(realm)["Invoice"] == len(BOOK.invoices)

    runs = web.get("/api/history").json()["runs"]
    assert [(r["direction"], r["status"]) for r in runs] == [
        ("pull", "success"), ("push", "success")]
    assert runs[1]["created"] == len(BOOK) + 1
    assert runs[1]["duration_seconds"] is not None


def test_sync_one_entity_and_unknown_entity(
    web: httpx.Client, synced: dict[str, Any], product: ProductDB, realm: str, fake: FakeQBO,
    store: MemoryStore
) -> None:
    """POST /api/sync/invoices pushes only what changed among invoices; unknown names get 404."""
    first = product.invoice(BOOK.invoices[0].id)
    assert first is not None
    product.save([attrs.evolve(first, memo="Rescheduled to Friday")])  # edited in the product

    answer = web.post("/api/sync/invoices")
    assert answer.status_code == 200
    push = answer.json()["push"]
    assert {e for e, c in push["counts"].items() if any(c.values())} == {"Invoice"}
    assert (push["created"], push["updated"], push["skipped"]) == (0, 1, len(BOOK.invoices) - 1)
    qbo_id = store.get_links(realm, "Invoice", [first.id])[first.id].qbo_id
    in_qbo = fake.read(realm, "Invoice", qbo_id)
    assert in_qbo is not None
    assert in_qbo["CustomerMemo"]["value"] == "Rescheduled to Friday"
    cards = {e["entity"]: e for e in web.get("/api/integration").json()["entities"]}
    assert cards["Invoice"]["updated"] >= 1
    runs = web.get("/api/history").json()["runs"]
    assert len(runs) == 4
    assert [(r["kind"], r["direction"]) for r in runs[:2]] == [
        ("entity", "pull"), ("entity", "push")]
    assert [r["type"] for r in runs[:2]] == ["Entity sync · Invoice"] * 2

    missing = web.post("/api/sync/vendors")
    assert missing.status_code == 404
    assert missing.json()["error"] == "unknown_entity"


# -- webhooks -----------------------------------------------------------------------------


def test_signed_webhook_pull_marks_the_local_invoice_paid(
    web: httpx.Client, synced: dict[str, Any], fake: FakeQBO, store: MemoryStore,
    app: Any, realm: str
) -> None:
    """A payment recorded in QBO arrives as a signed webhook; the pull marks the invoice paid."""
    assert web.get(f"/api/invoices/{UNPAID}").json()["paid"] is False
    assert fake.flush_webhooks() > 0  # notifications of our own push: echoes, nothing changes
    app.state.integration.worker.join()
    echoes = web.get("/api/history").json()["runs"][0]
    assert (echoes["kind"], echoes["created"], echoes["updated"]) == ("webhook", 0, 0)
    assert web.get(f"/api/invoices/{UNPAID}").json()["timeline"] == []

    record_payment_in_qbo(fake, store, realm, UNPAID)
    assert fake.flush_webhooks() >= 1  # the fake POSTs the signed notification to the app
    assert fake.webhooks.deliveries[-1].status == 200
    app.state.integration.worker.join()  # the app answered at once; its worker pulls

    invoice = web.get(f"/api/invoices/{UNPAID}").json()
    assert invoice["paid"] is True
    assert invoice["balance"] == "0.00"
    total = sum((line.amount for line in BOOK.invoices[-1].lines), Decimal(0))
    assert invoice["total"] == f"{total:.2f}"
    assert [(t["note"], t["amount"]) for t in invoice["timeline"]] == [
        (PAYMENT_CONFIRMED, f"{total:.2f}")]
    runs = web.get("/api/history").json()["runs"]
    assert runs[0]["kind"] == "webhook"
    assert runs[0]["status"] == "success"
    assert runs[0]["updated"] >= 1
    assert PAYMENT_CONFIRMED in web.get("/").text


def test_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    web: httpx.Client, synced: dict[str, Any], fake: FakeQBO, store: MemoryStore,
    app: Any, realm: str
) -> None:
    """Forged, tampered or unsigned deliveries get 401 and pull nothing; the signed one works."""
    payment_id = record_payment_in_qbo(fake, store, realm, UNPAID)  # not notified yet
    body = notification(realm, "Payment", payment_id)
    runs_before = web.get("/api/history").json()["runs"]

    forged = web.post("/qbo/webhook", content=body,
                      headers={"intuit-signature": sign(body, "not-the-verifier-token")})
    tampered = web.post("/qbo/webhook", content=body.replace(b"Create", b"Update"),
                        headers={"intuit-signature": sign(body, VERIFIER)})
    unsigned = web.post("/qbo/webhook", content=body)
    assert [r.status_code for r in (forged, tampered, unsigned)] == [401, 401, 401]

    app.state.integration.worker.join()  # nothing was queued, so nothing runs
    assert web.get("/api/history").json()["runs"] == runs_before
    invoice = web.get(f"/api/invoices/{UNPAID}").json()
    assert (invoice["paid"], invoice["timeline"]) == (False, [])

    # The same body, correctly signed, is taken: the refusals were about the signature.
    good = web.post("/qbo/webhook", content=body,
                    headers={"intuit-signature": sign(body, VERIFIER)})
    assert good.status_code == 200
    app.state.integration.worker.join()
    assert web.get(f"/api/invoices/{UNPAID}").json()["paid"] is True


# -- reauthorization ----------------------------------------------------------------------


def test_revoked_refresh_token_shows_needs_reauthorization(
    web: httpx.Client, qbo: FakeQBOServer, synced: dict[str, Any], store: MemoryStore,
    realm: str
) -> None:
    """Access revoked at Intuit: the next sync answers 409 and the page asks to reconnect."""
    tokens = store.get_tokens(realm)
    assert tokens is not None
    revoked = httpx.post(f"{qbo.base_url}/v2/oauth2/tokens/revoke",
                         auth=(CLIENT_ID, CLIENT_SECRET), json={"token": tokens.refresh_token})
    assert revoked.status_code == 200

    answer = web.post("/api/sync")
    assert answer.status_code == 409
    assert (answer.json()["error"], answer.json()["reason"]) == (
        "needs_reauthorization", "invalid_grant")

    status = web.get("/api/integration").json()
    connection = status["connection"]
    assert connection["state"] == "needs_reauthorization"
    assert connection["badge"] == "Needs reauthorization"
    assert (connection["needs_reauthorization"], connection["connected"]) == (True, False)
    assert connection["company_name"] == "Acme Plumbing"
    assert status["health"]["tier"] == "critical"
    assert "Reconnect QuickBooks" in status["health"]["actions"]
    page = web.get("/").text
    assert 'id="connection-badge">Needs reauthorization<' in page
    assert "Reconnect to QuickBooks" in page
    assert web.get("/api/history").json()["runs"][0]["status"] == "failed"

    # Reconnecting the same company clears it and keeps the history.
    _, page_after = connect(web, qbo)
    assert "Reconnected to Acme Plumbing" in page_after.text
    assert web.get("/api/integration").json()["connection"]["state"] == "connected"
    assert web.post("/api/sync").status_code == 200


def test_expiring_soon_then_expired_refresh_token(
    web: httpx.Client, connected: dict[str, Any], clock: FakeClock, fake: FakeQBO
) -> None:
    """90 days idle: "Expires soon"; past the 100-day refresh expiry: needs reauthorization."""
    clock.advance(dt.timedelta(days=90))
    soon = web.get("/api/integration").json()["connection"]
    assert (soon["state"], soon["badge"], soon["expiring_soon"]) == (
        "expiring_soon", "Expires soon", True)
    assert soon["connected"] is True
    assert "Reconnect before then to keep syncing" in web.get("/").text

    clock.advance(dt.timedelta(days=11))
    expired = web.get("/api/integration").json()
    assert expired["connection"]["state"] == "needs_reauthorization"
    assert expired["connection"]["reason"] == "refresh_token_expired"
    assert (expired["health"]["tier"], expired["health"]["dots"]) == ("disconnected", 1)
    requests_before = fake.stats.total
    refused = web.post("/api/sync")
    assert refused.status_code == 409
    assert refused.json()["error"] == "needs_reauthorization"
    assert fake.stats.total == requests_before  # refused without calling QuickBooks
    assert "authorization has expired" in web.get("/").text
