"""The whole life cycle over real HTTP: the fake QBO served on a loopback port."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import httpx
import pytest

from qbo_sync.auth import (
    CheckOutcome,
    Connected,
    ConnectionState,
    EndpointSource,
    OAuthConfig,
    OAuthManager,
)
from qbo_sync.storage import MemoryStore
from qbo_sync.testing import FakeClock, FakeQBO, FakeQBOServer


@pytest.fixture
def server(fake: FakeQBO) -> Iterator[FakeQBOServer]:
    """The fake on 127.0.0.1, a free port."""
    with FakeQBOServer(fake) as running:
        yield running


def test_life_cycle_over_loopback_http(
    server: FakeQBOServer, store: MemoryStore, config: OAuthConfig, clock: FakeClock,
    realm: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """Discovery, connect, refresh, client call, check and revoke over real sockets."""
    caplog.set_level(logging.DEBUG)
    loopback = OAuthConfig(
        client_id=config.client_id,
        client_secret=config.client_secret,
        redirect_uri=config.redirect_uri,
        environment=config.environment,
        discovery_url=f"{server.base_url}/.well-known/openid_sandbox_configuration",
    )
    with OAuthManager(store=store, config=loopback, api_base_url=server.base_url,
                      clock=clock.now) as manager:
        assert manager.endpoints.source is EndpointSource.DISCOVERY
        assert manager.endpoints.token_endpoint.startswith(server.base_url)

        request = manager.authorization_url(tenant_id="t1")
        assert request.url.startswith(f"{server.base_url}/connect/oauth2?")
        answer = httpx.get(request.url)
        assert answer.status_code == 302
        result = manager.handle_callback(answer.headers["location"], tenant_id="t1")
        assert isinstance(result, Connected)
        assert result.company_name == "Acme Ltd"

        clock.advance(dt.timedelta(hours=2))
        with manager.client(realm) as client:
            assert client.company_info().company_name == "Acme Ltd"
        tokens = store.get_tokens(realm)
        assert tokens is not None
        assert tokens.version == 2
        assert manager.test_connection(realm).outcome is CheckOutcome.OK

        report = manager.disconnect(realm)
        assert report.revoked
        assert manager.connection_info(realm).state is ConnectionState.DISCONNECTED
    for secret in (config.client_secret, tokens.access_token, tokens.refresh_token):
        assert secret not in caplog.text
