"""Webhooks from ledger changes; routing by path; HTTP serving; clock; admin endpoints."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from tests.conftest import REAL_SAMPLES

from qbo_sync.errors import ConfigurationError
from qbo_sync.testing import FakeClock, FakeQBO, FakeQBOServer, sign


def test_sign_matches_intuit_vector() -> None:
    """sign() reproduces the signature of Intuit's published .NET test vector."""
    vector = json.loads(
        (
            REAL_SAMPLES / "QuickBooks-V3-DotNET-SDK/WebhooksService.Test/"
            "WebhooksServiceTest.cs.signature_vector.json"
        ).read_text()
    )
    assert sign(vector["body"].encode(), vector["verifier_token"]) == vector["intuit-signature"]


def test_legacy_webhook_on_create(fake: FakeQBO, realm: str, http: httpx.Client) -> None:
    """A create sends one signed eventNotifications body in Intuit's legacy shape."""
    received: list[tuple[bytes, Mapping[str, str]]] = []
    fake.webhooks.add_callback(lambda body, headers: received.append((body, headers)))
    created = http.post("customer", json={"DisplayName": "Hooked"}).json()["Customer"]
    assert len(received) == 1
    body, headers = received[0]
    expected = base64.b64encode(
        hmac.new(b"fake-qbo-verifier-token", body, hashlib.sha256).digest()
    ).decode()
    assert headers["intuit-signature"] == expected
    doc = json.loads(body)
    note = doc["eventNotifications"][0]
    assert note["realmId"] == realm
    entity = note["dataChangeEvent"]["entities"][0]
    assert set(entity) == {"name", "id", "operation", "lastUpdated"}
    assert (entity["name"], entity["id"], entity["operation"]) == (
        "Customer",
        created["Id"],
        "Create",
    )
    assert entity["lastUpdated"].endswith("Z")


def test_cloudevents_batched_by_flush(clock: FakeClock) -> None:
    """Manual delivery holds events until flush_webhooks(), then sends one CloudEvents array."""
    fake = FakeQBO(
        clock=clock,
        webhook_format="cloudevents",
        webhook_delivery="manual",
        verifier_token="vt-123",
    )
    realm = fake.add_company()
    received: list[bytes] = []
    fake.webhooks.add_callback(lambda body, headers: received.append(body))
    client = httpx.Client(
        transport=fake.transport(),
        headers={"Authorization": f"Bearer {fake.issue_access_token(realm)}"},
    )
    url = f"https://quickbooks.api.intuit.com/v3/company/{realm}/customer"
    client.post(url, json={"DisplayName": "One"})
    client.post(url, json={"DisplayName": "Two"})
    assert received == []
    assert fake.webhooks.pending == 2
    assert fake.flush_webhooks() == 2
    events = json.loads(received[0])
    sample = json.loads(
        (REAL_SAMPLES / "ballerina-asyncapi-triggers/qbo.customer.created.v1.json").read_text()
    )
    assert [set(e) for e in events] == [set(sample[0])] * 2
    assert {e["type"] for e in events} == {"qbo.customer.created.v1"}
    assert {e["intuitaccountid"] for e in events} == {realm}
    assert events[0]["id"] != events[1]["id"]
    assert fake.webhooks.deliveries[-1].headers["intuit-signature"] == sign(received[0], "vt-123")


def test_webhook_to_url_over_http(clock: FakeClock) -> None:
    """Notifications can be POSTed to a URL; here a second fake's server records a 404."""
    fake = FakeQBO(clock=clock)
    realm = fake.add_company()
    with FakeQBOServer(FakeQBO()) as receiver:
        fake.webhooks.add_url(receiver.base_url + "/hooks")
        client = httpx.Client(
            transport=fake.transport(),
            headers={"Authorization": f"Bearer {fake.issue_access_token(realm)}"},
        )
        client.post(f"https://x/v3/company/{realm}/customer", json={"DisplayName": "U"})
    delivery = fake.webhooks.deliveries[-1]
    assert delivery.target.endswith("/hooks")
    assert delivery.status == 404
    with pytest.raises(ConfigurationError):
        fake.webhooks.add_url("ftp://nope")


def test_failing_callback_is_recorded_not_raised(fake: FakeQBO, http: httpx.Client) -> None:
    """A receiver that raises does not break the write; the delivery records the error."""

    def boom(body: bytes, headers: Mapping[str, str]) -> None:
        raise RuntimeError("receiver bug")

    fake.webhooks.add_callback(boom)
    assert http.post("customer", json={"DisplayName": "Z"}).status_code == 200
    assert fake.webhooks.deliveries[-1].error == "RuntimeError: receiver bug"


def test_routing_ignores_host(fake: FakeQBO, realm: str) -> None:
    """Sandbox, production and any other host reach the same fake; unknown paths 404."""
    token = fake.issue_access_token(realm)
    client = httpx.Client(transport=fake.transport(), headers={"Authorization": f"Bearer {token}"})
    hosts = [
        "https://sandbox-quickbooks.api.intuit.com",
        "https://quickbooks.api.intuit.com",
        "http://localhost:1",
    ]
    for host in hosts:
        response = client.get(
            f"{host}/v3/company/{realm}/query", params={"query": "select * from Customer"}
        )
        assert response.status_code == 200
    assert client.get("https://x/nowhere").status_code == 404


def test_discovery_documents(fake: FakeQBO) -> None:
    """Both discovery documents are served; in process they name Intuit's endpoints."""
    client = httpx.Client(transport=fake.transport())
    prod = client.get("https://developer.api.intuit.com/.well-known/openid_configuration").json()
    sandbox = client.get(
        "https://developer.intuit.com/.well-known/openid_sandbox_configuration/"
    ).json()
    assert prod["token_endpoint"] == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert sandbox["userinfo_endpoint"].startswith("https://sandbox-accounts.")
    assert "client_secret_basic" in prod["token_endpoint_auth_methods_supported"]


def test_http_server_serves_api_oauth_and_discovery(fake: FakeQBO, realm: str) -> None:
    """Over real HTTP the API works and discovery points at the server's own base URL."""
    token = fake.issue_access_token(realm)
    with FakeQBOServer(fake) as server, httpx.Client(base_url=server.base_url) as client:
        doc = client.get("/.well-known/openid_configuration").json()
        assert doc["token_endpoint"] == f"{server.base_url}/oauth2/v1/tokens/bearer"
        created = client.post(
            f"/v3/company/{realm}/customer",
            json={"DisplayName": "Over HTTP"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 200
        assert created.headers["intuit_tid"].startswith("1-")
        assert client.get(f"/v3/company/{realm}/customer/1").status_code == 401
        made = client.post("/_fake/companies", json={"company_name": "Second"}).json()
        assert fake.has_company(made["realm_id"])
        assert client.get("/_fake/stats").json()["requests"]["write"] == 1


def test_http_drop_after_commit(fake: FakeQBO, realm: str) -> None:
    """Over HTTP a drop fault commits, then the client sees a broken response."""
    token = fake.issue_access_token(realm)
    fake.faults.drop_after_commit()
    with FakeQBOServer(fake) as server, httpx.Client(base_url=server.base_url) as client:
        with pytest.raises(httpx.TransportError):
            client.post(
                f"/v3/company/{realm}/customer",
                json={"DisplayName": "Half"},
                headers={"Authorization": f"Bearer {token}"},
            )
    assert fake.stats.writes == 1


def test_http_timeout_fault(fake: FakeQBO, realm: str) -> None:
    """Over HTTP a timeout fault holds the answer past the client's timeout."""
    token = fake.issue_access_token(realm)
    fake.faults.timeout_next(seconds=0.5)
    with (
        FakeQBOServer(fake) as server,
        httpx.Client(base_url=server.base_url, timeout=0.1) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            client.get(
                f"/v3/company/{realm}/query",
                params={"query": "select * from Customer"},
                headers={"Authorization": f"Bearer {token}"},
            )


def test_fake_clock() -> None:
    """FakeClock starts where told, moves only on advance/sleep, and never backwards."""
    start = datetime(2025, 3, 1, tzinfo=timezone.utc)
    clock = FakeClock(start)
    assert clock.now() == start
    clock.sleep(90)
    clock.advance(timedelta(minutes=1))
    assert clock.now() == start + timedelta(seconds=150)
    assert clock.elapsed == 150
    assert clock() == clock.monotonic() == clock.time()
    with pytest.raises(ConfigurationError):
        clock.advance(-1)
    assert FakeClock(0).time() == 0.0


def test_issue_token_for_unknown_company(fake: FakeQBO) -> None:
    """issue_access_token names the missing realm."""
    with pytest.raises(ConfigurationError, match="nope"):
        fake.issue_access_token("nope")


def test_stats_and_seed(fake: FakeQBO, realm: str, http: httpx.Client) -> None:
    """Seeded objects are readable and counted; requests are counted by kind."""
    seeded = fake.seed(realm, "Customer", {"DisplayName": "Seeded"})
    assert fake.read(realm, "Customer", seeded["Id"])["DisplayName"] == "Seeded"
    http.get(f"customer/{seeded['Id']}")
    http.get("query", params={"query": "select * from Customer"})
    assert fake.stats.requests["read"] == 1
    assert fake.stats.requests["query"] == 1
    assert fake.object_counts(realm)["Customer"] >= 1
    fake.stats.reset()
    assert fake.stats.total == 0


def test_admin_endpoints(fake: FakeQBO, clock: FakeClock) -> None:
    """Each documented ``/_fake`` endpoint does what docs/testing.md says, bad bodies are 400."""
    admin = httpx.Client(transport=fake.transport(), base_url="http://fake")
    realm = admin.post("/_fake/companies", json={"company_name": "Admin Co"}).json()["realm_id"]
    assert fake.has_company(realm)
    token = admin.post("/_fake/tokens", json={"realm_id": realm}).json()["access_token"]
    api = admin.get(
        f"/v3/company/{realm}/companyinfo/{realm}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.json()["CompanyInfo"]["CompanyName"] == "Admin Co"
    app = {"client_id": "admin-app", "client_secret": "s", "redirect_uris": ["https://cb.test"]}
    assert admin.post("/_fake/apps", json=app).status_code == 201
    authorize = admin.get(
        "/connect/oauth2",
        params={
            "client_id": "admin-app",
            "redirect_uri": "https://cb.test",
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
        },
    )
    assert authorize.status_code == 302
    before = clock.time()
    advanced = admin.post("/_fake/clock/advance", json={"seconds": 90})
    assert advanced.status_code == 200
    assert clock.time() - before == 90
    assert advanced.json()["now"] == clock.now().isoformat()
    assert admin.post("/_fake/webhooks/flush").json() == {"sent": 0}
    assert admin.post("/_fake/tokens", json={"realm_id": "999"}).status_code == 400
    assert admin.post("/_fake/companies", content=b"not json").status_code == 400
    assert admin.post("/_fake/companies", json=[1]).status_code == 400
    assert admin.get("/_fake/nothing").status_code == 404
    assert fake.stats.requests["other"] == 9
