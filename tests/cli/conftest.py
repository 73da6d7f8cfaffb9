"""Fixtures for the command-line tests: a fake QBO that remembers every secret it handed out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from qbo_sync.cli import _demo
from qbo_sync.testing import FakeClock, FakeQBO


class _Recording(httpx.BaseTransport):
    """Passes requests to the fake and keeps every token, code and state in its answers."""

    def __init__(self, inner: httpx.BaseTransport, secrets: set[str]) -> None:
        self._inner = inner
        self._secrets = secrets

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        body = response.read()
        if request.url.path.endswith("/tokens/bearer") and response.status_code == 200:
            grant: dict[str, Any] = json.loads(body)
            for name in ("access_token", "refresh_token", "id_token"):
                if grant.get(name):
                    self._secrets.add(grant[name])
        location = response.headers.get("location")
        if location:
            for name in ("code", "state"):
                self._secrets.update(parse_qs(urlsplit(location).query).get(name, []))
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )


class RecordingFake(FakeQBO):
    """A FakeQBO whose app secret, verifier token and issued tokens are collected."""

    def __init__(self, *, secrets: set[str], **options: Any) -> None:
        super().__init__(**options)
        self.secrets = secrets
        secrets.add(self.webhooks.verifier_token)

    def register_app(self, *, client_id: str, client_secret: str, redirect_uris: Any) -> None:
        self.secrets.add(client_secret)
        super().register_app(
            client_id=client_id, client_secret=client_secret, redirect_uris=redirect_uris
        )

    def transport(self) -> httpx.BaseTransport:
        return _Recording(super().transport(), self.secrets)


def file_secrets(db: Path) -> set[str]:
    """The secrets kept beside ``db``: the secrets file's values, and every token and
    client secret in the fake QBO's saved state."""
    found: set[str] = set()
    secrets_file = Path(f"{db}.secrets.json")
    if secrets_file.exists():
        found.update(json.loads(secrets_file.read_text()).values())
    state_file = Path(f"{db}.fake-qbo.json")
    if state_file.exists():
        oauth = json.loads(state_file.read_text())["oauth"]
        found.update(oauth["refresh_tokens"])
        found.update(oauth["access_tokens"])
        found.update(app["client_secret"] for app in oauth["apps"])
    return found


@pytest.fixture
def demo_secrets(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every secret of the demo runs of a test: tokens, codes, states, client secret, keys."""
    secrets: set[str] = set()

    def build(*, clock: FakeClock, verifier_token: str) -> FakeQBO:
        return RecordingFake(secrets=secrets, clock=clock, verifier_token=verifier_token)

    real_generate = _demo.TokenCipher.generate_key

    def generate_key() -> str:
        key = real_generate()
        secrets.add(key)
        return key

    monkeypatch.setattr(_demo, "build_fake", build)
    monkeypatch.setattr(_demo.TokenCipher, "generate_key", staticmethod(generate_key))
    return secrets
