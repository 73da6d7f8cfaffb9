"""Discovery: the configured URL is tried, the published table is the fallback."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from qbo_sync import Environment
from qbo_sync.auth import (
    DEFAULT_DISCOVERY_URLS,
    EndpointSource,
    IntuitEndpoints,
    discover_endpoints,
    published_endpoints,
)

DOC = {
    "issuer": "https://oauth.platform.intuit.com/op/v1",
    "authorization_endpoint": "https://auth.example.test/connect/oauth2",
    "token_endpoint": "https://auth.example.test/oauth2/v1/tokens/bearer",
    "revocation_endpoint": "https://auth.example.test/v2/oauth2/tokens/revoke",
    "userinfo_endpoint": "https://auth.example.test/v1/openid_connect/userinfo",
    "jwks_uri": "https://auth.example.test/op/v1/jwks",
}


def _client(handler: httpx.MockTransport) -> httpx.Client:
    return httpx.Client(transport=handler)


def test_discovery_document_is_used_when_reachable() -> None:
    """A good document wins, fetched from the configured URL."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=DOC)

    with _client(httpx.MockTransport(handle)) as http:
        endpoints = discover_endpoints(
            http, environment=Environment.SANDBOX, discovery_url="https://disc.example.test/x"
        )
    assert seen == ["https://disc.example.test/x"]
    assert endpoints.source is EndpointSource.DISCOVERY
    assert endpoints.token_endpoint == DOC["token_endpoint"]
    assert endpoints.userinfo_endpoint == DOC["userinfo_endpoint"]


def test_default_url_depends_on_environment() -> None:
    """Without a configured URL the environment's default discovery URL is fetched."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=DOC)

    with _client(httpx.MockTransport(handle)) as http:
        discover_endpoints(http, environment=Environment.SANDBOX)
        discover_endpoints(http, environment=Environment.PRODUCTION)
    assert seen == [
        DEFAULT_DISCOVERY_URLS[Environment.SANDBOX],
        DEFAULT_DISCOVERY_URLS[Environment.PRODUCTION],
    ]
    assert "sandbox" in seen[0]
    assert "sandbox" not in seen[1]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, text="not found"),
        httpx.Response(200, text="<html>moved</html>"),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={**DOC, "token_endpoint": None}),
        httpx.Response(200, json={**DOC, "revocation_endpoint": "ftp://x/revoke"}),
    ],
    ids=["404", "html", "list", "missing-token-endpoint", "bad-scheme"],
)
def test_unusable_answers_fall_back_to_published_table(
    response: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    """Non-200, non-JSON or incomplete documents give the published endpoints, with a warning."""
    with (
        caplog.at_level(logging.WARNING, logger="qbo_sync.auth"),
        _client(httpx.MockTransport(lambda request: response)) as http,
    ):
        endpoints = discover_endpoints(http, environment=Environment.SANDBOX)
    assert endpoints == published_endpoints(Environment.SANDBOX)
    assert endpoints.source is EndpointSource.PUBLISHED
    assert "using published endpoints" in caplog.text


def test_transport_error_falls_back() -> None:
    """A connection failure to the discovery host still yields usable endpoints."""

    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    with _client(httpx.MockTransport(handle)) as http:
        endpoints = discover_endpoints(http, environment=Environment.PRODUCTION)
    assert endpoints.token_endpoint == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"


def test_published_table_matches_facts_sheet() -> None:
    """The fallback table is facts 1.2; only user-info differs by environment."""
    sandbox = published_endpoints(Environment.SANDBOX)
    production = published_endpoints(Environment.PRODUCTION)
    assert sandbox.authorization_endpoint == "https://appcenter.intuit.com/connect/oauth2"
    assert sandbox.revocation_endpoint == (
        "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
    )
    assert sandbox.userinfo_endpoint == (
        "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo"
    )
    assert production.userinfo_endpoint == (
        "https://accounts.platform.intuit.com/v1/openid_connect/userinfo"
    )
    assert sandbox.token_endpoint == production.token_endpoint


def test_http_endpoints_accepted_only_from_http_discovery() -> None:
    """A loopback fake serving http discovery may point at http endpoints; https may not."""
    doc = json.loads(json.dumps(DOC).replace("https://auth.example.test", "http://127.0.0.1:9"))
    with _client(httpx.MockTransport(lambda r: httpx.Response(200, json=doc))) as http:
        local = discover_endpoints(
            http, environment=Environment.SANDBOX,
            discovery_url="http://127.0.0.1:9/.well-known/openid_configuration",
        )
        remote = discover_endpoints(
            http, environment=Environment.SANDBOX,
            discovery_url="https://developer.api.intuit.com/.well-known/openid_configuration",
        )
    assert local.source is EndpointSource.DISCOVERY
    assert remote.source is EndpointSource.PUBLISHED


def test_for_base_url_uses_intuit_paths() -> None:
    """IntuitEndpoints.for_base_url puts Intuit's paths on another host (a fake)."""
    endpoints = IntuitEndpoints.for_base_url("http://127.0.0.1:8123/")
    assert endpoints.token_endpoint == "http://127.0.0.1:8123/oauth2/v1/tokens/bearer"
    assert endpoints.authorization_endpoint == "http://127.0.0.1:8123/connect/oauth2"
    assert endpoints.revocation_endpoint == "http://127.0.0.1:8123/v2/oauth2/tokens/revoke"
