"""No token, code, state or secret reaches logs, reprs or exception text."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import attrs
import httpx
import pytest

from qbo_sync.auth import (
    Connected,
    OAuthConfig,
    OAuthManager,
    parse_token_response,
)
from qbo_sync.errors import QBOError
from qbo_sync.storage import EntityLink, MemoryStore
from qbo_sync.testing import FakeClock, FakeQBO


class Recorder(httpx.BaseTransport):
    """Remembers every token the fake hands out."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.secrets: set[str] = set()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/tokens/bearer"):
            response.read()
            try:
                body = json.loads(response.content)
            except ValueError:
                body = {}
            with self._lock:
                for key in ("access_token", "refresh_token", "id_token"):
                    if isinstance(body.get(key), str):
                        self.secrets.add(body[key])
        return response


@pytest.fixture
def recorder(fake: FakeQBO) -> Recorder:
    """The fake's transport, recording tokens."""
    return Recorder(fake.transport())


@pytest.fixture
def manager(
    store: MemoryStore, config: OAuthConfig, recorder: Recorder, clock: FakeClock
) -> Iterator[OAuthManager]:
    """The manager through the recorder."""
    with OAuthManager(store=store, config=config, transport=recorder, clock=clock.now) as oauth:
        yield oauth


def _browse(fake: FakeQBO, url: str) -> str:
    # Straight to the transport: the test's own "browser" must not log the URL.
    response = fake.transport().handle_request(httpx.Request("GET", url))
    return response.headers["location"]


def _texts(obj: object) -> list[str]:
    texts = [repr(obj), str(obj)]
    if isinstance(obj, BaseException):
        cause = obj.__cause__ or obj.__context__
        if cause is not None:
            texts += _texts(cause)
    return texts


def test_nothing_secret_leaks(
    manager: OAuthManager, fake: FakeQBO, store: MemoryStore, config: OAuthConfig,
    recorder: Recorder, clock: FakeClock, realm: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """A whole life cycle at DEBUG: logs, reprs and error texts hold no secret."""
    caplog.set_level(logging.DEBUG)
    seen: list[object] = [manager, manager.token_provider(), config, store]
    errors: list[BaseException] = []

    request = manager.authorization_url(tenant_id="t1", scopes=[
        "com.intuit.quickbooks.accounting", "openid", "email"])
    callback = _browse(fake, request.url)
    params = parse_qs(urlsplit(callback).query)
    result = manager.handle_callback(callback, tenant_id="t1")
    assert isinstance(result, Connected)
    seen += [request, result, manager.handle_callback(callback, tenant_id="t1")]
    seen += [store.get_tokens(realm), manager.connection_info(realm)]

    clock.advance(dt.timedelta(hours=2))
    seen += [manager.test_connection(realm), manager.refresh(realm)]
    clock.advance(dt.timedelta(days=40))
    seen.append(manager.keep_alive())
    grant = parse_token_response(
        {"access_token": "eyJgrant-access-value", "refresh_token": "AB11grant-refresh-value",
         "expires_in": 3600, "x_refresh_token_expires_in": 8726400, "id_token": "eyJid"},
        obtained_at=clock.now(),
    )
    seen.append(grant)
    recorder.secrets |= {"eyJgrant-access-value", "AB11grant-refresh-value"}

    tokens = store.get_tokens(realm)
    assert tokens is not None
    store.save_tokens(realm, attrs.evolve(tokens, refresh_token="AB11planted-dead-token"),
                      expected_version=tokens.version)
    recorder.secrets.add("AB11planted-dead-token")
    try:
        manager.refresh(realm)
    except QBOError as exc:
        errors.append(exc)
    seen.append(manager.test_connection(realm))

    bad_config = attrs.evolve(config, client_secret="wrong-secret-value-0000")
    with OAuthManager(store=store, config=bad_config, transport=fake.transport(),
                      clock=clock.now) as bad:
        seen.append(bad)
        callback2 = _browse(fake, bad.authorization_url(tenant_id="t1").url)
        try:
            bad.handle_callback(callback2, tenant_id="t1")
        except QBOError as exc:
            errors.append(exc)

    store.save_links([EntityLink(realm_id=realm, entity_type="Invoice", local_id="i",
                                 qbo_id="424242", sync_token="0")])
    with pytest.warns(DeprecationWarning, match="SyncEngine.disconnect"):
        seen.append(manager.disconnect(realm, void_invoices=True))

    assert len(errors) == 2
    secrets = set(recorder.secrets) | {
        config.client_secret, "wrong-secret-value-0000", config.token_encryption_key or "",
        config.webhook_verifier_token or "", params["code"][0], params["state"][0],
    }
    assert len(secrets) > 8
    texts = [caplog.text] + [t for obj in seen + errors for t in _texts(obj)]
    for secret in secrets:
        for text in texts:
            assert secret not in text, f"secret leaked into: {text[:200]}"
    assert "sha256:" in caplog.text  # fingerprints are what the logs show instead
