"""The engine on a real OAuth connection: for_realm, and "disconnect and void" as a push run."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.auth.conftest import (  # the OAuth fixtures: a fake with the app, a manager
    browse,
    clock,
    config,
    connect,
    connected,
    fake,
    manager,
    realm,
    store,
)

from qbo_sync import MemoryStore, SyncEngine
from qbo_sync.auth import Connected, OAuthManager
from qbo_sync.mapping import LocalCustomer, LocalInvoice, LocalLine
from qbo_sync.storage import EntityLink, RunStatus
from qbo_sync.sync import Action
from qbo_sync.testing import FakeClock, FakeQBO

__all__ = ["browse", "clock", "config", "connect", "connected", "fake", "manager", "realm",
           "store"]


def _engine(manager: OAuthManager, realm: str, store: MemoryStore, clock: FakeClock) -> SyncEngine:
    engine = SyncEngine.for_realm(manager, realm, store=store, clock=clock.now, max_in_flight=1)
    engine.map_accounts(**engine.suggest_accounts())
    return engine


def test_for_realm_pushes_with_the_managers_tokens_and_refreshes(
    manager: OAuthManager, connected: Connected, realm: str, store: MemoryStore,
    clock: FakeClock,
) -> None:
    """An engine built from the OAuth manager pushes; after the access token expired it
    refreshes on its own (single-flight through the store) and goes on."""
    with _engine(manager, realm, store, clock) as engine:
        first = engine.push([LocalCustomer(id="c1", display_name="Amy")])
        assert first.status is RunStatus.SUCCESS
        version = store.get_tokens(realm).version  # type: ignore[union-attr]
        clock.advance(2 * 3600)  # the access token lived one hour
        second = engine.push([LocalCustomer(id="c2", display_name="Bob")])
        assert second.status is RunStatus.SUCCESS, second.message
        assert store.get_tokens(realm).version > version  # type: ignore[union-attr]


def test_disconnect_and_void_is_a_recorded_run_of_void_outcomes(
    manager: OAuthManager, connected: Connected, realm: str, store: MemoryStore,
    clock: FakeClock, fake: FakeQBO,
) -> None:
    """Every synced invoice is voided in batches, each with an outcome; a gone one fails
    alone; then the tokens are revoked and the links and history kept."""
    engine = _engine(manager, realm, store, clock)
    invoices = [LocalInvoice(id=f"inv-{n}", customer_id="c1",
                             lines=[LocalLine(amount=Decimal(10 + n))]) for n in range(3)]
    engine.push([LocalCustomer(id="c1", display_name="Amy"), *invoices])
    store.save_links([EntityLink(realm_id=realm, entity_type="Invoice", local_id="inv-gone",
                                 qbo_id="9999", sync_token="0")])
    voids, disconnected = engine.disconnect(manager, void_invoices=True)
    engine.close()
    assert voids is not None
    assert voids.status is RunStatus.PARTIAL
    actions = {o.local_id: (o.action, o.reason) for o in voids.outcomes}
    assert actions["inv-gone"][0] is Action.FAIL
    assert {k: v[0] for k, v in actions.items() if k != "inv-gone"} == {
        f"inv-{n}": Action.VOID for n in range(3)}
    assert voids.write_requests == 1
    for n in range(3):
        qbo_id = store.get_links(realm, "Invoice", [f"inv-{n}"])[f"inv-{n}"].qbo_id
        stored = fake.read(realm, "Invoice", qbo_id or "")
        assert stored is not None
        assert Decimal(str(stored["TotalAmt"])) == 0
    assert disconnected.revoked is True
    assert store.get_tokens(realm) is None
    assert store.get_run(voids.run_id) is not None
    assert len(store.list_links(realm, entity_type="Invoice")) == 4


def test_the_auth_managers_own_void_flag_is_deprecated(
    manager: OAuthManager, connected: Connected, realm: str
) -> None:
    """OAuthManager.disconnect(void_invoices=True) still works, and points to the engine."""
    with pytest.warns(DeprecationWarning, match="SyncEngine.disconnect"):
        manager.disconnect(realm, void_invoices=True)
