"""The connect flow end to end against the fake QBO (in-process transport)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from qbo_sync import Environment
from qbo_sync.auth import (
    Connected,
    ConnectFailed,
    ConnectFailure,
    ConnectionState,
    ConnectResult,
    EndpointSource,
    OAuthManager,
)
from qbo_sync.errors import ReauthorizationRequired
from qbo_sync.storage import ConnectionStatus, EntityLink, MemoryStore
from qbo_sync.testing import FakeClock, FakeQBO

Browse = Callable[[str], str]
Connect = Callable[..., ConnectResult]


def test_connect_saves_tokens_and_connection(
    manager: OAuthManager, store: MemoryStore, realm: str, connect: Connect, clock: FakeClock
) -> None:
    """A full connect: company name read, tokens (with hard expiry) and connection stored."""
    result = connect(realm_id=realm)
    assert isinstance(result, Connected)
    assert result.ok is True
    assert (result.realm_id, result.company_name, result.environment) == (
        realm, "Acme Ltd", Environment.SANDBOX
    )
    assert result.connected_at == clock.now()
    assert result.reconnected is False
    tokens = store.get_tokens(realm)
    assert tokens is not None
    assert tokens.version == 1
    assert tokens.access_expires_at == clock.now() + dt.timedelta(hours=1)
    assert tokens.refresh_expires_at == clock.now() + dt.timedelta(days=100)
    # The fake only sends the hard expiry when the opt-in header was present.
    assert tokens.refresh_hard_expires_at == clock.now() + dt.timedelta(days=5 * 365)
    connection = store.get_connection(realm)
    assert connection is not None
    assert (connection.tenant_id, connection.status) == ("tenant-1", ConnectionStatus.CONNECTED)
    assert manager.connection_info(realm).state is ConnectionState.CONNECTED


def test_discovery_is_used_with_the_fake(manager: OAuthManager) -> None:
    """The fake serves the discovery document at Intuit's path; the manager uses it."""
    assert manager.endpoints.source is EndpointSource.DISCOVERY


def test_authorization_url_defaults_to_accounting_scope(manager: OAuthManager) -> None:
    """The URL asks for the accounting scope only, unless told otherwise."""
    query = parse_qs(urlsplit(manager.authorization_url(tenant_id="t").url).query)
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]
    openid = manager.authorization_url(
        tenant_id="t", scopes=["com.intuit.quickbooks.accounting", "openid", "email"]
    )
    assert parse_qs(urlsplit(openid.url).query)["scope"] == [
        "com.intuit.quickbooks.accounting openid email"
    ]


def test_user_denies_access(
    manager: OAuthManager, fake: FakeQBO, browse: Browse, store: MemoryStore, realm: str
) -> None:
    """Cancel on Intuit's page comes back as ACCESS_DENIED; nothing is stored."""
    fake.next_consent(deny=True)
    request = manager.authorization_url(tenant_id="tenant-1")
    result = manager.handle_callback(browse(request.url), tenant_id="tenant-1")
    assert isinstance(result, ConnectFailed)
    assert result.ok is False
    assert result.reason is ConnectFailure.ACCESS_DENIED
    assert result.error == "access_denied"
    assert result.tenant_id == "tenant-1"
    assert store.list_connections() == []


def test_other_oauth_error(manager: OAuthManager, browse: Browse, realm: str) -> None:
    """An invalid scope comes back as AUTHORIZATION_ERROR naming the error."""
    request = manager.authorization_url(tenant_id="t", scopes=["not-a-scope"])
    result = manager.handle_callback(browse(request.url), tenant_id="t")
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.AUTHORIZATION_ERROR
    assert "invalid_scope" in result.message


def test_missing_and_unknown_state(manager: OAuthManager, realm: str) -> None:
    """No state, or a state this app never issued, is refused before any exchange."""
    missing = manager.handle_callback(f"code=AB11x&realmId={realm}", tenant_id="t")
    unknown = manager.handle_callback(
        f"code=AB11x&realmId={realm}&state=forged.123", tenant_id="t"
    )
    assert isinstance(missing, ConnectFailed)
    assert isinstance(unknown, ConnectFailed)
    assert missing.reason is ConnectFailure.STATE_MISSING
    assert unknown.reason is ConnectFailure.STATE_UNKNOWN


def test_expired_state(
    manager: OAuthManager, browse: Browse, clock: FakeClock, store: MemoryStore, realm: str
) -> None:
    """A callback after the state's lifetime (15 minutes) is refused as expired."""
    request = manager.authorization_url(tenant_id="t")
    callback = browse(request.url)
    clock.advance(dt.timedelta(minutes=16))
    result = manager.handle_callback(callback, tenant_id="t")
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.STATE_EXPIRED
    assert store.get_tokens(realm) is None


def test_reused_state_exchanges_the_code_once(
    manager: OAuthManager, browse: Browse, fake: FakeQBO, store: MemoryStore, realm: str
) -> None:
    """Replaying a callback is refused as reused, without a second code exchange."""
    callback = browse(manager.authorization_url(tenant_id="t").url)
    first = manager.handle_callback(callback, tenant_id="t")
    oauth_requests = fake.stats.snapshot()
    second = manager.handle_callback(callback, tenant_id="t")
    third = manager.handle_callback(callback, tenant_id="t")
    assert isinstance(first, Connected)
    assert isinstance(second, ConnectFailed)
    assert isinstance(third, ConnectFailed)
    assert second.reason is ConnectFailure.STATE_REUSED
    assert third.reason is ConnectFailure.STATE_REUSED
    assert fake.stats.snapshot() == oauth_requests
    tokens = store.get_tokens(realm)
    assert tokens is not None
    assert tokens.version == 1


def test_foreign_tenant_state(
    manager: OAuthManager, browse: Browse, store: MemoryStore, realm: str
) -> None:
    """A state issued for tenant A is refused when the callback arrives for tenant B."""
    callback = browse(manager.authorization_url(tenant_id="tenant-A").url)
    result = manager.handle_callback(callback, tenant_id="tenant-B")
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.STATE_FOREIGN
    assert store.get_tokens(realm) is None


def test_foreign_user_state(manager: OAuthManager, browse: Browse, realm: str) -> None:
    """A state bound to a user is refused for another user of the same tenant."""
    callback = browse(manager.authorization_url(tenant_id="t", user_id="u1").url)
    result = manager.handle_callback(callback, tenant_id="t", user_id="u2")
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.STATE_FOREIGN


def test_code_rejected(manager: OAuthManager, browse: Browse, realm: str) -> None:
    """An authorization code already exchanged is refused by Intuit: CODE_REJECTED."""
    callback = browse(manager.authorization_url(tenant_id="t").url)
    assert isinstance(manager.handle_callback(callback, tenant_id="t"), Connected)
    used_code = parse_qs(urlsplit(callback).query)["code"][0]
    fresh = manager.authorization_url(tenant_id="t")
    result = manager.handle_callback(
        {"code": used_code, "state": fresh.state, "realmId": realm}, tenant_id="t"
    )
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.CODE_REJECTED
    assert result.error == "invalid_grant"


def test_malformed_callback(manager: OAuthManager, realm: str) -> None:
    """A valid state without a code is MALFORMED_CALLBACK."""
    request = manager.authorization_url(tenant_id="t")
    result = manager.handle_callback({"state": request.state, "realmId": realm}, tenant_id="t")
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.MALFORMED_CALLBACK
    assert "code" in result.message


def test_reconnect_same_realm_keeps_links(
    manager: OAuthManager, store: MemoryStore, connected: Connected, connect: Connect,
    clock: FakeClock,
) -> None:
    """Reconnecting replaces tokens, clears NEEDS_REAUTHORIZATION and keeps links."""
    realm = connected.realm_id
    store.save_links([EntityLink(realm_id=realm, entity_type="Invoice", local_id="inv-1",
                                 qbo_id="1", sync_token="0")])
    connection = store.get_connection(realm)
    assert connection is not None
    store.save_connection(connection.__class__(
        realm_id=realm, environment=connection.environment, tenant_id="tenant-1",
        company_name="Acme Ltd", status=ConnectionStatus.NEEDS_REAUTHORIZATION,
        connected_at=connection.connected_at, status_reason="invalid_grant"))
    before = store.get_tokens(realm)
    clock.advance(60)
    result = connect(realm_id=realm)
    assert isinstance(result, Connected)
    assert result.reconnected is True
    after = store.get_tokens(realm)
    assert before is not None
    assert after is not None
    assert after.refresh_token != before.refresh_token
    assert after.version == before.version + 1
    assert store.list_links(realm) != []
    assert manager.connection_info(realm).state is ConnectionState.CONNECTED


def test_realm_change_needs_confirmation(
    manager: OAuthManager, store: MemoryStore, connected: Connected, connect: Connect,
    other_realm: str, fake: FakeQBO,
) -> None:
    """Connecting the tenant to other books is refused, then allowed when confirmed."""
    refused = connect(realm_id=other_realm)
    assert isinstance(refused, ConnectFailed)
    assert refused.reason is ConnectFailure.REALM_CHANGE_REFUSED
    assert refused.previous_realm_id == connected.realm_id
    assert "Acme Ltd" in refused.message
    assert store.get_tokens(other_realm) is None
    old_tokens = store.get_tokens(connected.realm_id)
    assert old_tokens is not None

    allowed = connect(realm_id=other_realm, allow_realm_change=True)
    assert isinstance(allowed, Connected)
    assert allowed.previous_realm_id == connected.realm_id
    assert allowed.company_name == "Other Books Inc"
    old = manager.connection_info(connected.realm_id)
    assert (old.state, old.reason) == (ConnectionState.DISCONNECTED, "realm_changed")
    assert store.get_tokens(connected.realm_id) is None


def test_realm_change_can_be_confirmed_at_callback(
    manager: OAuthManager, connected: Connected, other_realm: str, fake: FakeQBO, browse: Browse
) -> None:
    """allow_realm_change on handle_callback overrides what the URL was built with."""
    fake.next_consent(realm_id=other_realm)
    callback = browse(manager.authorization_url(tenant_id="tenant-1").url)
    result = manager.handle_callback(callback, tenant_id="tenant-1", allow_realm_change=True)
    assert isinstance(result, Connected)
    assert result.realm_id == other_realm


def test_realm_of_another_tenant_is_refused(
    connected: Connected, connect: Connect, store: MemoryStore
) -> None:
    """A company already connected to another tenant cannot be taken over."""
    result = connect("tenant-2", realm_id=connected.realm_id)
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.REALM_IN_USE
    connection = store.get_connection(connected.realm_id)
    assert connection is not None
    assert connection.tenant_id == "tenant-1"


def test_not_connected_realm_has_no_token(manager: OAuthManager) -> None:
    """Asking a token for an unknown realm raises ReauthorizationRequired, naming the realm."""
    with pytest.raises(ReauthorizationRequired, match="123145"):
        manager.access_token("123145")


def test_realm_id_must_look_like_a_company_id(manager: OAuthManager, realm: str) -> None:
    """A realmId with path characters is refused before the code is exchanged."""
    request = manager.authorization_url(tenant_id="t")
    result = manager.handle_callback(
        {"state": request.state, "code": "AB11x", "realmId": "../../admin"}, tenant_id="t"
    )
    assert isinstance(result, ConnectFailed)
    assert result.reason is ConnectFailure.MALFORMED_CALLBACK
    assert "realmId" in result.message


def test_manager_reads_config_from_environment(
    monkeypatch: pytest.MonkeyPatch, store: MemoryStore, fake: FakeQBO
) -> None:
    """Without config= the manager reads the QUICKBOOKS_* variables."""
    monkeypatch.setenv("QUICKBOOKS_CLIENT_ID", "env-client")
    monkeypatch.setenv("QUICKBOOKS_CLIENT_SECRET", "env-secret-value")
    monkeypatch.setenv("QUICKBOOKS_REDIRECT_URI", "https://env.example.com/cb")
    monkeypatch.setenv("QUICKBOOKS_ENVIRONMENT", "production")
    monkeypatch.setenv("QUICKBOOKS_TOKEN_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with OAuthManager(store=store, transport=fake.transport(), discover=False) as oauth:
        assert oauth.config.client_id == "env-client"
        assert oauth.environment is Environment.PRODUCTION
        assert oauth.endpoints.source is EndpointSource.PUBLISHED
