"""StaticTokenProvider, intuit_tid_from, and the public surface of qbo_sync.http."""

from __future__ import annotations

import pickle

import httpx
import pytest

import qbo_sync.http
from qbo_sync.errors import ConfigurationError
from qbo_sync.http import StaticTokenProvider, TokenProvider, intuit_tid_from, retry_after_from

SECRET = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..secret-part"


def test_static_provider_returns_token_for_any_realm() -> None:
    """get_token gives the same token for every realm; a 401 yields no fresh token."""
    provider = StaticTokenProvider(SECRET)
    assert provider.get_token("123") == SECRET
    assert provider.get_token("456") == SECRET
    assert provider.token_rejected("123", SECRET) is None


def test_static_provider_hides_token() -> None:
    """Neither repr nor str shows the token."""
    provider = StaticTokenProvider(SECRET)
    assert SECRET not in repr(provider)
    assert "secret-part" not in str(provider)
    assert "eyJ" not in f"{provider!r} {provider}"


def test_static_provider_is_a_token_provider() -> None:
    """It satisfies the TokenProvider protocol the client accepts."""
    provider: TokenProvider = StaticTokenProvider("abc")
    assert isinstance(provider, TokenProvider)


@pytest.mark.parametrize("token", ["", "   "])
def test_static_provider_rejects_empty(token: str) -> None:
    """An empty token is a configuration error, not a later 401."""
    with pytest.raises(ConfigurationError, match="empty"):
        StaticTokenProvider(token)


def test_static_provider_cannot_grow_attributes() -> None:
    """__slots__ keeps the token in one private place."""
    provider = StaticTokenProvider("abc")
    with pytest.raises(AttributeError):
        provider.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(provider, "__dict__")
    assert pickle.loads(pickle.dumps(provider)).get_token("r") == "abc"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"intuit_tid": "1-abc"}, "1-abc"),
        ({"Intuit-Tid": "1-def"}, "1-def"),
        ({"INTUIT_TID": " 1-ghi "}, "1-ghi"),
        ({"intuit-tid": ""}, None),
        ({"Content-Type": "application/json"}, None),
        (httpx.Headers({"Intuit-Tid": "gw-1"}), "gw-1"),
    ],
)
def test_intuit_tid_from(headers: dict[str, str], expected: str | None) -> None:
    """intuit_tid is found under either spelling, in any case, in any mapping."""
    assert intuit_tid_from(headers) == expected


def test_retry_after_negative_and_past_dates_clamp_to_zero() -> None:
    """A Retry-After in the past or negative means 'now', not a negative wait."""
    assert retry_after_from({"Retry-After": "-5"}) == 0.0
    assert retry_after_from({"Retry-After": "Tue, 14 Nov 2023 22:00:00 GMT"}, now=2e9) == 0.0
    assert retry_after_from({"Retry-After": "inf"}) is None
    assert retry_after_from({}) is None


def test_all_matches_public_namespace() -> None:
    """__all__ lists exactly the public names of qbo_sync.http, in ruff's order."""
    public = {
        name
        for name in vars(qbo_sync.http)
        if not name.startswith("_") and not isinstance(getattr(qbo_sync.http, name), type(qbo_sync))
    }
    assert set(qbo_sync.http.__all__) == public

    # Sorted the way ruff's RUF022 sorts: CONSTANTS, then Classes, then functions.
    def key(name: str) -> tuple[bool, bool, str]:
        return (not name.isupper(), not name[0].isupper(), name)

    assert list(qbo_sync.http.__all__) == sorted(qbo_sync.http.__all__, key=key)
