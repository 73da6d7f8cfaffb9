"""Fixtures for the OAuth manager tests: a fake QBO on virtual time, a store, a manager."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from cryptography.fernet import Fernet

from qbo_sync import Environment
from qbo_sync.auth import Connected, ConnectResult, OAuthConfig, OAuthManager
from qbo_sync.storage import MemoryStore
from qbo_sync.testing import FakeClock, FakeQBO

CLIENT_ID = "ABfakeclientid0123"
CLIENT_SECRET = "fake-client-secret-0123456789abcdef"
REDIRECT_URI = "https://app.example.com/qbo/callback"
VERIFIER = "fake-webhook-verifier-token-4567"


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time shared by the fake, the store and the manager."""
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeQBO:
    """A fake QBO with the test app registered (no rate limits)."""
    qbo = FakeQBO(clock=clock, limits=False)
    qbo.register_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[REDIRECT_URI])
    return qbo


@pytest.fixture
def realm(fake: FakeQBO) -> str:
    """A company in the fake (the first one: what consent picks by default)."""
    return fake.add_company(company_name="Acme Ltd")


@pytest.fixture
def other_realm(fake: FakeQBO, realm: str) -> str:
    """A second company in the fake."""
    return fake.add_company(company_name="Other Books Inc")


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    """An in-memory store on the virtual clock."""
    return MemoryStore(clock=clock.now)


@pytest.fixture
def config() -> OAuthConfig:
    """The test app's configuration."""
    return OAuthConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        environment=Environment.SANDBOX,
        token_encryption_key=Fernet.generate_key().decode(),
        webhook_verifier_token=VERIFIER,
    )


@pytest.fixture
def manager(
    store: MemoryStore, config: OAuthConfig, fake: FakeQBO, clock: FakeClock
) -> Iterator[OAuthManager]:
    """An OAuth manager talking to the fake in-process."""
    with OAuthManager(
        store=store, config=config, transport=fake.transport(), clock=clock.now
    ) as oauth:
        yield oauth


@pytest.fixture
def browse(fake: FakeQBO) -> Callable[[str], str]:
    """Play the user's browser: open Intuit's URL, return the callback URL it redirects to."""

    def go(url: str) -> str:
        with httpx.Client(transport=fake.transport()) as browser:
            response = browser.get(url)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI)
        return location

    return go


@pytest.fixture
def connect(
    manager: OAuthManager, fake: FakeQBO, browse: Callable[[str], str]
) -> Callable[..., ConnectResult]:
    """Run the whole connect flow for a tenant (optionally to a given company)."""

    def run(
        tenant_id: str | None = "tenant-1",
        *,
        realm_id: str | None = None,
        allow_realm_change: bool = False,
    ) -> ConnectResult:
        if realm_id is not None:
            fake.next_consent(realm_id=realm_id)
        request = manager.authorization_url(
            tenant_id=tenant_id, allow_realm_change=allow_realm_change
        )
        return manager.handle_callback(browse(request.url), tenant_id=tenant_id)

    return run


@pytest.fixture
def connected(connect: Callable[..., ConnectResult], realm: str) -> Connected:
    """The default company connected for tenant-1."""
    result = connect(realm_id=realm)
    assert isinstance(result, Connected), result
    return result
