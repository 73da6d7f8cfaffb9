"""``FakeQBO.save_state`` / ``load_state``: a fake's companies and OAuth state survive a restart."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from qbo_sync.errors import ConfigurationError, DuplicateNameError
from qbo_sync.testing import FakeClock, FakeQBO

REDIRECT = "https://app.example.com/callback"
BASIC = "Basic " + base64.b64encode(b"app:app-secret").decode()


def _connect(fake: FakeQBO) -> dict[str, Any]:
    """Consent and code exchange on the fake's OAuth endpoints; returns the token answer."""
    fake.register_app(client_id="app", client_secret="app-secret", redirect_uris=[REDIRECT])
    transport = fake.transport()
    query = urlencode({"client_id": "app", "redirect_uri": REDIRECT, "response_type": "code",
                       "scope": "com.intuit.quickbooks.accounting", "state": "s"})
    consent = transport.handle_request(
        httpx.Request("GET", f"https://appcenter.intuit.com/connect/oauth2?{query}"))
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    return _token(fake, {"grant_type": "authorization_code", "code": code,
                         "redirect_uri": REDIRECT})


def _token(fake: FakeQBO, form: dict[str, str]) -> dict[str, Any]:
    answer = fake.transport().handle_request(httpx.Request(
        "POST", "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        headers={"Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"},
        content=urlencode(form).encode()))
    answer.read()
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _api(fake: FakeQBO, realm: str, token: str, method: str, path: str,
         body: Any = None) -> httpx.Response:
    answer = fake.transport().handle_request(httpx.Request(
        method, f"https://sandbox-quickbooks.api.intuit.com/v3/company/{realm}/{path}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        json=body))
    answer.read()
    return answer


def test_companies_objects_and_sequences_survive(tmp_path: Path) -> None:
    """Every object comes back as it was (versions, deleted ones stay deleted), and new
    objects continue the id and DocNumber sequences instead of reusing them."""
    clock = FakeClock()
    fake = FakeQBO(clock=clock)
    realm = fake.add_company(company_name="Saved Co")
    customer = fake.seed(realm, "Customer", {"DisplayName": "Ada"})
    fake.seed(realm, "Customer", {"Id": customer["Id"], "DisplayName": "Ada King"})
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    invoices = [fake.seed(realm, "Invoice", {"CustomerRef": {"value": customer["Id"]},
                                             "Line": [line]}) for _ in range(2)]
    token = fake.issue_access_token(realm)
    gone = _api(fake, realm, token, "POST", "invoice?operation=delete",
                {"Id": invoices[1]["Id"], "SyncToken": invoices[1]["SyncToken"]})
    assert gone.status_code == 200
    path = tmp_path / "fake.json"
    fake.save_state(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    loaded = FakeQBO(clock=FakeClock())
    saved_at = loaded.load_state(path)
    assert saved_at == clock.now()
    assert loaded.realm_ids == (realm,)
    for entity in ("Customer", "Invoice", "Item", "Account", "CompanyInfo"):
        assert loaded.objects(realm, entity, include_deleted=True) == fake.objects(
            realm, entity, include_deleted=True)
    assert loaded.read(realm, "Customer", customer["Id"])["SyncToken"] == "1"
    assert loaded.read(realm, "Invoice", invoices[1]["Id"]) is None
    vendor = loaded.seed(realm, "Vendor", {"DisplayName": "Supplier"})
    assert int(vendor["Id"]) == int(customer["Id"]) + 1  # one sequence for names
    third = loaded.seed(realm, "Invoice", {"CustomerRef": {"value": customer["Id"]},
                                           "Line": [line]})
    assert int(third["Id"]) > int(invoices[1]["Id"])
    assert third["DocNumber"] == "1003"  # the deleted 1002 still counts
    with pytest.raises(DuplicateNameError):  # the name index was rebuilt
        loaded.seed(realm, "Customer", {"DisplayName": "ada king"})
    assert loaded.stats.snapshot()["writes"] == 2  # counters start at zero


def test_tokens_survive_and_refresh(tmp_path: Path) -> None:
    """An access token and a refresh token issued before the save work after the load; the
    refresh rotates as usual, and the clock is moved forward to the saved time."""
    clock = FakeClock()
    fake = FakeQBO(clock=clock)
    realm = fake.add_company()
    grant = _connect(fake)
    clock.advance(600)
    path = tmp_path / "fake.json"
    fake.save_state(path)
    assert grant["refresh_token"] in path.read_text()  # a secret file: hence mode 0600

    later = FakeClock(clock.now().timestamp() - 3600)  # a clock behind the snapshot
    loaded = FakeQBO(clock=later)
    loaded.load_state(path)
    assert later.now() == clock.now()
    answer = _api(loaded, realm, grant["access_token"], "GET", "companyinfo/1")
    assert answer.status_code == 200
    refreshed = _token(loaded, {"grant_type": "refresh_token",
                                "refresh_token": grant["refresh_token"]})
    assert refreshed["refresh_token"] != grant["refresh_token"]
    assert loaded.live_refresh_tokens(realm) == [refreshed["refresh_token"]]
    expired = FakeQBO(clock=FakeClock(clock.now().timestamp() + 7200))
    expired.load_state(path)
    stale = _api(expired, realm, grant["access_token"], "GET", "companyinfo/1")
    assert stale.status_code == 401  # lifetimes still count


def test_load_refuses_a_fake_with_companies_or_a_wrong_file(tmp_path: Path) -> None:
    """Loading into a fake that has companies, or from a file that is not a snapshot, raises
    ConfigurationError and changes nothing."""
    fake = FakeQBO()
    fake.add_company()
    path = tmp_path / "fake.json"
    fake.save_state(path)
    busy = FakeQBO()
    busy.add_company()
    with pytest.raises(ConfigurationError, match="no company yet"):
        busy.load_state(path)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something else"}))
    empty = FakeQBO()
    with pytest.raises(ConfigurationError, match=r"not a qbo_sync\.testing\.FakeQBO/1 snapshot"):
        empty.load_state(other)
    other.write_text("{not json")
    with pytest.raises(ConfigurationError, match="not JSON"):
        empty.load_state(other)
    assert empty.realm_ids == ()
