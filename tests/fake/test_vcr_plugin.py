"""Cassette scrubbing (vcr_config) and the pytest plugin's fixtures."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import httpx
import vcr
import yaml

from qbo_sync.testing import (
    REALM_PLACEHOLDER,
    SECRET_PLACEHOLDER,
    FakeQBO,
    FakeQBOServer,
    no_backoff,
    scrub_request,
    scrub_response,
    scrub_text,
    vcr_config,
)


def test_scrub_text_hides_tokens_codes_and_realms() -> None:
    """JSON token fields, form secrets and realm ids in URIs and bodies are replaced."""
    body = (
        '{"access_token":"eyJabc","refresh_token":"AB11xyz","id_token":"e.f.g",'
        '"expires_in":3600,"realmId":"9130355"}'
    )
    out = scrub_text(body)
    for secret in ("eyJabc", "AB11xyz", "e.f.g", "9130355"):
        assert secret not in out
    assert '"expires_in":3600' in out
    uri = "https://q.api.intuit.com/v3/company/9130355/customer/5?minorversion=75"
    assert scrub_text(uri) == (
        f"https://q.api.intuit.com/v3/company/{REALM_PLACEHOLDER}/customer/5?minorversion=75"
    )
    assert "4620816365" not in scrub_text("x 4620816365 y", realm_ids=["4620816365"])


def test_scrub_request_form_and_headers() -> None:
    """A token-exchange request loses its code, secret and Basic credentials."""
    request = SimpleNamespace(
        uri="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        body=b"grant_type=authorization_code&code=AB11code&redirect_uri=https%3A%2F%2Fa",
        headers={"Authorization": "Basic Y2xpZW50OnNlY3JldA==", "Accept": "application/json"},
    )
    scrub_request(request)
    assert b"AB11code" not in request.body
    assert b"grant_type=authorization_code" in request.body
    assert request.headers["Authorization"] == SECRET_PLACEHOLDER
    assert request.headers["Accept"] == "application/json"


def test_scrub_response_body() -> None:
    """A recorded token response keeps its shape but not its tokens."""
    response: dict[str, Any] = {
        "status": {"code": 200},
        "headers": {"Set-Cookie": ["sid=1"]},
        "body": {"string": b'{"access_token":"eyJ1","refresh_token":"AB11"}'},
    }
    scrub_response(response)
    assert response["body"]["string"] == (
        b'{"access_token":"<SCRUBBED>","refresh_token":"<SCRUBBED>"}'
    )
    assert response["headers"]["Set-Cookie"] == [SECRET_PLACEHOLDER]


def test_recorded_cassette_holds_no_secret(tmp_path: Any) -> None:
    """Recording real HTTP traffic (against a served fake) with vcr_config leaks nothing."""
    fake = FakeQBO()
    realm = fake.add_company()
    token = fake.issue_access_token(realm)
    fake.register_app(client_id="cid", client_secret="csecret", redirect_uris=["http://cb"])
    cassette = tmp_path / "c.yaml"
    recorder = vcr.VCR(**vcr_config(record_mode="all"))
    with FakeQBOServer(fake) as server, recorder.use_cassette(str(cassette)):
        client = httpx.Client(base_url=server.base_url)
        client.post(
            f"/v3/company/{realm}/customer",
            json={"DisplayName": "Rec"},
            headers={"Authorization": f"Bearer {token}"},
        )
        client.post(
            "/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": "AB11secretvalue"},
            auth=("cid", "csecret"),
        )
    text = cassette.read_text()
    for secret in (token, realm, "AB11secretvalue", "Y2lkOmNzZWNyZXQ="):
        assert secret not in text
    recorded = yaml.safe_load(text)["interactions"]
    assert REALM_PLACEHOLDER in recorded[0]["request"]["uri"]


def test_plugin_fixtures(
    fake_qbo: FakeQBO, qbo_realm_id: str, qbo_access_token: str, qbo_no_backoff: None
) -> None:
    """The plugin's fixtures give a fake with one company and a token that works."""
    assert fake_qbo.realm_ids == (qbo_realm_id,)
    client = httpx.Client(
        transport=fake_qbo.transport(), headers={"Authorization": f"Bearer {qbo_access_token}"}
    )
    response = client.get(
        f"https://sandbox-quickbooks.api.intuit.com/v3/company/{qbo_realm_id}/query",
        params={"query": "select * from Customer"},
    )
    assert response.status_code == 200


def test_fake_qbo_server_fixture(fake_qbo_server: FakeQBOServer) -> None:
    """fake_qbo_server serves over loopback HTTP on a free port."""
    assert fake_qbo_server.base_url.startswith("http://127.0.0.1:")
    assert httpx.get(fake_qbo_server.base_url + "/nowhere").status_code == 404


def test_no_backoff_is_the_http_switch() -> None:
    """no_backoff is qbo_sync.http.disable_backoff."""
    from qbo_sync.http import backoff_disabled

    with no_backoff():
        assert backoff_disabled()
    assert not backoff_disabled()


def test_plugin_import_is_cheap() -> None:
    """Importing the plugin does not import the fake, httpx transports or uvicorn."""
    code = (
        "import sys, qbo_sync.testing.pytest_plugin; "
        "print(any(m.startswith(('qbo_sync.testing._fake', 'uvicorn')) for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
