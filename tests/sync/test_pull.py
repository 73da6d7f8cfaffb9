"""Pulling QBO's changes into the product: CDC and query, echoes, payments, voids,
deletions, field ownership, cursors, webhooks and streaming (fake QBO, in process).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from decimal import Decimal
from typing import Any

import attrs
import pytest

from qbo_sync import MemoryStore, QBOClient, SyncEngine, models
from qbo_sync.mapping import (
    LocalAddress,
    LocalCustomer,
    LocalInvoice,
    LocalLine,
)
from qbo_sync.storage import Cursor, RunStatus
from qbo_sync.sync import Action, ChangeKind, FieldPolicy, RecordOutcome, SyncReport
from qbo_sync.testing import FakeClock, FakeQBO, sample_book
from qbo_sync.webhooks import WebhookEvent, parse_events

from .conftest import RecordingSink, make_engine

PRODUCT_CUSTOMER_FIELDS = {
    "display_name", "company_name", "given_name", "family_name", "email", "phone",
    "billing_address", "shipping_address", "notes",
}


# -- helpers -----------------------------------------------------------------------------


def _pull(engine: SyncEngine, sink: Any, clock: FakeClock, **options: Any) -> SyncReport:
    """A pull a minute later (QBO's clock and ours both move)."""
    clock.advance(60)
    return engine.pull(sink, **options)


def _reasons(report: SyncReport, entity: str) -> Counter[str | None]:
    return Counter(o.reason for o in report.outcomes if o.entity == entity)


def _book() -> tuple[list[LocalCustomer], list[LocalInvoice]]:
    customers = [
        LocalCustomer(id="c1", display_name="Ada Lovelace", email="ada@example.com",
                      billing_address=LocalAddress(line1="1 Engine St", city="London")),
        LocalCustomer(id="c2", display_name="Grace Hopper", email="grace@example.com"),
    ]
    invoices = [
        LocalInvoice(id="inv1", customer_id="c1", number="1001", date=dt.date(2026, 1, 5),
                     lines=[LocalLine(description="Boiler service", amount=Decimal("100.00"))]),
        LocalInvoice(id="inv2", customer_id="c2", number="1002", date=dt.date(2026, 1, 5),
                     lines=[LocalLine(description="Site visit", amount=Decimal("250.00"))]),
    ]
    return customers, invoices


def _pushed(engine: SyncEngine, clock: FakeClock) -> tuple[list[LocalCustomer], list[LocalInvoice]]:
    """Push the small book and drain the first pull, so later pulls run on CDC."""
    customers, invoices = _book()
    report = engine.push([*customers, *invoices])
    assert report.status is RunStatus.SUCCESS, report.failures
    _pull(engine, RecordingSink(), clock)
    return customers, invoices


def _qbo_id(store: MemoryStore, engine: SyncEngine, entity: str, local_id: str) -> str:
    link = store.get_links(engine.realm_id, entity, [local_id])[local_id]
    assert link.qbo_id
    return link.qbo_id


def _outcome(report: SyncReport, entity: str, local_id: str) -> RecordOutcome:
    found = report.outcome(entity, local_id)
    assert found is not None, (entity, local_id)
    return found


def _since(store: MemoryStore, realm: str, entity: str) -> dt.datetime:
    cursor = store.get_cursor(realm, entity)
    assert cursor is not None, entity
    return cursor.changed_since


def _seed_customer(fake: FakeQBO, realm: str, name: str, **extra: Any) -> dict[str, Any]:
    """A customer typed into QBO by the accountant."""
    return fake.seed(realm, "Customer", {"DisplayName": name, **extra})


def _pay(client: QBOClient, customer: str, invoice: str, amount: str,
         date: dt.date) -> models.Payment:
    """A payment recorded in QBO against one invoice."""
    return client.payments.create(models.Payment(
        customer_ref=models.Ref(value=customer), total_amt=Decimal(amount), txn_date=date,
        line=[models.PaymentLine(amount=Decimal(amount), linked_txn=[
            models.LinkedTxn(txn_id=invoice, txn_type="Invoice")])],
    ))


# -- 1. created in QBO -------------------------------------------------------------------


def test_qbo_created_records_arrive_created_then_link_and_are_not_delivered_again(
    engine: SyncEngine, store: MemoryStore, sink: RecordingSink, fake_qbo: FakeQBO,
    qbo_clock: FakeClock, qbo_realm_id: str,
) -> None:
    """A customer and an invoice typed into QBO reach the sink as CREATED with every
    field; the ids the sink returns become links (the invoice's customer is the
    product's id); the next pull recognises them (same SyncToken) and skips them.
    """
    cust = _seed_customer(fake_qbo, qbo_realm_id, "Zed Shaw",
                          PrimaryEmailAddr={"Address": "zed@example.com"},
                          PrimaryPhone={"FreeFormNumber": "555-0100"},
                          BillAddr={"Line1": "1 Main St", "City": "Austin",
                                    "CountrySubDivisionCode": "TX", "PostalCode": "73301"})
    inv = fake_qbo.seed(qbo_realm_id, "Invoice", {
        "CustomerRef": {"value": cust["Id"]}, "DocNumber": "Q-1", "TxnDate": "2026-01-04",
        "Line": [{"Amount": "120.00", "DetailType": "SalesItemLineDetail",
                  "Description": "Pipe repair",
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2,
                                          "UnitPrice": "60.00"}}],
    })

    report = _pull(engine, sink, qbo_clock)

    assert report.status is RunStatus.SUCCESS
    [customer] = sink.of(ChangeKind.CREATED, "Customer")
    assert customer.qbo_id == cust["Id"]
    assert customer.local_id is None
    assert customer.sync_token == "0"
    assert customer.fields == frozenset(a.name for a in attrs.fields(LocalCustomer))
    record = customer.record
    assert isinstance(record, LocalCustomer)
    assert (record.display_name, record.email, record.phone) == (
        "Zed Shaw", "zed@example.com", "555-0100")
    assert record.billing_address == LocalAddress(line1="1 Main St", city="Austin",
                                                  region="TX", postal_code="73301")

    [invoice] = sink.of(ChangeKind.CREATED, "Invoice")
    assert invoice.qbo_id == inv["Id"]
    assert invoice.fields == frozenset(a.name for a in attrs.fields(LocalInvoice))
    assert isinstance(invoice.record, LocalInvoice)
    assert invoice.record.number == "Q-1"
    assert invoice.record.date == dt.date(2026, 1, 4)
    assert invoice.record.total == Decimal("120.00")
    assert invoice.record.balance == Decimal("120.00")
    # The customer was linked in the same pull, so the invoice names the product's id.
    assert invoice.record.customer_id == f"local-Customer-{cust['Id']}"
    [line] = invoice.record.lines
    assert (line.description, line.quantity, line.unit_price, line.amount) == (
        "Pipe repair", Decimal("2"), Decimal("60.00"), Decimal("120.00"))

    cust_local, inv_local = f"local-Customer-{cust['Id']}", f"local-Invoice-{inv['Id']}"
    assert store.get_links(qbo_realm_id, "Customer", [cust_local])[cust_local].qbo_id == cust["Id"]
    assert store.get_links(qbo_realm_id, "Invoice", [inv_local])[inv_local].qbo_id == inv["Id"]
    assert _outcome(report, "Customer", cust_local).action is Action.CREATE

    sink.changes.clear()
    again = _pull(engine, sink, qbo_clock)
    assert again.status is RunStatus.SUCCESS
    assert [c for c in sink.changes if c.qbo_id in (cust["Id"], inv["Id"])] == []


def test_unlinked_created_records_come_again_until_the_sink_links_them(
    engine: SyncEngine, fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str,
) -> None:
    """A CREATED change the sink does not link is reported ``not_linked`` and is
    delivered again by the next pull that reads it (here the query's overlap)."""
    cust = _seed_customer(fake_qbo, qbo_realm_id, "Unlinked Ltd")
    sink = RecordingSink(link_created=False)
    first = _pull(engine, sink, qbo_clock, entities=["Customer"])
    assert [c.qbo_id for c in sink.changes] == [cust["Id"]]
    assert [o.reason for o in first.outcomes] == ["not_linked"]
    assert engine.store.get_links_by_qbo_ids(qbo_realm_id, "Customer", [cust["Id"]]) == {}


# -- 2. echoes of our own push ---------------------------------------------------------


def test_first_pull_after_a_push_skips_our_own_writes_as_echo(
    engine: SyncEngine, sink: RecordingSink, qbo_clock: FakeClock,
) -> None:
    """Every object the push created comes back with the SyncToken its link holds:
    each is skipped with reason ``echo`` and nothing of ours reaches the sink."""
    book = sample_book(customers=6, items=3, invoices=8, payments=0, credit_memos=2)
    pushed = engine.push(book.records())
    assert pushed.status is RunStatus.SUCCESS

    report = _pull(engine, sink, qbo_clock)

    assert report.status is RunStatus.SUCCESS
    assert _reasons(report, "Customer") == Counter({"echo": 6})
    assert _reasons(report, "Invoice") == Counter({"echo": 8})
    assert _reasons(report, "CreditMemo") == Counter({"echo": 2})
    # Our 3 items and the default service item; the company's own "Services" is new to us.
    assert _reasons(report, "Item")["echo"] == 4
    assert report.counts["Customer"].skipped == 6
    assert report.counts["Invoice"].skipped == 8
    ours = {o.qbo_id for o in pushed.outcomes if o.qbo_id}
    assert not [c for c in sink.changes if c.qbo_id in ours and c.entity != "Item"]
    assert {c.entity for c in sink.changes} <= {"Item"}


def test_invoices_paid_by_our_pushed_payments_come_back_with_their_balance(
    engine: SyncEngine, sink: RecordingSink, qbo_clock: FakeClock,
) -> None:
    """A payment we pushed is an echo, but QBO moved the invoices it paid (new
    SyncToken, new balance): those arrive UPDATED with QBO-computed fields only."""
    book = sample_book(customers=3, items=2, invoices=4, payments=2, credit_memos=0)
    assert engine.push(book.records()).status is RunStatus.SUCCESS

    report = _pull(engine, sink, qbo_clock)

    assert _reasons(report, "Payment") == Counter({"echo": 2})
    paid = {a.invoice_id for p in book.payments for a in p.applied_to}
    updated = sink.of(ChangeKind.UPDATED, "Invoice")
    assert {c.local_id for c in updated} == paid
    assert all(c.fields == {"total", "balance", "voided", "deleted"} for c in updated)
    assert sink.of(ChangeKind.PAID) == []  # our own payments: the product knows them


# -- 3. payments recorded in QBO --------------------------------------------------------


def test_payment_in_qbo_gives_paid_changes_full_and_partial(
    engine: SyncEngine, client: QBOClient, store: MemoryStore, sink: RecordingSink,
    qbo_clock: FakeClock,
) -> None:
    """A QBO payment on a linked invoice gives an Invoice PAID change with the amount,
    the date, the timeline note and balance 0 (paid in full); a partial one gives
    the balance left; both are reported per invoice."""
    _pushed(engine, qbo_clock)
    inv1, inv2 = (_qbo_id(store, engine, "Invoice", i) for i in ("inv1", "inv2"))
    full = _pay(client, _qbo_id(store, engine, "Customer", "c1"), inv1, "100.00",
                dt.date(2026, 1, 20))
    part = _pay(client, _qbo_id(store, engine, "Customer", "c2"), inv2, "100.00",
                dt.date(2026, 1, 21))

    report = _pull(engine, sink, qbo_clock)

    assert report.status is RunStatus.SUCCESS
    paid = {c.local_id: c for c in sink.of(ChangeKind.PAID, "Invoice")}
    assert set(paid) == {"inv1", "inv2"}
    one = paid["inv1"].payment
    assert one is not None
    assert (one.invoice_qbo_id, one.payment_qbo_id) == (inv1, full.id)
    assert one.amount == Decimal("100.00")
    assert one.date == dt.date(2026, 1, 20)
    assert one.note == "Payment confirmed via QuickBooks"
    assert one.balance == Decimal("0")
    assert one.paid_in_full
    two = paid["inv2"].payment
    assert two is not None
    assert (two.payment_qbo_id, two.amount, two.date) == (part.id, Decimal("100.00"),
                                                          dt.date(2026, 1, 21))
    assert two.balance == Decimal("150.00")
    assert not two.paid_in_full
    reasons = {(o.local_id, o.reason) for o in report.outcomes if o.entity == "Invoice"
               and o.action is Action.UPDATE and o.reason}
    assert {("inv1", "paid"), ("inv2", "partially_paid")} <= reasons
    # The payments themselves are new to the product.
    assert {c.qbo_id for c in sink.of(ChangeKind.CREATED, "Payment")} == {full.id, part.id}


def test_payment_of_an_unlinked_invoice_is_not_taken_for_a_local_id(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, client: QBOClient,
    store: MemoryStore,
) -> None:
    """Products often use numeric ids like QBO's. A payment of QBO invoice "1",
    which the product does not have, must not become a PAID change of the
    product's invoice "1" (linked to another QBO invoice)."""
    engine = make_engine(client, store, qbo_clock)
    cust = _seed_customer(fake_qbo, qbo_realm_id, "Numeric Ids Inc")
    foreign = fake_qbo.seed(qbo_realm_id, "Invoice", {
        "CustomerRef": {"value": cust["Id"]},
        "Line": [{"Amount": "80.00", "DetailType": "SalesItemLineDetail",
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}],
    })
    _pull(engine, RecordingSink(link_created=False), qbo_clock)  # the product keeps neither
    ours = LocalInvoice(id=foreign["Id"], customer_id="7", number="2001",
                        lines=[LocalLine(description="Inspection", amount=Decimal("300.00"))])
    assert engine.push([LocalCustomer(id="7", display_name="Seven"), ours]).status \
        is RunStatus.SUCCESS
    assert _qbo_id(store, engine, "Invoice", ours.id) != foreign["Id"]
    _pull(engine, RecordingSink(link_created=False), qbo_clock)

    _pay(client, cust["Id"], foreign["Id"], "80.00", dt.date(2026, 1, 9))
    sink = RecordingSink(link_created=False)
    _pull(engine, sink, qbo_clock)

    assert sink.of(ChangeKind.PAID) == []
    [payment] = sink.of(ChangeKind.CREATED, "Payment")
    assert payment.record.applied_to[0].amount == Decimal("80.00")


# -- 4. voided and deleted in QBO --------------------------------------------------------


def test_void_and_delete_in_qbo_reach_the_product_and_a_deletion_unlinks(
    engine: SyncEngine, client: QBOClient, store: MemoryStore, sink: RecordingSink,
    qbo_clock: FakeClock, qbo_realm_id: str, fake_qbo: FakeQBO,
) -> None:
    """An invoice voided in QBO arrives VOIDED (record voided, zero total); one
    deleted in QBO arrives DELETED through CDC and its link is removed."""
    _pushed(engine, qbo_clock)
    inv1, inv2 = (_qbo_id(store, engine, "Invoice", i) for i in ("inv1", "inv2"))
    client.invoices.void(client.invoices.get(inv1))
    client.invoices.delete(client.invoices.get(inv2))
    cdc_before = fake_qbo.stats.requests["cdc"]

    report = _pull(engine, sink, qbo_clock)

    assert report.status is RunStatus.SUCCESS
    assert fake_qbo.stats.requests["cdc"] == cdc_before + 1
    [voided] = sink.of(ChangeKind.VOIDED, "Invoice")
    assert (voided.local_id, voided.qbo_id) == ("inv1", inv1)
    assert voided.record.voided
    assert voided.record.total == Decimal("0")
    assert "voided" in voided.fields
    [deleted] = sink.of(ChangeKind.DELETED, "Invoice")
    assert (deleted.local_id, deleted.qbo_id, deleted.record) == ("inv2", inv2, None)
    assert store.get_links(qbo_realm_id, "Invoice", ["inv2"]) == {}
    assert store.get_links(qbo_realm_id, "Invoice", ["inv1"])["inv1"].qbo_id == inv1
    actions = {o.local_id: o.action for o in report.outcomes if o.entity == "Invoice"}
    assert actions == {"inv1": Action.VOID, "inv2": Action.DELETE}

    sink.changes.clear()
    _pull(engine, sink, qbo_clock)
    assert sink.of(ChangeKind.VOIDED) == []
    assert sink.of(ChangeKind.DELETED) == []


# -- 5. field ownership -----------------------------------------------------------------


def test_default_policy_leaves_product_owned_fields_out_of_updates(
    engine: SyncEngine, client: QBOClient, store: MemoryStore, sink: RecordingSink,
    qbo_clock: FakeClock,
) -> None:
    """By default the product owns what it pushes: an accountant's edit of a linked
    customer arrives UPDATED but with none of the product's fields to take, while
    an invoice update carries QBO's total and balance."""
    _pushed(engine, qbo_clock)
    cust = client.customers.get(_qbo_id(store, engine, "Customer", "c1"))
    client.customers.sparse_update({"Id": cust.id, "SyncToken": cust.sync_token,
                                    "DisplayName": "Ada King", "Notes": "prefers e-mail"})
    inv = client.invoices.get(_qbo_id(store, engine, "Invoice", "inv2"))
    line = {"Amount": "275.00", "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    client.invoices.sparse_update({"Id": inv.id, "SyncToken": inv.sync_token, "Line": [line]})

    _pull(engine, sink, qbo_clock)

    [customer] = sink.of(ChangeKind.UPDATED, "Customer")
    assert customer.local_id == "c1"
    assert customer.record.display_name == "Ada King"
    assert customer.fields.isdisjoint(PRODUCT_CUSTOMER_FIELDS | {"id"})
    [invoice] = sink.of(ChangeKind.UPDATED, "Invoice")
    assert invoice.local_id == "inv2"
    assert {"total", "balance"} <= invoice.fields
    assert invoice.fields.isdisjoint({"lines", "number", "customer_id", "date", "id"})
    assert invoice.record.total == Decimal("275.00")
    # The link now holds QBO's new SyncToken: the same version is not an update again.
    assert store.get_links(engine.realm_id, "Customer", ["c1"])["c1"].sync_token == str(
        int(cust.sync_token or "0") + 1)


def test_qbo_owned_addresses_are_pulled_and_never_pushed_back(
    client: QBOClient, store: MemoryStore, sink: RecordingSink, qbo_clock: FakeClock,
    fake_qbo: FakeQBO, qbo_realm_id: str,
) -> None:
    """With QBO owning customer addresses: an accountant's new billing address is
    in the UPDATED change's fields; pushing the customer again skips it (the
    fingerprint ignores addresses) and a later update of a product field leaves
    QBO's address alone."""
    engine = make_engine(client, store, qbo_clock,
                         policy=FieldPolicy(qbo_owns={"Customer": {"addresses"}}))
    customers, _ = _pushed(engine, qbo_clock)
    ada = customers[0]
    qid = _qbo_id(store, engine, "Customer", "c1")
    assert fake_qbo.read(qbo_realm_id, "Customer", qid)["BillAddr"]["City"] == "London"
    cust = client.customers.get(qid)
    address = {"Line1": "12 St James's Sq", "City": "Westminster"}
    client.customers.sparse_update({"Id": qid, "SyncToken": cust.sync_token, "BillAddr": address})

    _pull(engine, sink, qbo_clock)

    [change] = sink.of(ChangeKind.UPDATED, "Customer")
    assert {"billing_address", "shipping_address"} <= change.fields
    assert change.fields.isdisjoint({"display_name", "email", "phone"})
    assert change.record.billing_address == LocalAddress(line1="12 St James's Sq",
                                                         city="Westminster")

    # The product still holds the old address: nothing to push.
    again = engine.push([ada])
    assert _outcome(again, "Customer", "c1").reason == "unchanged"
    assert again.write_requests == 0
    # A product-owned change is sent, QBO's address stays.
    moved = engine.push([attrs.evolve(ada, email="ada@analytical.example")])
    assert _outcome(moved, "Customer", "c1").action is Action.UPDATE
    stored = fake_qbo.read(qbo_realm_id, "Customer", qid)
    assert stored["PrimaryEmailAddr"]["Address"] == "ada@analytical.example"
    assert stored["BillAddr"]["City"] == "Westminster"


# -- 6. the cursor moves only when the sink accepted -----------------------------------


def test_sink_failure_keeps_the_query_cursor_and_the_next_pull_redelivers(
    engine: SyncEngine, store: MemoryStore, fake_qbo: FakeQBO, qbo_clock: FakeClock,
    qbo_realm_id: str,
) -> None:
    """A sink that raises refuses the chunk: the run fails with ``sink_failed``
    outcomes, no cursor is saved, nothing is linked, and the next pull delivers
    the same objects again."""
    ids = [_seed_customer(fake_qbo, qbo_realm_id, f"Customer {i}")["Id"] for i in range(3)]
    sink = RecordingSink(fail_times=1)

    failed = _pull(engine, sink, qbo_clock, entities=["Customer"])

    assert failed.status is RunStatus.FAILED
    assert [(o.qbo_id, o.action, o.reason) for o in failed.outcomes] == [
        (i, Action.FAIL, "sink_failed") for i in ids]
    assert "the product's database is down" in (failed.outcomes[0].message or "")
    assert store.get_cursor(qbo_realm_id, "Customer") is None
    assert store.get_links_by_qbo_ids(qbo_realm_id, "Customer", ids) == {}
    assert sink.changes == []

    again = _pull(engine, sink, qbo_clock, entities=["Customer"])

    assert again.status is RunStatus.SUCCESS
    assert [c.qbo_id for c in sink.of(ChangeKind.CREATED, "Customer")] == ids
    assert store.get_cursor(qbo_realm_id, "Customer") is not None


def test_sink_failure_on_cdc_keeps_the_cursor_and_other_entities_move_on(
    engine: SyncEngine, store: MemoryStore, client: QBOClient, fake_qbo: FakeQBO,
    qbo_clock: FakeClock, qbo_realm_id: str,
) -> None:
    """On the CDC path a refused entity keeps its cursor while entities the sink
    accepted advance; the next pull redelivers the refused changes."""
    _pushed(engine, qbo_clock)
    before = {c.entity_type: c.changed_since for c in store.list_cursors(qbo_realm_id)}
    cust = _seed_customer(fake_qbo, qbo_realm_id, "Late Arrival")
    fake_qbo.seed(qbo_realm_id, "Item", {"Name": "Gasket", "Type": "Service",
                                         "IncomeAccountRef": {"value": engine.settings()
                                                              .account_mapping["income"]}})

    class CustomerDown(RecordingSink):
        down = True

        def apply(self, changes: Any) -> dict[str, str]:
            if self.down and any(c.entity == "Customer" for c in changes):
                self.down = False
                raise RuntimeError("customers table locked")
            return super().apply(changes)

    sink = CustomerDown()
    report = _pull(engine, sink, qbo_clock)

    assert report.status is RunStatus.PARTIAL
    assert _reasons(report, "Customer")["sink_failed"] == 1
    assert _since(store, qbo_realm_id, "Customer") == before["Customer"]
    assert _since(store, qbo_realm_id, "Item") > before["Item"]
    assert [c.record.name for c in sink.of(ChangeKind.CREATED, "Item")] == ["Gasket"]

    _pull(engine, sink, qbo_clock)
    assert [c.qbo_id for c in sink.of(ChangeKind.CREATED, "Customer")] == [cust["Id"]]
    assert _since(store, qbo_realm_id, "Customer") > before["Customer"]


# -- 7. CDC or query ---------------------------------------------------------------------


def test_old_cursor_pulls_by_query_and_a_recent_one_by_cdc(
    engine: SyncEngine, store: MemoryStore, sink: RecordingSink, fake_qbo: FakeQBO,
    qbo_clock: FakeClock, qbo_realm_id: str,
) -> None:
    """A cursor older than 29 days is past CDC's look-back: the pull queries on
    LastUpdatedTime (no CDC request); the cursor it leaves is recent, so the
    next pull is one CDC request and no query."""
    now = qbo_clock.now()
    store.save_cursor(Cursor(realm_id=qbo_realm_id, entity_type="Customer",
                             changed_since=now - dt.timedelta(days=30), updated_at=now))
    cust = _seed_customer(fake_qbo, qbo_realm_id, "Old Friend")
    fake_qbo.stats.reset()

    _pull(engine, sink, qbo_clock, entities=["Customer"])

    assert fake_qbo.stats.requests["cdc"] == 0
    assert fake_qbo.stats.requests["query"] == 1
    assert [c.qbo_id for c in sink.changes] == [cust["Id"]]
    cursor = store.get_cursor(qbo_realm_id, "Customer")
    assert cursor is not None
    assert qbo_clock.now() - cursor.changed_since < dt.timedelta(days=1)

    newer = _seed_customer(fake_qbo, qbo_realm_id, "New Friend")
    fake_qbo.stats.reset()
    sink.changes.clear()
    _pull(engine, sink, qbo_clock, entities=["Customer"])

    assert fake_qbo.stats.requests["cdc"] == 1
    assert fake_qbo.stats.requests["query"] == 0
    assert [c.qbo_id for c in sink.changes] == [newer["Id"]]


def test_capped_cdc_is_reported_and_the_engine_falls_back_to_a_query(
    engine: SyncEngine, client: QBOClient, store: MemoryStore, sink: RecordingSink,
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CDC answers at most QBO's cap per entity: with ``follow_capped=False`` the
    client lists the entity as capped, and the engine then reads that entity by
    query from its cursor, so nothing beyond the cap is lost."""
    _pull(engine, RecordingSink(), qbo_clock)  # cursors for every entity
    since = _since(store, qbo_realm_id, "Customer")
    ids = []
    for i in range(5):
        qbo_clock.advance(1)
        ids.append(_seed_customer(fake_qbo, qbo_realm_id, f"Bulk {i}")["Id"])

    direct = client.cdc(["Customer"], since, cap=5, follow_capped=False)
    assert direct.capped == {"Customer"}
    assert len(direct.changed["Customer"]) == 5
    assert client.cdc(["Customer"], since, cap=6, follow_capped=False).capped == frozenset()

    monkeypatch.setattr(client, "cdc", functools.partial(client.cdc, cap=3))
    fake_qbo.stats.reset()
    report = _pull(engine, sink, qbo_clock)

    assert report.status is RunStatus.SUCCESS
    assert fake_qbo.stats.requests["cdc"] == 1
    assert fake_qbo.stats.requests["query"] == 1  # Customer alone, by query
    assert [c.qbo_id for c in sink.of(ChangeKind.CREATED, "Customer")] == ids


# -- 8. webhooks -------------------------------------------------------------------------


def test_pull_events_reads_named_objects_once_and_leaves_cursors_alone(
    engine: SyncEngine, client: QBOClient, store: MemoryStore, sink: RecordingSink,
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str,
) -> None:
    """Webhook events pull just what they name: repeated events for one customer
    cost one read and give one change; a Delete event gives DELETED and unlinks;
    events of another company are ignored; cursors do not move."""
    _pushed(engine, qbo_clock)
    bodies: list[bytes] = []
    fake_qbo.webhooks.add_callback(lambda body, headers: bodies.append(body))
    cust = _seed_customer(fake_qbo, qbo_realm_id, "Hooked Ltd")
    fake_qbo.seed(qbo_realm_id, "Customer", {"Id": cust["Id"], "SyncToken": "0",
                                             "sparse": True, "Notes": "called twice"})
    inv2 = _qbo_id(store, engine, "Invoice", "inv2")
    client.invoices.delete(client.invoices.get(inv2))
    events: list[WebhookEvent] = [e for body in bodies for e in parse_events(body)]
    assert Counter(e.operation.value for e in events) == Counter(
        {"Create": 1, "Update": 1, "Delete": 1})
    foreign = attrs.evolve(events[0], realm_id="999999", entity_id="424242")
    cursors = store.list_cursors(qbo_realm_id)
    fake_qbo.stats.reset()

    report = engine.pull_events(sink, [*events, *events, foreign])

    assert report.status is RunStatus.SUCCESS
    assert fake_qbo.stats.requests["query"] == 1  # one read for both customer events
    assert fake_qbo.stats.requests["cdc"] == 0
    [created] = sink.of(ChangeKind.CREATED, "Customer")
    assert created.qbo_id == cust["Id"]
    assert created.record.notes == "called twice"
    [deleted] = sink.of(ChangeKind.DELETED, "Invoice")
    assert (deleted.local_id, deleted.qbo_id) == ("inv2", inv2)
    assert store.get_links(qbo_realm_id, "Invoice", ["inv2"]) == {}
    assert not [c for c in sink.changes if c.qbo_id == "424242"]
    assert len(sink.changes) == 2
    assert store.list_cursors(qbo_realm_id) == cursors


def test_pull_events_skips_echoes_of_our_push(
    engine: SyncEngine, sink: RecordingSink, fake_qbo: FakeQBO, qbo_clock: FakeClock,
) -> None:
    """The webhooks our own push triggers name objects the links already hold:
    pulling them gives echoes, not changes."""
    bodies: list[bytes] = []
    fake_qbo.webhooks.add_callback(lambda body, headers: bodies.append(body))
    customers, invoices = _book()
    engine.push([*customers, *invoices])
    events = [e for body in bodies for e in parse_events(body)]
    assert {e.entity for e in events} >= {"Customer", "Invoice"}

    report = engine.pull_events(sink, events)

    assert sink.changes == []
    assert _reasons(report, "Customer") == Counter({"echo": 2})
    assert _reasons(report, "Invoice") == Counter({"echo": 2})


# -- 9. streaming ------------------------------------------------------------------------


class _FailOnCall(RecordingSink):
    """Refuses exactly its ``n``-th ``apply`` call."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def apply(self, changes: Any) -> dict[str, str]:
        if self.calls + 1 == self.n:
            self.calls += 1
            raise RuntimeError("disk full")
        return super().apply(changes)


def test_large_pull_streams_in_chunks_and_saves_the_cursor_per_chunk(
    client: QBOClient, store: MemoryStore, fake_qbo: FakeQBO, qbo_clock: FakeClock,
    qbo_realm_id: str,
) -> None:
    """3,000 customers created in QBO reach the sink in chunks of
    ``pull_chunk_size``; when chunk 2 is refused, chunk 1's cursor stands, so the
    next pull (by query) starts after chunk 1 instead of at the beginning."""
    engine = make_engine(client, store, qbo_clock, pull_chunk_size=500)
    ids = []
    for i in range(3000):
        qbo_clock.advance(1)  # distinct LastUpdatedTime per customer
        ids.append(_seed_customer(fake_qbo, qbo_realm_id, f"Streamed {i:04d}")["Id"])

    sink = _FailOnCall(2)
    report = _pull(engine, sink, qbo_clock, entities=["Customer"])

    assert sink.calls == 2
    assert [c.qbo_id for c in sink.changes] == ids[:500]
    assert report.counts["Customer"].created == 500
    assert report.counts["Customer"].failed == 500
    assert report.status is RunStatus.PARTIAL
    cursor = store.get_cursor(qbo_realm_id, "Customer")
    assert cursor is not None
    last_of_chunk_1 = fake_qbo.read(qbo_realm_id, "Customer", ids[499])
    assert last_of_chunk_1 is not None
    stamp = dt.datetime.fromisoformat(last_of_chunk_1["MetaData"]["LastUpdatedTime"])
    assert cursor.changed_since == stamp - dt.timedelta(seconds=1)

    # Force the query path for the resumed pull (as after a long outage).
    engine.cdc_max_age = dt.timedelta(seconds=1)
    sink = RecordingSink()
    again = _pull(engine, sink, qbo_clock, entities=["Customer"])

    assert again.status is RunStatus.SUCCESS
    # 2,501 objects from chunk 1's newest stamp: that customer again (an echo
    # now: it is linked), then the 2,500 chunk 1 never reached.
    assert sink.calls == 6
    assert [c.qbo_id for c in sink.changes] == ids[500:]
    assert _reasons(again, "Customer")["echo"] == 1
    assert again.outcomes[0].qbo_id == ids[499]
    assert again.counts["Customer"].created == 2500

