"""Intuit's OAuth endpoints: the published table and discovery with fallback."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

from qbo_sync import _json
from qbo_sync._environment import Environment

__all__ = [
    "DEFAULT_DISCOVERY_URLS",
    "EndpointSource",
    "IntuitEndpoints",
    "discover_endpoints",
    "published_endpoints",
]

_log = logging.getLogger("qbo_sync.auth")

#: Default discovery document per environment. The facts disagree on the host
#: (developer.intuit.com in intuit-oauth for Python, developer.api.intuit.com in
#: the Java and .NET SDKs); we follow the Java/.NET SDKs, which Intuit still
#: released in 2026, and fall back to the published table when it fails.
DEFAULT_DISCOVERY_URLS: Mapping[Environment, str] = {
    Environment.SANDBOX: "https://developer.api.intuit.com/.well-known/openid_sandbox_configuration",
    Environment.PRODUCTION: "https://developer.api.intuit.com/.well-known/openid_configuration",
}


class EndpointSource(str, enum.Enum):
    """Where a set of endpoints came from."""

    DISCOVERY = "discovery"
    PUBLISHED = "published"
    OVERRIDE = "override"


@attrs.frozen(kw_only=True)
class IntuitEndpoints:
    """The OAuth 2.0 / OpenID Connect endpoints of Intuit (or of a fake).

    Attributes:
        authorization_endpoint: Where the user is sent to connect.
        token_endpoint: Code exchange and refresh.
        revocation_endpoint: Token revocation.
        userinfo_endpoint: OpenID user info (differs per environment).
        issuer: The ID-token issuer.
        jwks_uri: The ID-token signing keys.
        source: ``"discovery"``, ``"published"`` or ``"override"``.
    """

    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    userinfo_endpoint: str | None = None
    issuer: str | None = None
    jwks_uri: str | None = None
    source: EndpointSource = EndpointSource.OVERRIDE

    @classmethod
    def for_base_url(cls, base_url: str) -> IntuitEndpoints:
        """Intuit's paths on another host, e.g. a fake QBO served on loopback.

        Args:
            base_url: Scheme and host (and port) such as ``http://127.0.0.1:8123``.

        Returns:
            Endpoints at Intuit's paths under ``base_url``.
        """
        base = base_url.rstrip("/")
        return cls(
            authorization_endpoint=f"{base}/connect/oauth2",
            token_endpoint=f"{base}/oauth2/v1/tokens/bearer",
            revocation_endpoint=f"{base}/v2/oauth2/tokens/revoke",
            userinfo_endpoint=f"{base}/v1/openid_connect/userinfo",
            issuer=f"{base}/op/v1",
            jwks_uri=f"{base}/op/v1/jwks",
            source=EndpointSource.OVERRIDE,
        )


def published_endpoints(environment: Environment) -> IntuitEndpoints:
    """The endpoint table Intuit publishes (facts sheet 1.2), used as fallback.

    Args:
        environment: Only the user-info host differs between environments.

    Returns:
        The published endpoints.
    """
    userinfo_host = (
        "https://sandbox-accounts.platform.intuit.com"
        if environment is Environment.SANDBOX
        else "https://accounts.platform.intuit.com"
    )
    return IntuitEndpoints(
        authorization_endpoint="https://appcenter.intuit.com/connect/oauth2",
        token_endpoint="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",  # noqa: S106
        revocation_endpoint="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        userinfo_endpoint=f"{userinfo_host}/v1/openid_connect/userinfo",
        issuer="https://oauth.platform.intuit.com/op/v1",
        jwks_uri="https://oauth.platform.intuit.com/op/v1/jwks",
        source=EndpointSource.PUBLISHED,
    )


def parse_discovery_document(
    document: Mapping[str, Any], *, allow_http: bool = False
) -> IntuitEndpoints | None:
    """Read endpoints from an OpenID discovery document.

    Args:
        document: The decoded JSON document.
        allow_http: Accept ``http://`` endpoints (a fake on loopback).

    Returns:
        The endpoints, or ``None`` when a required one is missing or not a URL.
    """
    required = ("authorization_endpoint", "token_endpoint", "revocation_endpoint")
    found: dict[str, str | None] = {}
    for key in (*required, "userinfo_endpoint", "issuer", "jwks_uri"):
        value = document.get(key)
        if isinstance(value, str) and _is_url(value, allow_http=allow_http):
            found[key] = value
        elif key in required:
            return None
        else:
            found[key] = None
    return IntuitEndpoints(
        authorization_endpoint=found["authorization_endpoint"] or "",
        token_endpoint=found["token_endpoint"] or "",
        revocation_endpoint=found["revocation_endpoint"] or "",
        userinfo_endpoint=found["userinfo_endpoint"],
        issuer=found["issuer"],
        jwks_uri=found["jwks_uri"],
        source=EndpointSource.DISCOVERY,
    )


def discover_endpoints(
    http: httpx.Client,
    *,
    environment: Environment,
    discovery_url: str | None = None,
) -> IntuitEndpoints:
    """Fetch the discovery document, falling back to the published table.

    Any failure (transport error, non-200, bad JSON, missing endpoint) is
    logged at WARNING and answered with :func:`published_endpoints`; an app
    must still be able to connect when the discovery host moves.

    Args:
        http: The client to fetch with.
        environment: Picks the default discovery URL and the fallback table.
        discovery_url: Overrides :data:`DEFAULT_DISCOVERY_URLS`.

    Returns:
        The endpoints, with ``source`` saying where they came from.
    """
    url = discovery_url or DEFAULT_DISCOVERY_URLS[environment]
    allow_http = urlsplit(url).scheme == "http"
    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        _log.warning("OAuth discovery at %s failed (%s); using published endpoints", url,
                     type(exc).__name__)
        return published_endpoints(environment)
    if response.status_code != 200:
        _log.warning("OAuth discovery at %s answered HTTP %s; using published endpoints", url,
                     response.status_code)
        return published_endpoints(environment)
    try:
        document = _json.loads(response.content)
    except ValueError:
        document = None
    endpoints = (
        parse_discovery_document(document, allow_http=allow_http)
        if isinstance(document, Mapping)
        else None
    )
    if endpoints is None:
        _log.warning("OAuth discovery at %s returned an unusable document; using published "
                     "endpoints", url)
        return published_endpoints(environment)
    _log.debug("OAuth endpoints discovered from %s", url)
    return endpoints


def _is_url(value: str, *, allow_http: bool) -> bool:
    parts = urlsplit(value)
    if not parts.netloc:
        return False
    return parts.scheme == "https" or (allow_http and parts.scheme == "http")
