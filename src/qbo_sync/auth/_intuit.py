"""The only code that talks to Intuit's OAuth endpoints (code, refresh, revoke).

authlib builds the requests (grant parameters, client authentication); the
I/O is plain httpx so every request carries Intuit's opt-in hard-expiry
header and every answer keeps its ``intuit_tid`` and status for our errors.
authlib's ``OAuth2Client`` holds one mutable token per client object and
raises errors without the response, which does not fit a manager that
serves many realms from storage with compare-and-swap.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from qbo_sync import _json
from qbo_sync.errors import TransportError
from qbo_sync.http import intuit_tid_from

from ._config import OAuthConfig
from ._endpoints import IntuitEndpoints, discover_endpoints, published_endpoints
from ._redact import fingerprint
from ._tokens import TokenGrant, parse_token_error, parse_token_response

__all__ = ["HARD_EXPIRY_HEADER", "IntuitOAuth"]

_log = logging.getLogger("qbo_sync.auth")

#: Opt-in header: Intuit then adds ``x_refresh_token_hard_expires_in`` (facts 2.4).
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"


class IntuitOAuth:
    """Code exchange, refresh and revocation against Intuit (or a fake).

    Args:
        config: The app's credentials.
        http: The client used for every request (its transport is the seam).
        clock: Returns the current aware time.
        endpoints: Fixed endpoints; ``None`` discovers them on first use.
        discover: Whether to fetch the discovery document at all (``False``
            uses the published table without a request).
        request_hard_expiry: Send :data:`HARD_EXPIRY_HEADER`.
    """

    def __init__(
        self,
        *,
        config: OAuthConfig,
        http: httpx.Client,
        clock: Callable[[], dt.datetime],
        endpoints: IntuitEndpoints | None = None,
        discover: bool = True,
        request_hard_expiry: bool = True,
    ) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._endpoints = endpoints
        self._discover = discover
        self._request_hard_expiry = request_hard_expiry
        self._lock = threading.Lock()
        self._auth = ClientAuth(config.client_id, config.client_secret, "client_secret_basic")

    def __repr__(self) -> str:
        return f"IntuitOAuth(client_id={self._config.client_id!r})"

    @property
    def endpoints(self) -> IntuitEndpoints:
        """The endpoints in use (discovered once, then cached)."""
        with self._lock:
            if self._endpoints is None:
                if self._discover:
                    self._endpoints = discover_endpoints(
                        self._http,
                        environment=self._config.environment,
                        discovery_url=self._config.discovery_url,
                    )
                else:
                    self._endpoints = published_endpoints(self._config.environment)
            return self._endpoints

    def exchange_code(self, code: str, *, redirect_uri: str) -> TokenGrant:
        """Trade an authorization code for tokens (sent once, never retried).

        Raises:
            InvalidGrantError: The code is expired or was already used.
            OAuthError: Intuit refused for another reason (``invalid_client`` ...).
            TransportError: No answer.
        """
        body = prepare_token_request("authorization_code", code=code, redirect_uri=redirect_uri)
        return self._token_request(body, action="code exchange", secrets=(code,))

    def refresh(self, refresh_token: str) -> TokenGrant:
        """Use a refresh token.

        Raises:
            InvalidGrantError: The refresh token is superseded, expired or revoked.
            OAuthError: Intuit refused for another reason.
            TransportError: No answer.
        """
        body = prepare_token_request("refresh_token", refresh_token=refresh_token)
        _log.debug("refreshing with refresh token %s", fingerprint(refresh_token))
        return self._token_request(body, action="refresh", secrets=(refresh_token,))

    def revoke(self, token: str) -> None:
        """Revoke a refresh (or access) token at Intuit.

        Raises:
            OAuthError: Intuit refused (status and ``error`` kept).
            TransportError: No answer.
        """
        url = self.endpoints.revocation_endpoint
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        body = _json.dumps({"token": token})
        url, headers, body = self._auth.prepare("POST", url, headers, body)
        response = self._send("POST", url, headers=headers, content=body, action="revocation")
        if response.status_code != 200:
            raise parse_token_error(
                response.status_code,
                response.content,
                intuit_tid=intuit_tid_from(response.headers),
                secrets=(token,),
                action="revocation",
            )

    def _token_request(self, body: str, *, action: str, secrets: tuple[str, ...]) -> TokenGrant:
        url = self.endpoints.token_endpoint
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        if self._request_hard_expiry:
            headers[HARD_EXPIRY_HEADER] = "true"
        url, headers, body = self._auth.prepare("POST", url, headers, body)
        sent_at = self._clock()
        response = self._send(
            "POST", url, headers=headers, content=body.encode("ascii"), action=action
        )
        tid = intuit_tid_from(response.headers)
        if response.status_code != 200:
            raise parse_token_error(
                response.status_code, response.content, intuit_tid=tid, secrets=secrets,
                action=action,
            )
        return parse_token_response(response.content, obtained_at=sent_at, intuit_tid=tid)

    def _send(
        self, method: str, url: str, *, headers: dict[str, str], content: bytes, action: str
    ) -> httpx.Response:
        try:
            return self._http.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            # The exception text may quote the request; keep only its type.
            raise TransportError(
                f"no answer from Intuit's OAuth server for the {action} ({type(exc).__name__})"
            ) from exc
