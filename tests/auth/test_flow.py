"""Authorization URL, state values and callback parsing (pure)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from qbo_sync.auth import ACCOUNTING_SCOPE, OPENID_SCOPES, parse_callback
from qbo_sync.auth._flow import authorization_url, new_state, state_issued_at
from qbo_sync.errors import ConfigurationError

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)


def test_authorization_url_carries_the_five_parameters() -> None:
    """client_id, response_type=code, scope (space separated), redirect_uri and state."""
    url = authorization_url(
        authorization_endpoint="https://appcenter.intuit.com/connect/oauth2",
        client_id="cid",
        redirect_uri="https://app.example.com/cb?x=1",
        scopes=(ACCOUNTING_SCOPE, *OPENID_SCOPES[:2]),
        state="st.1",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://appcenter.intuit.com/connect/oauth2"
    )
    query = parse_qs(parts.query)
    assert query == {
        "response_type": ["code"],
        "client_id": ["cid"],
        "redirect_uri": ["https://app.example.com/cb?x=1"],
        "scope": ["com.intuit.quickbooks.accounting openid profile"],
        "state": ["st.1"],
    }


def test_authorization_url_needs_a_scope() -> None:
    """An empty scope list is a configuration error, not a URL Intuit would refuse."""
    with pytest.raises(ConfigurationError, match="scope"):
        authorization_url(
            authorization_endpoint="https://a.test/x", client_id="c",
            redirect_uri="https://r.test", scopes=(), state="s",
        )


def test_states_are_random_and_carry_their_issue_time() -> None:
    """Two states differ; each tells when it was issued (for the 'expired' message)."""
    first, second = new_state(NOW, key="k"), new_state(NOW, key="k")
    assert first != second
    assert len(first.split(".")[0]) >= 32
    assert state_issued_at(first, key="k") == NOW
    assert state_issued_at("no-time-part", key="k") is None
    assert state_issued_at("abc.notdigits", key="k") is None


def test_forged_state_time_is_not_believed() -> None:
    """A state not signed with our key (or with its time edited) reads as not ours."""
    state = new_state(NOW, key="k")
    random_part, stamp, mac = state.split(".")
    assert state_issued_at(state, key="other") is None
    assert state_issued_at(f"{random_part}.{int(stamp) - 3600}.{mac}", key="k") is None
    assert state_issued_at("forged.123", key="k") is None


def test_callback_from_full_url() -> None:
    """The browser URL gives code, state and realmId."""
    params = parse_callback(
        "https://app.example.com/cb?code=AB11code&state=st.1&realmId=9130347"
    )
    assert (params.code, params.state, params.realm_id, params.error) == (
        "AB11code", "st.1", "9130347", None
    )


def test_callback_from_query_string_and_mapping() -> None:
    """A bare query string and a framework's args mapping read the same."""
    from_query = parse_callback("?code=c1&state=s1&realmId=1")
    from_mapping = parse_callback({"code": "c1", "state": ["s1"], "realmId": "1"})
    assert from_query == from_mapping


def test_callback_error_denied() -> None:
    """error=access_denied is read with its description."""
    params = parse_callback("state=s&error=access_denied&error_description=User+denied")
    assert params.error == "access_denied"
    assert params.error_description == "User denied"
    assert params.code is None


def test_repeated_parameters_are_flagged() -> None:
    """Two different codes or states in one callback are suspicious and reported."""
    params = parse_callback("code=a&code=b&state=s&realmId=1")
    assert params.duplicated == ("code",)


def test_multidict_getlist_is_honoured() -> None:
    """Framework multi-dicts hide repeats behind items(); getlist() reveals them."""

    class MultiDict(dict[str, str]):
        def getlist(self, key: str) -> list[str]:
            return ["s1", "s2"] if key == "state" else [self[key]]

    params = parse_callback(MultiDict(code="c", state="s1", realmId="1"))
    assert params.duplicated == ("state",)


def test_callback_repr_hides_code_and_state() -> None:
    """The code and state are not in the repr."""
    params = parse_callback("code=AB11secretcode&state=secretstate&realmId=1")
    assert "AB11secretcode" not in repr(params)
    assert "secretstate" not in repr(params)
