"""Keep-alive, test connection and disconnect (with and without voiding) against the fake."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import httpx
import pytest

from qbo_sync.auth import CheckOutcome, Connected, ConnectionState, OAuthConfig, OAuthManager
from qbo_sync.storage import ConnectionStatus, EntityLink, MemoryStore
from qbo_sync.testing import FakeClock, FakeQBO

DAY = dt.timedelta(days=1)


def _seed_invoice(fake: FakeQBO, realm: str) -> str:
    name = f"Customer {len(fake.objects(realm, 'Customer'))}"
    customer = fake.seed(realm, "Customer", {"DisplayName": name})
    invoice = fake.seed(realm, "Invoice", {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [{"Amount": "12.50", "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}],
    })
    return str(invoice["Id"])


# -- keep-alive -------------------------------------------------------------------------


def test_keep_alive_refreshes_only_idle_connections(
    manager: OAuthManager, connected: Connected, store: MemoryStore, clock: FakeClock
) -> None:
    """Recently refreshed realms are skipped; after `idle` days they are refreshed."""
    realm = connected.realm_id
    first = manager.keep_alive(idle=30 * DAY)
    assert (first.refreshed, first.failed, first.skipped) == ((), (), (realm,))
    clock.advance(31 * DAY)
    second = manager.keep_alive(idle=30 * DAY)
    assert second.refreshed == (realm,)
    tokens = store.get_tokens(realm)
    assert tokens is not None
    assert tokens.updated_at == clock.now()
    assert tokens.refresh_expires_at == clock.now() + 100 * DAY


def test_keep_alive_refreshes_near_rolling_expiry(
    manager: OAuthManager, connected: Connected, store: MemoryStore
) -> None:
    """A refresh token close to its rolling expiry is refreshed even if not idle long."""
    realm = connected.realm_id
    tokens = store.get_tokens(realm)
    assert tokens is not None
    assert tokens.updated_at is not None
    soon = attrs.evolve(tokens, refresh_expires_at=tokens.updated_at + 5 * DAY)
    store.save_tokens(realm, soon, expected_version=tokens.version)
    report = manager.keep_alive(idle=30 * DAY)
    assert report.refreshed == (realm,)


def test_keep_alive_reports_failures_and_skips_broken(
    manager: OAuthManager, connected: Connected, store: MemoryStore, clock: FakeClock
) -> None:
    """A refused refresh token is reported once; the next pass no longer tries that realm."""
    realm = connected.realm_id
    tokens = store.get_tokens(realm)
    assert tokens is not None
    store.save_tokens(realm, attrs.evolve(tokens, refresh_token="AB11dead"),
                      expected_version=tokens.version)
    clock.advance(40 * DAY)
    report = manager.keep_alive()
    assert report.refreshed == ()
    assert [(f.realm_id, f.reason) for f in report.failed] == [(realm, "needs_reauthorization")]
    again = manager.keep_alive()
    assert (again.refreshed, again.failed, again.skipped) == ((), (), ())


def test_keep_alive_reports_an_unreachable_intuit(
    manager: OAuthManager, connected: Connected, fake: FakeQBO, clock: FakeClock
) -> None:
    """A 503 from the token endpoint is 'unavailable', not a broken connection."""
    clock.advance(40 * DAY)
    fake.faults.fail_next(1, status=503, path="/oauth2/v1/tokens/bearer")
    report = manager.keep_alive()
    assert [f.reason for f in report.failed] == ["unavailable"]
    assert manager.connection_info(connected.realm_id).state is ConnectionState.CONNECTED


# -- test connection --------------------------------------------------------------------


def test_test_connection_ok(manager: OAuthManager, connected: Connected) -> None:
    """A good connection reads CompanyInfo and names the company."""
    check = manager.test_connection(connected.realm_id)
    assert check.ok
    assert check.outcome is CheckOutcome.OK
    assert check.company_name == "Acme Ltd"


def test_test_connection_refreshes_an_expired_token(
    manager: OAuthManager, connected: Connected, clock: FakeClock, store: MemoryStore
) -> None:
    """An expired access token is refreshed before the check; the check passes."""
    clock.advance(2 * DAY)
    assert manager.test_connection(connected.realm_id).ok
    tokens = store.get_tokens(connected.realm_id)
    assert tokens is not None
    assert tokens.version == 2


def test_test_connection_failures(
    manager: OAuthManager, connected: Connected, fake: FakeQBO, store: MemoryStore,
    other_realm: str,
) -> None:
    """Unknown realm, 503, 403 and a refused refresh each give their own outcome."""
    realm = connected.realm_id
    assert manager.test_connection("404404").outcome is CheckOutcome.NOT_CONNECTED
    fake.faults.fail_next(1, status=503, path="/companyinfo/")
    unavailable = manager.test_connection(realm)
    assert unavailable.outcome is CheckOutcome.UNAVAILABLE
    assert not unavailable.ok
    tokens = store.get_tokens(realm)
    assert tokens is not None
    wrong = fake.issue_access_token(other_realm)
    store.save_tokens(realm, attrs.evolve(tokens, access_token=wrong),
                      expected_version=tokens.version)
    forbidden = manager.test_connection(realm)
    assert forbidden.outcome is CheckOutcome.FORBIDDEN
    assert forbidden.intuit_tid
    current = store.get_tokens(realm)
    assert current is not None
    store.save_tokens(realm, attrs.evolve(current, access_token="eyJbad", refresh_token="AB11bad"),
                      expected_version=current.version)
    reauth = manager.test_connection(realm)
    assert reauth.outcome is CheckOutcome.NEEDS_REAUTHORIZATION
    assert "connect QuickBooks again" in reauth.message


# -- disconnect -------------------------------------------------------------------------


def test_disconnect_revokes_deletes_and_keeps_links(
    manager: OAuthManager, connected: Connected, fake: FakeQBO, store: MemoryStore,
    config: OAuthConfig, clock: FakeClock,
) -> None:
    """Disconnect revokes at Intuit, deletes tokens, keeps links; the old refresh token is dead."""
    realm = connected.realm_id
    store.save_links([EntityLink(realm_id=realm, entity_type="Customer", local_id="c1",
                                 qbo_id="1")])
    tokens = store.get_tokens(realm)
    assert tokens is not None
    report = manager.disconnect(realm)
    assert (report.revoked, report.tokens_deleted, report.revoke_error) == (True, True, None)
    assert report.voided == ()
    assert store.get_tokens(realm) is None
    assert len(store.list_links(realm)) == 1
    info = manager.connection_info(realm)
    assert (info.state, info.reason) == (ConnectionState.DISCONNECTED, "user_disconnected")
    assert info.disconnected_at == clock.now()
    with httpx.Client(transport=fake.transport()) as http:
        response = http.post(
            "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            auth=(config.client_id, config.client_secret),
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    connection = store.get_connection(realm)
    assert connection is not None
    assert connection.status is ConnectionStatus.DISCONNECTED


def test_disconnect_when_revocation_fails(
    manager: OAuthManager, connected: Connected, fake: FakeQBO, store: MemoryStore
) -> None:
    """If Intuit cannot revoke, tokens are still deleted and the reason is reported."""
    fake.faults.fail_next(1, status=503, path="/v2/oauth2/tokens/revoke")
    report = manager.disconnect(connected.realm_id)
    assert report.revoked is False
    assert report.revoke_error is not None
    assert "503" in report.revoke_error
    assert report.tokens_deleted is True
    assert store.get_tokens(connected.realm_id) is None


def test_disconnect_and_void(
    manager: OAuthManager, connected: Connected, fake: FakeQBO, store: MemoryStore
) -> None:
    """'Disconnect and void' voids every synced invoice, reports failures, then disconnects."""
    realm = connected.realm_id
    first, second = _seed_invoice(fake, realm), _seed_invoice(fake, realm)
    store.save_links([
        EntityLink(realm_id=realm, entity_type="Invoice", local_id="inv-1", qbo_id=first,
                   sync_token="0"),
        # A stale SyncToken: the invoice changed in QBO since we synced it.
        EntityLink(realm_id=realm, entity_type="Invoice", local_id="inv-2", qbo_id=second,
                   sync_token="7"),
        EntityLink(realm_id=realm, entity_type="Invoice", local_id="inv-gone", qbo_id="9999",
                   sync_token="0"),
        EntityLink(realm_id=realm, entity_type="Invoice", local_id="inv-never-sent"),
        EntityLink(realm_id=realm, entity_type="Customer", local_id="c", qbo_id="1"),
    ])
    with pytest.warns(DeprecationWarning, match="SyncEngine.disconnect"):
        report = manager.disconnect(realm, void_invoices=True)
    assert sorted(report.voided) == ["inv-1", "inv-2"]
    assert [(f.local_id, f.qbo_id) for f in report.void_failures] == [("inv-gone", "9999")]
    for qbo_id in (first, second):
        invoice = fake.read(realm, "Invoice", qbo_id)
        assert invoice is not None
        assert Decimal(str(invoice["TotalAmt"])) == 0
    assert report.revoked is True
    assert store.get_tokens(realm) is None
    assert len(store.list_links(realm)) == 5
