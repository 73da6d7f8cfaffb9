"""Push planning is a pure function: every decision, from plain data, without QBO."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from qbo_sync import models
from qbo_sync.mapping import (
    CustomerMapper,
    InvoiceMapper,
    LocalCustomer,
    LocalInvoice,
    LocalLine,
)
from qbo_sync.storage import EntityLink, LinkStatus, Settings
from qbo_sync.sync import Action, FieldPolicy, PlanContext, plan_entity
from qbo_sync.sync._plan import candidate_index

REALM = "123"
CUSTOMERS = CustomerMapper()
SETTINGS = Settings(account_mapping={"income": "79", "accounts_receivable": "84"})


def link(local_id: str, qbo_id: str | None, fp: str | None, **kw: Any) -> EntityLink:
    return EntityLink(realm_id=REALM, entity_type="Customer", local_id=local_id, qbo_id=qbo_id,
                      sync_token="3", fingerprint=fp, **kw)


def plan(records: list[Any], links: dict[str, EntityLink] | None = None,
         remote: list[Any] = (), linked: tuple[str, ...] = (),
         policy: FieldPolicy | None = None, mapper: Any = CUSTOMERS,
         resolved: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    policy = policy or FieldPolicy()
    ctx = PlanContext(settings=SETTINGS, resolved=resolved or {}, default_item=lambda: "1")
    out = plan_entity(mapper, records, links=links or {}, fields=policy.push_fields(mapper),
                      qbo_owned=policy.qbo_attributes(mapper),
                      candidates=candidate_index(mapper, remote, linked), ctx=ctx)
    return {p.local_id: p for p in out}


def fp(record: LocalCustomer) -> str:
    return CUSTOMERS.fingerprint(record, FieldPolicy().push_fields(CUSTOMERS))


AMY = LocalCustomer(id="c1", display_name="Amy", email="amy@x.com")


def remote(qbo_id: str, name: str, email: str | None = None) -> models.Customer:
    addr = models.EmailAddress(address=email) if email else None
    return models.Customer(id=qbo_id, sync_token="0", display_name=name, primary_email_addr=addr)


def test_new_record_is_created_and_unchanged_one_skipped() -> None:
    """No link and no candidate: create. A synced link with the same fingerprint: skip."""
    assert plan([AMY])["c1"].action is Action.CREATE
    skipped = plan([AMY], {"c1": link("c1", "58", fp(AMY))})["c1"]
    assert (skipped.action, skipped.reason) == (Action.SKIP, "unchanged")


def test_changed_record_is_a_sparse_update_with_the_link_token() -> None:
    """A changed record is updated with the link's id and SyncToken."""
    p = plan([AMY], {"c1": link("c1", "58", "old")})["c1"]
    assert p.action is Action.UPDATE
    assert (p.payload.id, p.payload.sync_token) == ("58", "3")
    body = models.to_qbo_sparse(p.payload)
    assert body["sparse"] is True
    assert body["DisplayName"] == "Amy"


def test_failed_link_is_retried_even_with_the_same_fingerprint() -> None:
    """A failed last write is never skipped."""
    failed = link("c1", "58", fp(AMY), status=LinkStatus.FAILED)
    assert plan([AMY], {"c1": failed})["c1"].action is Action.UPDATE


def test_match_by_email_then_by_name() -> None:
    """E-mail decides first; without an e-mail match the normalised name does."""
    by_email = plan([AMY], remote=[remote("7", "Amy Ltd", "AMY@x.com"), remote("8", "amy")])
    assert (by_email["c1"].action, by_email["c1"].qbo_id) == (Action.MATCH, "7")
    by_name = plan([AMY], remote=[remote("8", "  AMY ")])
    assert (by_name["c1"].action, by_name["c1"].qbo_id, by_name["c1"].sync_token) == \
        (Action.MATCH, "8", "0")


def test_ambiguous_match_is_reported_never_guessed() -> None:
    """Two candidates with the same key: fail for review, naming both ids."""
    p = plan([AMY], remote=[remote("7", "x", "amy@x.com"), remote("9", "y", "amy@x.com")])["c1"]
    assert (p.action, p.reason) == (Action.FAIL, "ambiguous_match")
    assert "7, 9" in (p.message or "")


def test_a_candidate_is_matched_once_and_linked_ones_are_not_candidates() -> None:
    """The second record wanting the same QBO object fails; linked objects are skipped."""
    twin = LocalCustomer(id="c2", display_name="Amy", email="amy@x.com")
    out = plan([AMY, twin], remote=[remote("7", "Amy", "amy@x.com")])
    assert out["c1"].action is Action.MATCH
    assert (out["c2"].action, out["c2"].reason) == (Action.FAIL, "ambiguous_match")
    assert plan([AMY], remote=[remote("7", "Amy", "amy@x.com")], linked=("7",))["c1"].action \
        is Action.CREATE


def test_deleted_and_voided_records() -> None:
    """Name lists are inactivated, transactions voided or deleted; unpushed ones skipped."""
    gone = attrs.evolve(AMY, deleted=True)
    p = plan([gone], {"c1": link("c1", "58", fp(AMY))})["c1"]
    assert p.action is Action.INACTIVATE
    assert models.to_qbo_sparse(p.payload) == {"Id": "58", "SyncToken": "3", "sparse": True,
                                               "Active": False}
    assert plan([gone])["c1"].reason == "not_in_qbo"
    invoice = LocalInvoice(id="i1", customer_id="c1", lines=[LocalLine(amount=Decimal(1))])
    inv_link = {"i1": attrs.evolve(link("i1", "130", "x"), entity_type="Invoice")}
    resolved = {"Customer": {"c1": "58"}}
    voided = plan([attrs.evolve(invoice, voided=True)], inv_link, mapper=InvoiceMapper(),
                  resolved=resolved)["i1"]
    assert voided.action is Action.VOID
    deleted = plan([attrs.evolve(invoice, deleted=True)], inv_link, mapper=InvoiceMapper(),
                   resolved=resolved)["i1"]
    assert deleted.action is Action.DELETE


def test_mapping_failures_become_outcomes() -> None:
    """An invoice whose customer is not in QBO fails with dependency_missing, others go on."""
    ok = LocalInvoice(id="i1", customer_id="c1", lines=[LocalLine(amount=Decimal(1))])
    orphan = attrs.evolve(ok, id="i2", customer_id="nobody")
    out = plan([ok, orphan], mapper=InvoiceMapper(), resolved={"Customer": {"c1": "58"}})
    assert out["i1"].action is Action.CREATE
    assert (out["i2"].action, out["i2"].reason) == (Action.FAIL, "dependency_missing")


def test_pending_link_is_not_written_again() -> None:
    """A record whose earlier write is unconfirmed is never sent a second time."""
    pending = link("c1", None, None, status=LinkStatus.PENDING, pending_request_id="qsx:b0")
    assert plan([AMY], {"c1": pending})["c1"].reason == "write_unconfirmed"


def test_qbo_owned_fields_are_left_out_of_updates_and_fingerprints() -> None:
    """With QBO owning addresses, updates never send them and their changes never re-push."""
    policy = FieldPolicy(qbo_owns={"Customer": {"addresses"}})
    from qbo_sync.mapping import LocalAddress

    moved = attrs.evolve(AMY, billing_address=LocalAddress(city="Paris"))
    owned = policy.push_fields(CUSTOMERS)
    assert CUSTOMERS.fingerprint(moved, owned) == CUSTOMERS.fingerprint(AMY, owned)
    changed = attrs.evolve(moved, email="new@x.com")
    p = plan([changed], {"c1": link("c1", "58", "old")}, policy=policy)["c1"]
    assert "BillAddr" not in models.to_qbo_sparse(p.payload)
    created = plan([moved], policy=policy)["c1"]
    assert models.to_qbo(created.payload)["BillAddr"] == {"City": "Paris"}
