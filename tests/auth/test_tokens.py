"""Token endpoint answers: grants, expiries and errors, from real recorded bodies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.conftest import REAL_SAMPLES

from qbo_sync.auth import parse_token_error, parse_token_response
from qbo_sync.errors import InvalidGrantError, OAuthError, PayloadError, ServerError
from qbo_sync.storage import TokenSet

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)
_JSCLIENT_ERROR = json.loads(
    (REAL_SAMPLES / "oauth-jsclient/mocks/errorResponse.json").read_text()
)
#: invalid_grant answers to a refresh, as (status, body, intuit_tid): oauth-jsclient's
#: captured "Token invalid" answer, and the bare 25-byte body Intuit sends most often
#: (written here; Content-Length 25 in the answers users report).
INVALID_GRANT_ANSWERS = [
    pytest.param(
        _JSCLIENT_ERROR["response"]["status"],
        _JSCLIENT_ERROR["response"]["body"],
        _JSCLIENT_ERROR["response"]["headers"]["intuit_tid"],
        id="oauth-jsclient-errorResponse",
    ),
    pytest.param(
        400, '{"error":"invalid_grant"}', "1-65a1b2c3-0123456789abcdef01234567", id="bare"
    ),
]


def test_real_dotnet_refresh_response(samples_dir: Path) -> None:
    """Intuit's recorded response (with a UTF-8 BOM) parses; expiries count from send time."""
    body = (samples_dir / "QuickBooks-V3-DotNET-SDK/Documents/success_refreshtoken_response.json")
    grant = parse_token_response(body.read_bytes(), obtained_at=NOW, intuit_tid="tid-1")
    raw = json.loads(body.read_text(encoding="utf-8-sig"))
    assert grant.access_token == raw["access_token"]
    assert grant.refresh_token == raw["refresh_token"]
    assert grant.access_expires_at == NOW + dt.timedelta(seconds=3600)
    # 15552000 s = 180 days: the CONFLICT value; we store what Intuit says.
    assert grant.refresh_expires_at == NOW + dt.timedelta(days=180)
    assert grant.refresh_hard_expires_at is None
    assert grant.id_token == raw["id_token"]
    assert grant.intuit_tid == "tid-1"


def test_real_jsclient_response_and_hard_expiry(samples_dir: Path) -> None:
    """The Node client's captured body (8726400 s = 101 days) plus the opt-in hard field."""
    wrapper = json.loads((samples_dir / "oauth-jsclient/mocks/authResponse.json").read_text())
    data = {**wrapper["json"], "x_refresh_token_hard_expires_in": 156032154}
    grant = parse_token_response(data, obtained_at=NOW)
    assert grant.refresh_expires_at == NOW + dt.timedelta(days=101)
    assert grant.refresh_hard_expires_at == NOW + dt.timedelta(seconds=156032154)
    tokens = grant.to_token_set()
    assert isinstance(tokens, TokenSet)
    assert tokens.refresh_hard_expires_at == grant.refresh_hard_expires_at
    assert tokens.updated_at == NOW


def test_hard_expiry_is_kept_when_a_refresh_omits_it() -> None:
    """The 5-year cap does not move: a response without the field keeps the stored one."""
    hard = NOW + dt.timedelta(days=1500)
    previous = TokenSet(
        access_token="a0", refresh_token="r0", access_expires_at=NOW,
        refresh_expires_at=NOW, refresh_hard_expires_at=hard, version=3,
    )
    grant = parse_token_response(
        {"token_type": "bearer", "access_token": "a1", "refresh_token": "r1",
         "expires_in": 3600, "x_refresh_token_expires_in": 8726400},
        obtained_at=NOW,
    )
    assert grant.to_token_set(previous=previous).refresh_hard_expires_at == hard


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("access_token", None, "missing"),
        ("refresh_token", "", "missing"),
        ("expires_in", "soon", "expected a number"),
        ("expires_in", 0, "positive"),
        ("x_refresh_token_expires_in", None, "missing"),
        ("token_type", "mac", "bearer"),
    ],
)
def test_malformed_grants_name_the_field(field: str, value: object, problem: str) -> None:
    """A bad field raises PayloadError naming the field (never a token value)."""
    data: dict[str, object] = {
        "token_type": "bearer", "access_token": "eyJsecretaccess", "refresh_token": "AB11secret",
        "expires_in": 3600, "x_refresh_token_expires_in": 8726400,
    }
    if value is None:
        del data[field]
    else:
        data[field] = value
    with pytest.raises(PayloadError, match=problem) as info:
        parse_token_response(data, obtained_at=NOW)
    assert info.value.path == field
    assert "eyJsecretaccess" not in str(info.value)
    assert "AB11secret" not in str(info.value)


def test_numeric_strings_are_accepted() -> None:
    """Seconds sent as digit strings are read as integers."""
    grant = parse_token_response(
        b'{"access_token":"a","refresh_token":"r","expires_in":"3600",'
        b'"x_refresh_token_expires_in":"8726400"}',
        obtained_at=NOW,
    )
    assert grant.expires_in == 3600


@pytest.mark.parametrize(("status", "body", "tid"), INVALID_GRANT_ANSWERS)
def test_invalid_grant_answers(status: int, body: str, tid: str) -> None:
    """invalid_grant answers to a refresh become InvalidGrantError with intuit_tid."""
    assert len(body) == 25 or "error_description" in body
    error = parse_token_error(status, body.encode(), intuit_tid=tid, action="refresh")
    assert isinstance(error, InvalidGrantError)
    assert error.error == "invalid_grant"
    assert error.status == 400
    assert error.intuit_tid == tid
    assert str(error).startswith(f"[intuit_tid={tid}] Intuit refused the refresh")


def test_jsclient_error_response(samples_dir: Path) -> None:
    """The captured 'Token invalid' body keeps its description as detail."""
    wrapper = json.loads((samples_dir / "oauth-jsclient/mocks/errorResponse.json").read_text())
    error = parse_token_error(400, wrapper["body"].encode(), intuit_tid=wrapper["intuit_tid"])
    assert isinstance(error, InvalidGrantError)
    assert error.detail == "Token invalid"


def test_other_oauth_errors_and_server_failures() -> None:
    """invalid_client is an OAuthError (not invalid_grant); a bare 503 is a ServerError."""
    client = parse_token_error(401, b'{"error":"invalid_client"}')
    assert type(client) is OAuthError
    assert client.error == "invalid_client"
    assert isinstance(parse_token_error(503, b"<html>down</html>"), ServerError)
    unknown = parse_token_error(400, b"")
    assert isinstance(unknown, OAuthError)
    assert unknown.error == "unknown_error"


def test_error_description_is_scrubbed_of_the_token_sent() -> None:
    """If Intuit quotes the token back, it is removed before reaching the message."""
    token = "AB11760000000000xyzRefreshTokenValue"
    error = parse_token_error(
        400,
        json.dumps({"error": "invalid_grant",
                    "error_description": f"Refresh token {token} not found"}).encode(),
        secrets=(token,),
    )
    assert token not in str(error)
    assert error.detail is not None
    assert "not found" in error.detail
