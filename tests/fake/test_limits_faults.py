"""Per-realm limits on virtual time, and injected faults (errors, timeouts, drops, latency)."""

from __future__ import annotations

import httpx
import pytest

from qbo_sync.errors import ConfigurationError
from qbo_sync.testing import FakeClock, FakeQBO, Fault, LimitConfig

QUERY = {"query": "select * from Customer"}


def test_500_a_minute_then_429_with_real_fault(
    fake: FakeQBO, clock: FakeClock, http: httpx.Client
) -> None:
    """The 501st request inside a virtual minute gets 429/3001; a minute later it passes."""
    for _ in range(500):
        assert http.get("query", params=QUERY).status_code == 200
    throttled = http.get("query", params=QUERY)
    assert throttled.status_code == 429
    error = throttled.json()["Fault"]["Error"][0]
    assert error["code"] == "3001"
    assert error["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    assert throttled.json()["Fault"]["type"] == "SERVICE"
    assert fake.stats.throttled == 1
    clock.advance(60)
    assert http.get("query", params=QUERY).status_code == 200


def test_40_batches_a_minute(fake: FakeQBO, clock: FakeClock, http: httpx.Client) -> None:
    """Batch requests have their own 40/min budget."""
    body = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Customer"}]}
    statuses = [http.post("batch", json=body).status_code for _ in range(41)]
    assert statuses.count(429) == 1
    assert statuses[-1] == 429
    assert fake.stats.requests["batch"] == 41


def test_in_flight_limit(fake: FakeQBO, realm: str) -> None:
    """With 10 requests in flight for a realm, the 11th is throttled."""
    for _ in range(10):
        assert fake.limiter.try_acquire(realm, batch=False)
    assert not fake.limiter.try_acquire(realm, batch=False)
    fake.limiter.release(realm)
    assert fake.limiter.try_acquire(realm, batch=False)


def test_limits_can_be_turned_off(clock: FakeClock) -> None:
    """limits=False never throttles."""
    fake = FakeQBO(clock=clock, limits=False)
    realm = fake.add_company()
    token = fake.issue_access_token(realm)
    client = httpx.Client(transport=fake.transport(), headers={"Authorization": f"Bearer {token}"})
    url = f"https://quickbooks.api.intuit.com/v3/company/{realm}/query"
    assert all(client.get(url, params=QUERY).status_code == 200 for _ in range(600))
    fake.set_limits(LimitConfig(per_minute=2))
    assert [client.get(url, params=QUERY).status_code for _ in range(3)] == [200, 200, 429]


def test_fail_next_by_path(fake: FakeQBO, http: httpx.Client) -> None:
    """fail_next hits only matching requests, exactly N times."""
    rule = fake.faults.fail_next(2, status=503, path=r"/customer")
    assert http.get("query", params=QUERY).status_code == 200
    assert http.get("customer/1").status_code == 503
    assert http.get("customer/1").status_code == 503
    assert http.get("customer/1").status_code != 503
    assert rule.hits == 2
    assert fake.stats.faults_injected == 2


def test_500_is_a_system_fault(fake: FakeQBO, http: httpx.Client) -> None:
    """An injected 500 carries a SystemFault body."""
    fake.faults.fail_next(status=500)
    response = http.get("query", params=QUERY)
    assert response.status_code == 500
    assert response.json()["Fault"]["type"] == "SystemFault"


def test_timeout_raises_read_timeout_and_costs_virtual_time(
    fake: FakeQBO, clock: FakeClock, http: httpx.Client
) -> None:
    """A timeout fault raises httpx.ReadTimeout and advances virtual time, not wall time."""
    fake.faults.timeout_next(seconds=30)
    before = clock.time()
    with pytest.raises(httpx.ReadTimeout):
        http.get("query", params=QUERY)
    assert clock.time() - before == 30


def test_drop_after_commit_creates_the_object(
    fake: FakeQBO, realm: str, http: httpx.Client
) -> None:
    """The write happens, the client sees RemoteProtocolError: a retry would duplicate."""
    fake.faults.drop_after_commit(path=r"/customer$")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("customer", json={"DisplayName": "Dropped Co"})
    names = [o.get("DisplayName") for o in fake.objects(realm, "Customer")]
    assert "Dropped Co" in names
    assert fake.stats.writes == 1


def test_throttle_next(fake: FakeQBO, http: httpx.Client) -> None:
    """throttle_next answers with the real 429 fault without touching the budget."""
    fake.faults.throttle_next()
    assert http.get("query", params=QUERY).status_code == 429
    assert fake.stats.throttled == 1


def test_latency_advances_virtual_clock(
    fake: FakeQBO, clock: FakeClock, http: httpx.Client
) -> None:
    """Added latency moves virtual time by that much per request."""
    fake.faults.add_latency(2.5, count=2)
    start = clock.time()
    http.get("query", params=QUERY)
    http.get("query", params=QUERY)
    http.get("query", params=QUERY)
    assert clock.time() - start == 5.0


def test_random_faults_are_seeded(clock: FakeClock) -> None:
    """Two fakes with the same seed inject the same faults in the same places."""

    def run() -> list[int]:
        fake = FakeQBO(clock=clock, seed=42, limits=False)
        realm = fake.add_company()
        fake.faults.random(0.3, kinds=[Fault(kind="error", status=502)])
        token = fake.issue_access_token(realm)
        client = httpx.Client(
            transport=fake.transport(), headers={"Authorization": f"Bearer {token}"}
        )
        url = f"https://quickbooks.api.intuit.com/v3/company/{realm}/query"
        return [client.get(url, params=QUERY).status_code for _ in range(50)]

    first, second = run(), run()
    assert first == second
    assert 5 < first.count(502) < 30


def test_bad_fault_settings_are_rejected(fake: FakeQBO) -> None:
    """Invalid statuses, probabilities, counts and regexes raise ConfigurationError."""
    with pytest.raises(ConfigurationError):
        fake.faults.fail_next(status=404)
    with pytest.raises(ConfigurationError):
        fake.faults.random(1.5)
    with pytest.raises(ConfigurationError):
        fake.faults.fail_next(0)
    with pytest.raises(ConfigurationError, match="regular expression"):
        fake.faults.fail_next(path="(")


def test_faults_on_the_token_endpoint(fake: FakeQBO) -> None:
    """A path pattern can target the OAuth token endpoint too."""
    fake.faults.fail_next(status=502, path=r"/tokens/bearer")
    client = httpx.Client(transport=fake.transport())
    response = client.post(
        "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer", data={"grant_type": "x"}
    )
    assert response.status_code == 502
    assert fake.stats.requests["oauth"] == 1


def test_in_flight_released_after_limits_toggled(fake: FakeQBO, realm: str) -> None:
    """A request admitted with limits on and ended after they were turned off frees its slot."""
    for _ in range(10):
        assert fake.limiter.try_acquire(realm, batch=False)
    fake.set_limits(False)
    for _ in range(10):
        fake.limiter.release(realm)
    fake.set_limits(True)
    assert fake.limiter.in_flight(realm) == 0
    assert fake.limiter.try_acquire(realm, batch=False)
