"""Token refresh: skew, 401, single flight, CAS, invalid_grant re-read, hard-expiry header."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

import attrs
import httpx
import pytest

from qbo_sync.auth import HARD_EXPIRY_HEADER, Connected, OAuthConfig, OAuthManager
from qbo_sync.errors import ReauthorizationRequired
from qbo_sync.storage import ConnectionStatus, MemoryStore
from qbo_sync.testing import FakeClock, FakeQBO

TOKEN_PATH = "/oauth2/v1/tokens/bearer"


class Hooked(httpx.BaseTransport):
    """The fake's transport, recording token requests and running a hook before each."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.token_requests: list[httpx.Request] = []
        self.before_token: Callable[[httpx.Request], None] | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            request.read()
            with self._lock:
                self.token_requests.append(request)
            if self.before_token is not None:
                hook, self.before_token = self.before_token, None
                hook(request)
        return self.inner.handle_request(request)

    def grants(self) -> list[str]:
        return [parse_qs(r.content.decode())["grant_type"][0] for r in self.token_requests]


@pytest.fixture
def hooked(fake: FakeQBO) -> Hooked:
    """A recording transport in front of the fake."""
    return Hooked(fake.transport())


@pytest.fixture
def manager(
    store: MemoryStore, config: OAuthConfig, hooked: Hooked, clock: FakeClock
) -> Iterator[OAuthManager]:
    """The manager, through the recording transport."""
    with OAuthManager(store=store, config=config, transport=hooked, clock=clock.now) as oauth:
        yield oauth


def _raw_refresh(fake: FakeQBO, config: OAuthConfig, refresh_token: str) -> httpx.Response:
    """Another worker refreshing at Intuit directly (no lock, no store)."""
    with httpx.Client(transport=fake.transport()) as http:
        return http.post(
            "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(config.client_id, config.client_secret),
        )


def test_fresh_token_is_served_without_refresh(
    manager: OAuthManager, connected: Connected, hooked: Hooked, store: MemoryStore
) -> None:
    """A token far from expiry comes straight from the store."""
    tokens = store.get_tokens(connected.realm_id)
    assert tokens is not None
    assert manager.token_provider().get_token(connected.realm_id) == tokens.access_token
    assert hooked.grants() == ["authorization_code"]


def test_refresh_within_skew(
    manager: OAuthManager, connected: Connected, hooked: Hooked, store: MemoryStore,
    clock: FakeClock,
) -> None:
    """Inside the 5-minute skew the token is refreshed first and the rotation stored."""
    before = store.get_tokens(connected.realm_id)
    assert before is not None
    clock.advance(dt.timedelta(minutes=54))
    assert manager.access_token(connected.realm_id) == before.access_token
    clock.advance(dt.timedelta(minutes=2))
    token = manager.access_token(connected.realm_id)
    after = store.get_tokens(connected.realm_id)
    assert after is not None
    assert token == after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert after.version == before.version + 1
    assert after.updated_at == clock.now()
    assert hooked.grants() == ["authorization_code", "refresh_token"]


def test_hard_expiry_header_and_client_auth(
    manager: OAuthManager, connected: Connected, hooked: Hooked, config: OAuthConfig
) -> None:
    """Code exchange and refresh send Basic client auth and the hard-expiry opt-in header."""
    manager.refresh(connected.realm_id)
    pair = f"{config.client_id}:{config.client_secret}".encode()
    expected = "Basic " + base64.b64encode(pair).decode()
    assert len(hooked.token_requests) == 2
    for request in hooked.token_requests:
        assert request.headers[HARD_EXPIRY_HEADER] == "true"
        assert request.headers["authorization"] == expected
        assert request.headers["accept"] == "application/json"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"


def test_hard_expiry_can_be_turned_off(
    store: MemoryStore, config: OAuthConfig, hooked: Hooked, clock: FakeClock,
    connect: Callable[..., object], realm: str,
) -> None:
    """request_hard_expiry=False sends no header; the stored hard expiry stays unknown."""
    with OAuthManager(store=store, config=config, transport=hooked, clock=clock.now,
                      request_hard_expiry=False) as oauth:
        request = oauth.authorization_url(tenant_id="t")
        with httpx.Client(transport=hooked) as browser:
            callback = browser.get(request.url).headers["location"]
        assert isinstance(oauth.handle_callback(callback, tenant_id="t"), Connected)
    assert HARD_EXPIRY_HEADER not in hooked.token_requests[-1].headers
    tokens = store.get_tokens(realm)
    assert tokens is not None
    assert tokens.refresh_hard_expires_at is None


def test_401_refreshes_once_through_the_client(
    manager: OAuthManager, connected: Connected, fake: FakeQBO, store: MemoryStore,
    hooked: Hooked, clock: FakeClock,
) -> None:
    """QBO's 401 on a token the store still thinks valid: one refresh, then the call works."""
    realm = connected.realm_id
    tokens = store.get_tokens(realm)
    assert tokens is not None
    short = fake.issue_access_token(realm, lifetime=1)
    store.save_tokens(realm, attrs.evolve(tokens, access_token=short),
                      expected_version=tokens.version)
    clock.advance(2)
    with manager.client(realm) as client:
        assert client.company_info().company_name == "Acme Ltd"
    assert hooked.grants() == ["authorization_code", "refresh_token"]
    after = store.get_tokens(realm)
    assert after is not None
    assert after.access_token != short


def test_token_rejected_after_someone_else_refreshed(
    manager: OAuthManager, connected: Connected, hooked: Hooked, store: MemoryStore
) -> None:
    """A 401 on an old token when the store already holds a newer one: no second refresh."""
    tokens = store.get_tokens(connected.realm_id)
    assert tokens is not None
    fresh = manager.token_provider().token_rejected(connected.realm_id, "an-older-token")
    assert fresh == tokens.access_token
    assert hooked.grants() == ["authorization_code"]


def test_single_flight_across_threads(
    manager: OAuthManager, connected: Connected, hooked: Hooked, clock: FakeClock
) -> None:
    """Eight threads needing a refresh at once cause exactly one refresh."""
    clock.advance(dt.timedelta(hours=2))
    provider = manager.token_provider()
    barrier = threading.Barrier(8)
    results: list[str] = []

    def work() -> None:
        barrier.wait()
        results.append(provider.get_token(connected.realm_id))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(set(results)) == 1
    assert hooked.grants() == ["authorization_code", "refresh_token"]


def test_invalid_grant_rereads_the_store(
    manager: OAuthManager, connected: Connected, hooked: Hooked, store: MemoryStore,
    fake: FakeQBO, config: OAuthConfig,
) -> None:
    """invalid_grant because another worker rotated meanwhile: its tokens are used."""
    realm = connected.realm_id
    current = store.get_tokens(realm)
    assert current is not None

    def other_worker(_: httpx.Request) -> None:
        response = _raw_refresh(fake, config, current.refresh_token)
        body = response.json()
        rotated = attrs.evolve(current, access_token=body["access_token"],
                               refresh_token=body["refresh_token"])
        store.save_tokens(realm, rotated, expected_version=None)

    hooked.before_token = other_worker
    info = manager.refresh(realm)
    latest = store.get_tokens(realm)
    assert latest is not None
    assert latest.refresh_token != current.refresh_token
    assert info.state.value == "connected"
    connection = store.get_connection(realm)
    assert connection is not None
    assert connection.status is ConnectionStatus.CONNECTED


def test_invalid_grant_marks_needs_reauthorization(
    manager: OAuthManager, connected: Connected, hooked: Hooked, store: MemoryStore
) -> None:
    """A refused refresh token marks the connection; later calls fail without asking Intuit."""
    realm = connected.realm_id
    tokens = store.get_tokens(realm)
    assert tokens is not None
    store.save_tokens(realm, attrs.evolve(tokens, refresh_token="AB11revoked-or-expired"),
                      expected_version=tokens.version)
    with pytest.raises(ReauthorizationRequired, match="invalid_grant") as info:
        manager.refresh(realm)
    assert info.value.intuit_tid
    connection = store.get_connection(realm)
    assert connection is not None
    assert connection.status is ConnectionStatus.NEEDS_REAUTHORIZATION
    assert connection.status_reason == "invalid_grant"
    calls = len(hooked.token_requests)
    with pytest.raises(ReauthorizationRequired, match="connected again"):
        manager.refresh(realm)
    assert len(hooked.token_requests) == calls
    assert manager.connection_info(realm).state.value == "needs_reauthorization"


def test_cas_conflict_keeps_the_other_write(
    manager: OAuthManager, connected: Connected, hooked: Hooked, store: MemoryStore
) -> None:
    """If tokens change without the lock during a refresh (a reconnect), that write wins."""
    realm = connected.realm_id
    current = store.get_tokens(realm)
    assert current is not None
    reconnect = attrs.evolve(current, access_token="eyJreconnected", refresh_token="AB11re")

    hooked.before_token = lambda _: store.save_tokens(realm, reconnect, expected_version=None)
    manager.refresh(realm)
    latest = store.get_tokens(realm)
    assert latest is not None
    assert latest.access_token == "eyJreconnected"
    assert latest.version == current.version + 1
