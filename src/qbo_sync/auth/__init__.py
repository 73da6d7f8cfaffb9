"""OAuth 2.0 with Intuit: connect, refresh, reconnect, disconnect.

:class:`OAuthManager` owns a company's connection from the Connect button to
the Disconnect button: the authorization URL and its ``state``, the callback,
the code exchange, token refresh (single-flight per realm across processes,
rotated refresh tokens saved by compare-and-swap), connection states, the
keep-alive job and revocation. Everything it remembers goes through a
:mod:`qbo_sync.storage` backend.
"""

from qbo_sync.auth._config import OAuthConfig
from qbo_sync.auth._endpoints import (
    DEFAULT_DISCOVERY_URLS,
    EndpointSource,
    IntuitEndpoints,
    discover_endpoints,
    published_endpoints,
)
from qbo_sync.auth._flow import (
    ACCOUNTING_SCOPE,
    OPENID_SCOPES,
    PAYMENT_SCOPE,
    CallbackParams,
    parse_callback,
)
from qbo_sync.auth._intuit import HARD_EXPIRY_HEADER
from qbo_sync.auth._manager import OAuthManager, OAuthStore
from qbo_sync.auth._redact import fingerprint
from qbo_sync.auth._refresh import ManagedTokenProvider
from qbo_sync.auth._results import (
    AuthorizationRequest,
    CheckOutcome,
    Connected,
    ConnectFailed,
    ConnectFailure,
    ConnectionCheck,
    ConnectionInfo,
    ConnectionState,
    ConnectResult,
    DisconnectReport,
    KeepAliveFailure,
    KeepAliveReport,
    VoidFailure,
)
from qbo_sync.auth._status import compute_connection_info
from qbo_sync.auth._tokens import TokenGrant, parse_token_error, parse_token_response

__all__ = [
    "ACCOUNTING_SCOPE",
    "DEFAULT_DISCOVERY_URLS",
    "HARD_EXPIRY_HEADER",
    "OPENID_SCOPES",
    "PAYMENT_SCOPE",
    "AuthorizationRequest",
    "CallbackParams",
    "CheckOutcome",
    "ConnectFailed",
    "ConnectFailure",
    "ConnectResult",
    "Connected",
    "ConnectionCheck",
    "ConnectionInfo",
    "ConnectionState",
    "DisconnectReport",
    "EndpointSource",
    "IntuitEndpoints",
    "KeepAliveFailure",
    "KeepAliveReport",
    "ManagedTokenProvider",
    "OAuthConfig",
    "OAuthManager",
    "OAuthStore",
    "TokenGrant",
    "VoidFailure",
    "compute_connection_info",
    "discover_endpoints",
    "fingerprint",
    "parse_callback",
    "parse_token_error",
    "parse_token_response",
    "published_endpoints",
]
