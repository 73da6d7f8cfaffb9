"""Intuit OAuth as the fake serves it: authorize, exchange, refresh rotation, revoke."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from qbo_sync.testing import FakeClock, FakeQBO, OAuthConfig

CLIENT_ID, SECRET, REDIRECT = "client-1", "s3cret-value", "https://app.example/callback"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
AUTH_URL = "https://appcenter.intuit.com/connect/oauth2"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()


@pytest.fixture
def oauth(fake: FakeQBO) -> httpx.Client:
    fake.register_app(client_id=CLIENT_ID, client_secret=SECRET, redirect_uris=[REDIRECT])
    return httpx.Client(transport=fake.transport())


def authorize(client: httpx.Client, **extra: str) -> dict[str, list[str]]:
    params = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": "com.intuit.quickbooks.accounting openid email",
        "redirect_uri": REDIRECT,
        "state": "st-1",
        **extra,
    }
    response = client.get(AUTH_URL, params=params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query, keep_blank_values=True)


def exchange(client: httpx.Client, code: str, **headers: str) -> httpx.Response:
    return client.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Authorization": BASIC, "Accept": "application/json", **headers},
    )


def refresh(client: httpx.Client, token: str, **headers: str) -> httpx.Response:
    return client.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": token},
        headers={"Authorization": BASIC, **headers},
    )


def tokens(client: httpx.Client) -> dict[str, Any]:
    query = authorize(client)
    response = exchange(client, query["code"][0])
    assert response.status_code == 200
    return dict(response.json())


def test_authorize_redirects_with_code_state_and_realm(oauth: httpx.Client, realm: str) -> None:
    """Consent is immediate: the redirect carries code, the same state, and realmId."""
    query = authorize(oauth)
    assert query["state"] == ["st-1"]
    assert query["realmId"] == [realm]
    assert len(query["code"][0]) > 20


def test_next_consent_picks_company_or_denies(fake: FakeQBO, oauth: httpx.Client) -> None:
    """next_consent chooses the company; deny=True gives error=access_denied with state."""
    other = fake.add_company(company_name="Other")
    fake.next_consent(realm_id=other)
    assert authorize(oauth)["realmId"] == [other]
    fake.next_consent(deny=True)
    denied = authorize(oauth)
    assert denied["error"] == ["access_denied"]
    assert denied["state"] == ["st-1"]
    assert "code" not in denied


def test_unregistered_redirect_uri_is_not_followed(oauth: httpx.Client) -> None:
    """An unknown redirect_uri gets an error page, never a redirect to it."""
    response = oauth.get(
        AUTH_URL,
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": "https://evil.example/cb",
            "state": "x",
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers


def test_exchange_returns_real_token_shape(oauth: httpx.Client) -> None:
    """The token response has Intuit's keys, 3600 s, a rolling 100-day refresh, and intuit_tid."""
    query = authorize(oauth)
    response = exchange(oauth, query["code"][0])
    body = response.json()
    assert response.status_code == 200
    assert response.headers["intuit_tid"].startswith("1-")
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 100 * 86400
    assert "x_refresh_token_hard_expires_in" not in body
    assert body["id_token"].count(".") == 2
    claims = json.loads(base64.urlsafe_b64decode(body["id_token"].split(".")[1] + "=="))
    assert claims["aud"] == [CLIENT_ID]
    assert claims["iss"] == "https://oauth.platform.intuit.com/op/v1"


def test_code_works_once(oauth: httpx.Client) -> None:
    """A second exchange of the same code is invalid_grant."""
    code = authorize(oauth)["code"][0]
    assert exchange(oauth, code).status_code == 200
    again = exchange(oauth, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(oauth: httpx.Client) -> None:
    """Bad Basic credentials give 401 invalid_client."""
    code = authorize(oauth)["code"][0]
    bad = "Basic " + base64.b64encode(f"{CLIENT_ID}:nope".encode()).decode()
    response = oauth.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Authorization": bad},
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert "nope" not in response.text


def test_wrong_redirect_uri_is_invalid_grant(oauth: httpx.Client) -> None:
    """The redirect_uri of the exchange must equal the authorize one."""
    code = authorize(oauth)["code"][0]
    response = oauth.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT + "x"},
        headers={"Authorization": BASIC},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_client_secret_post_is_accepted(oauth: httpx.Client) -> None:
    """client_secret_post (credentials in the form) works like Basic."""
    code = authorize(oauth)["code"][0]
    response = oauth.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
        },
    )
    assert response.status_code == 200


def test_refresh_rotates_and_old_token_dies(oauth: httpx.Client) -> None:
    """Every refresh returns a new refresh token; the superseded one gets bare invalid_grant."""
    first = tokens(oauth)
    second = refresh(oauth, first["refresh_token"])
    assert second.status_code == 200
    new = second.json()
    assert new["refresh_token"] != first["refresh_token"]
    assert new["access_token"] != first["access_token"]
    stale = refresh(oauth, first["refresh_token"])
    assert stale.status_code == 400
    assert stale.json() == {"error": "invalid_grant"}
    assert refresh(oauth, new["refresh_token"]).status_code == 200


def test_reuse_window_keeps_value(clock: FakeClock, realm: str) -> None:
    """With a reuse window, a refresh inside it returns the same value with less time left."""
    fake = FakeQBO(clock=clock, oauth=OAuthConfig(refresh_token_reuse_window=86400))
    fake.add_company()
    fake.register_app(client_id=CLIENT_ID, client_secret=SECRET, redirect_uris=[REDIRECT])
    client = httpx.Client(transport=fake.transport())
    first = tokens(client)
    clock.advance(3600)
    same = refresh(client, first["refresh_token"]).json()
    assert same["refresh_token"] == first["refresh_token"]
    assert same["x_refresh_token_expires_in"] == first["x_refresh_token_expires_in"] - 3600
    clock.advance(86400)
    rotated = refresh(client, first["refresh_token"]).json()
    assert rotated["refresh_token"] != first["refresh_token"]


def test_grace_period_lets_old_token_work(clock: FakeClock) -> None:
    """With a grace period the superseded value still works inside it, and not after."""
    fake = FakeQBO(clock=clock, oauth=OAuthConfig(refresh_token_grace=60))
    fake.add_company()
    fake.register_app(client_id=CLIENT_ID, client_secret=SECRET, redirect_uris=[REDIRECT])
    client = httpx.Client(transport=fake.transport())
    first = tokens(client)
    newest = refresh(client, first["refresh_token"]).json()["refresh_token"]
    inside = refresh(client, first["refresh_token"])
    assert inside.status_code == 200
    assert inside.json()["refresh_token"] == newest
    clock.advance(61)
    assert refresh(client, first["refresh_token"]).status_code == 400


def test_hard_expiry_only_on_request(oauth: httpx.Client) -> None:
    """x_refresh_token_hard_expires_in appears only with the opt-in header (5 years)."""
    first = tokens(oauth)
    response = refresh(
        oauth, first["refresh_token"], **{"x-include-refresh-token-hard-expires-in": "true"}
    )
    assert response.json()["x_refresh_token_hard_expires_in"] == 5 * 365 * 86400


def test_access_token_expires_on_fake_clock(
    fake: FakeQBO, clock: FakeClock, oauth: httpx.Client, realm: str
) -> None:
    """An OAuth access token works for an hour of virtual time, then gets the 401 envelope."""
    access = tokens(oauth)["access_token"]
    url = f"https://sandbox-quickbooks.api.intuit.com/v3/company/{realm}/query"
    headers = {"Authorization": f"Bearer {access}"}
    assert (
        oauth.get(url, params={"query": "select * from Customer"}, headers=headers).status_code
        == 200
    )
    clock.advance(3600)
    expired = oauth.get(url, params={"query": "select * from Customer"}, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["fault"]["error"][0]["code"] == "3200"
    assert access not in expired.text


def test_revoke_kills_the_grant(oauth: httpx.Client, realm: str) -> None:
    """Revoking the refresh token invalidates it and the access tokens of the grant."""
    pair = tokens(oauth)
    response = oauth.post(
        "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        json={"token": pair["refresh_token"]},
        headers={"Authorization": BASIC},
    )
    assert response.status_code == 200
    assert refresh(oauth, pair["refresh_token"]).json()["error"] == "invalid_grant"
    api = oauth.get(
        f"https://quickbooks.api.intuit.com/v3/company/{realm}/customer/1",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
    )
    assert api.status_code == 401


def test_userinfo_returns_claims(oauth: httpx.Client) -> None:
    """userinfo answers the bearer's OpenID claims for the granted scopes."""
    pair = tokens(oauth)
    response = oauth.get(
        "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
    )
    assert response.status_code == 200
    claims = response.json()
    assert claims["sub"]
    assert claims["emailVerified"] is True
    assert (
        oauth.get(
            "https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
            headers={"Authorization": "Bearer wrong"},
        ).status_code
        == 401
    )
    # "Digest " is as long as "Bearer ": only a real scheme check refuses it.
    for not_bearer in (f"Digest {pair['access_token']}", f"Basic {pair['access_token']}"):
        refused = oauth.get(
            "https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
            headers={"Authorization": not_bearer},
        )
        assert refused.status_code == 401, not_bearer


def test_dropped_refresh_answer_still_rotates(fake: FakeQBO, oauth: httpx.Client) -> None:
    """A drop on the token endpoint commits first: Intuit rotated, the client lost the answer.

    This is the failure that strands a connection when the old refresh token is
    treated as dead; the fake must be able to produce it.
    """
    old = tokens(oauth)["refresh_token"]
    assert old in fake.live_refresh_tokens()
    fake.faults.drop_after_commit(path=r"/tokens/bearer")
    with pytest.raises(httpx.TransportError):
        refresh(oauth, old)
    live = fake.live_refresh_tokens()
    assert old not in live
    assert len(live) == 1
    assert refresh(oauth, old).status_code == 400  # superseded: invalid_grant


def test_concurrent_refresh_has_one_winner(oauth: httpx.Client) -> None:
    """Eight threads refreshing the same token: exactly one 200, the rest invalid_grant."""
    token = tokens(oauth)["refresh_token"]
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        statuses.append(refresh(oauth, token).status_code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 7


def test_unknown_grant_type(oauth: httpx.Client) -> None:
    """An unsupported grant_type is named as such."""
    response = oauth.post(
        TOKEN_URL, data={"grant_type": "password"}, headers={"Authorization": BASIC}
    )
    assert response.json() == {"error": "unsupported_grant_type"}


def test_token_for_other_realm_is_403(fake: FakeQBO, http: httpx.Client) -> None:
    """A token issued for company A used on company B gets the 3100 fault."""
    other = fake.add_company(company_name="B")
    response = http.get(f"https://quickbooks.api.intuit.com/v3/company/{other}/customer/1")
    assert response.status_code == 403
    assert response.json()["Fault"]["Error"][0]["code"] == "3100"


def test_missing_token_is_401(fake: FakeQBO, realm: str) -> None:
    """No Authorization header: 401 with the gateway envelope and WWW-Authenticate."""
    client = httpx.Client(transport=fake.transport())
    response = client.get(f"https://quickbooks.api.intuit.com/v3/company/{realm}/customer/1")
    assert response.status_code == 401
    assert set(response.json()) >= {"warnings", "fault", "cdcresponse", "time"}
    assert isinstance(response.json()["time"], int)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_live_refresh_tokens_follow_rotation_grace_expiry_and_revoke(clock: FakeClock) -> None:
    """live_refresh_tokens lists exactly the values a refresh would accept now."""
    fake = FakeQBO(clock=clock, oauth=OAuthConfig(refresh_token_grace=60))
    first_realm, other_realm = fake.add_company(), fake.add_company()
    fake.register_app(client_id=CLIENT_ID, client_secret=SECRET, redirect_uris=[REDIRECT])
    client = httpx.Client(transport=fake.transport())
    fake.next_consent(realm_id=first_realm)
    first = tokens(client)["refresh_token"]
    fake.next_consent(realm_id=other_realm)
    other = tokens(client)["refresh_token"]
    assert fake.live_refresh_tokens() == [first, other]
    assert fake.live_refresh_tokens(other_realm) == [other]
    assert fake.live_refresh_tokens(client_id="someone-else") == []

    newest = refresh(client, first).json()["refresh_token"]
    assert fake.live_refresh_tokens(first_realm) == [first, newest]  # inside the grace window
    clock.advance(61)
    assert fake.live_refresh_tokens(first_realm) == [newest]

    client.post(
        "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        json={"token": newest},
        headers={"Authorization": BASIC},
    )
    assert fake.live_refresh_tokens(first_realm) == []
    clock.advance(100 * 86400)
    assert fake.live_refresh_tokens() == []  # the other grant's value expired
