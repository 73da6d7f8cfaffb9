"""Where the client gets its bearer token from."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from qbo_sync.errors import ConfigurationError

__all__ = ["StaticTokenProvider", "TokenProvider"]


@runtime_checkable
class TokenProvider(Protocol):
    """Supplies access tokens per realm; the OAuth manager implements it.

    The client calls :meth:`get_token` before each request. When QBO answers
    401 to a token, the client calls :meth:`token_rejected` with that token
    and retries once with the token it returns, if any.
    """

    def get_token(self, realm_id: str) -> str:
        """Return a valid access token for ``realm_id``."""
        ...

    def token_rejected(self, realm_id: str, token: str) -> str | None:
        """QBO said 401 to ``token``: return a fresh token to retry once, or ``None``."""
        ...


class StaticTokenProvider:
    """A fixed access token (scripts, tests, tokens managed elsewhere).

    It cannot refresh, so :meth:`token_rejected` returns ``None`` and the
    401 reaches the caller as :class:`~qbo_sync.errors.AuthError`. Its repr
    never shows the token.
    """

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not token.strip():
            raise ConfigurationError("StaticTokenProvider: the access token is empty")
        self._token = token

    def get_token(self, realm_id: str) -> str:
        """Return the token, whatever the realm."""
        return self._token

    def token_rejected(self, realm_id: str, token: str) -> str | None:
        """Return ``None``: a static token has nothing fresher to offer."""
        return None

    def __repr__(self) -> str:
        return "StaticTokenProvider(token='***')"
