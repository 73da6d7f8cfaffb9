"""Vendors and expenses pushed to the fake QBO: matching, purchases and bills, gates, recovery."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest

from qbo_sync import MemoryStore, SyncEngine
from qbo_sync.errors import ConfigurationError
from qbo_sync.mapping import LocalCustomer, LocalExpense, LocalExpenseLine, LocalVendor
from qbo_sync.storage import LinkStatus, RunStatus
from qbo_sync.sync import ChangeKind, MemorySource
from qbo_sync.testing import CrashingTransport, FakeClock, FakeQBO
from qbo_sync.testing import SimulatedCrash as Crash

from .conftest import RecordingSink, make_client, make_engine

ACME = LocalVendor(id="v-acme", display_name="Acme Supplies", email="ap@acme.example",
                   phone="555-0100")
BOB = LocalCustomer(id="c-bob", display_name="Bob's Bakery")


def receipt(n: int = 1, **changes: Any) -> LocalExpense:
    """A cash receipt from Acme: copper pipe, booked to the mapped expense account."""
    base = LocalExpense(
        id=f"exp-{n}", vendor_id=ACME.id, date=dt.date(2026, 1, 10), number=f"R-{n}",
        lines=[LocalExpenseLine(amount=Decimal("40.00"), description="Copper pipe"),
               LocalExpenseLine(amount=Decimal("12.50"), description="Fittings")],
    )
    return attrs.evolve(base, **changes)


class Spy(httpx.BaseTransport):
    """Passes requests through and keeps every batch item a push sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.items: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/batch"):
            self.items.extend(json.loads(request.content)["BatchItemRequest"])
        return self.inner.handle_request(request)

    def sent(self, entity: str) -> list[dict[str, Any]]:
        return [i[entity] for i in self.items if entity in i]


@pytest.fixture
def spy(fake_qbo: FakeQBO) -> Spy:
    return Spy(fake_qbo.transport())


@pytest.fixture
def books(fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore,
          spy: Spy) -> SyncEngine:
    """An engine whose suggested accounts (income, A/R, expense, bank, A/P) are mapped."""
    fake_qbo.seed(qbo_realm_id, "Account", {"Name": "Visa", "AccountType": "Credit Card"})
    client = make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=spy)
    return make_engine(client, store, qbo_clock)


def accounts(fake: FakeQBO, realm: str) -> dict[str, str]:
    """The first account of each type, by type."""
    found: dict[str, str] = {}
    for a in sorted(fake.objects(realm, "Account"), key=lambda a: int(a["Id"])):
        found.setdefault(a["AccountType"], a["Id"])
    return found


def test_suggest_accounts_proposes_every_role_the_mappers_use(books: SyncEngine,
                                                              fake_qbo: FakeQBO,
                                                              qbo_realm_id: str) -> None:
    """One query proposes income, A/R, expense, bank, credit card and A/P accounts."""
    by_type = accounts(fake_qbo, qbo_realm_id)
    assert books.suggest_accounts() == {
        "income": by_type["Income"], "accounts_receivable": by_type["Accounts Receivable"],
        "expense": by_type["Expense"], "bank": by_type["Bank"],
        "credit_card": by_type["Credit Card"], "accounts_payable": by_type["Accounts Payable"],
    }


def test_a_purchase_is_written_with_its_vendor_accounts_and_total(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str, spy: Spy
) -> None:
    """The vendor goes first; the purchase is paid from the bank, lines on the expense account."""
    report = books.push([receipt(), ACME])
    assert report.status is RunStatus.SUCCESS, report.failures
    assert [(o.entity, o.action.value) for o in report.outcomes] == [
        ("Vendor", "create"), ("Purchase", "create")]
    by_type = accounts(fake_qbo, qbo_realm_id)
    [vendor] = fake_qbo.objects(qbo_realm_id, "Vendor")
    [purchase] = fake_qbo.objects(qbo_realm_id, "Purchase")
    assert vendor["DisplayName"] == "Acme Supplies"
    assert purchase["PaymentType"] == "Cash"
    assert purchase["AccountRef"]["value"] == by_type["Bank"]
    assert purchase["EntityRef"]["value"] == vendor["Id"]
    assert Decimal(str(purchase["TotalAmt"])) == Decimal("52.50")
    assert purchase["DocNumber"] == "R-1"
    lines = purchase["Line"]
    assert [ln["AccountBasedExpenseLineDetail"]["AccountRef"]["value"] for ln in lines] == \
        [by_type["Expense"]] * 2
    assert "TotalAmt" not in spy.sent("Purchase")[0]  # QBO computes it
    assert books.push([receipt(), ACME]).write_requests == 0


def test_a_credit_card_purchase_uses_the_credit_card_account(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """``payment_type="CreditCard"`` is paid from the ``credit_card`` role's account."""
    report = books.push([ACME, receipt(payment_type="CreditCard")])
    assert report.status is RunStatus.SUCCESS, report.failures
    [purchase] = fake_qbo.objects(qbo_realm_id, "Purchase")
    assert purchase["PaymentType"] == "CreditCard"
    assert purchase["AccountRef"]["value"] == accounts(fake_qbo, qbo_realm_id)["Credit Card"]


def test_expenses_are_bills_when_the_product_says_so(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """``expense_entity="Bill"``: a bill on A/P with its due date; a record may say Purchase."""
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        engine = make_engine(client, store, qbo_clock, expense_entity="Bill")
        due = dt.date(2026, 2, 9)
        report = engine.push([ACME, receipt(1, due_date=due), receipt(2, entity="Purchase")])
        assert report.status is RunStatus.SUCCESS, report.failures
        assert report.counts["Bill"].created == 1
        assert report.counts["Purchase"].created == 1
        [bill] = fake_qbo.objects(qbo_realm_id, "Bill")
        assert bill["APAccountRef"]["value"] == accounts(fake_qbo, qbo_realm_id)["Accounts Payable"]
        assert bill["DueDate"] == due.isoformat()
        assert Decimal(str(bill["Balance"])) == Decimal("52.50")
        link = store.get_links(qbo_realm_id, "Bill", ["exp-1"])["exp-1"]
        assert link.status is LinkStatus.SYNCED
        assert link.qbo_id == bill["Id"]


def test_a_linked_expense_keeps_its_entity_when_the_setting_changes(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """Pushed as a purchase, then the product switches to bills: it is updated, not duplicated."""
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        make_engine(client, store, qbo_clock).push([ACME, receipt()])
        bills = make_engine(client, store, qbo_clock, expense_entity="Bill")
        changed = receipt(memo="re-filed")
        report = bills.push([ACME, changed])
        assert report.outcome("Purchase", changed.id).action.value == "update"
        assert fake_qbo.objects(qbo_realm_id, "Bill") == []
        [purchase] = fake_qbo.objects(qbo_realm_id, "Purchase")
        assert purchase["PrivateNote"] == "re-filed"
        fresh = bills.push([receipt(2)])
        assert fresh.counts["Bill"].created == 1


def test_the_expense_choice_is_a_saved_realm_setting(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """configure(expense_entity="Bill") is saved: a new engine on the store writes bills;
    a constructor argument still overrides it; an unknown value is refused, naming it."""
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        first = make_engine(client, store, qbo_clock)
        saved = first.configure(expense_entity="Bill", tax_calculation="TaxInclusive")
        assert (saved.expense_entity, saved.tax_calculation) == ("Bill", "TaxInclusive")
        assert store.get_settings(qbo_realm_id) == saved
        later = make_engine(client, store, qbo_clock)
        assert later.choices() == ("Bill", "TaxInclusive", None)
        report = later.push([ACME, receipt()])
        assert report.counts["Bill"].created == 1
        assert fake_qbo.objects(qbo_realm_id, "Purchase") == []
        override = make_engine(client, store, qbo_clock, expense_entity="Purchase")
        assert override.push([receipt(2)]).counts["Purchase"].created == 1
        with pytest.raises(ConfigurationError, match="expense_entity must be 'Purchase' or "
                           "'Bill', got 'Cheque'"):
            later.configure(expense_entity="Cheque")
        assert store.get_settings(qbo_realm_id) == saved


def test_a_bill_without_a_vendor_is_an_invalid_record(books: SyncEngine) -> None:
    """A bill is owed to someone: no vendor fails the record, nothing is sent."""
    report = books.push([receipt(vendor_id=None, entity="Bill")])
    failed = report.outcome("Bill", "exp-1")
    assert (failed.action.value, failed.reason) == ("fail", "invalid_record")
    assert report.write_requests == 0


def test_unmapped_expense_accounts_gate_the_expense(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """No bank account mapped, or a line's category not mapped: mapping_missing, named."""
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        engine = SyncEngine(client=client, store=store, clock=qbo_clock.now)
        engine.map_accounts(expense=engine.suggest_accounts()["expense"])
        report = engine.push([ACME, receipt()])
        failed = report.outcome("Purchase", "exp-1")
        assert failed.reason == "mapping_missing"
        assert "'bank'" in (failed.message or "")
        engine.map_accounts(bank=engine.suggest_accounts()["bank"])
        travel = receipt(2, lines=[LocalExpenseLine(amount=Decimal(9), account_role="travel")])
        second = engine.push([travel])
        missing = second.outcome("Purchase", travel.id)
        assert missing.reason == "mapping_missing"
        assert (missing.message or "").startswith("line 1: no QBO account is mapped for 'travel'")
        assert fake_qbo.objects(qbo_realm_id, "Purchase") == []
        engine.map_accounts(travel=engine.suggest_accounts()["expense"])
        assert engine.retry_failed([ACME, receipt(), travel]).total("failed") == 0
        assert len(fake_qbo.objects(qbo_realm_id, "Purchase")) == 2


def test_billable_job_costs_name_their_customer(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """A line spent for a customer carries CustomerRef and BillableStatus; customers go first."""
    job = receipt(lines=[
        LocalExpenseLine(amount=Decimal("80.00"), description="Boiler part", customer_id=BOB.id),
        LocalExpenseLine(amount=Decimal("5.00"), customer_id=BOB.id, billable=False),
        LocalExpenseLine(amount=Decimal("3.00")),
    ])
    report = books.push([job, ACME, BOB])
    assert report.status is RunStatus.SUCCESS, report.failures
    [customer] = fake_qbo.objects(qbo_realm_id, "Customer")
    details = [ln["AccountBasedExpenseLineDetail"]
               for ln in fake_qbo.objects(qbo_realm_id, "Purchase")[0]["Line"]]
    assert [d.get("CustomerRef", {}).get("value") for d in details] == \
        [customer["Id"], customer["Id"], None]
    assert [d.get("BillableStatus") for d in details] == ["Billable", "NotBillable", None]


def test_vendors_match_by_name_and_ambiguity_is_reported(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """A namesake (case and spaces aside) is linked without a write; two are not guessed."""
    seeded = fake_qbo.seed(qbo_realm_id, "Vendor", {"DisplayName": "ACME   supplies"})
    fake_qbo.seed(qbo_realm_id, "Vendor", {"DisplayName": "Pipe World"})
    fake_qbo.seed(qbo_realm_id, "Vendor", {"DisplayName": "pipe world "})
    pipes = LocalVendor(id="v-pipes", display_name="Pipe World")
    report = books.push([ACME, pipes])
    matched = report.outcome("Vendor", ACME.id)
    assert (matched.action.value, matched.qbo_id) == ("match", seeded["Id"])
    assert report.outcome("Vendor", pipes.id).reason == "ambiguous_match"
    assert report.write_requests == 0


def test_duplicate_names_6240_link_an_inactive_vendor_or_fail(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """An inactive vendor namesake is linked and reactivated; a customer's name fails clearly."""
    old = fake_qbo.seed(qbo_realm_id, "Vendor", {"DisplayName": "Acme Supplies", "Active": False})
    fake_qbo.seed(qbo_realm_id, "Customer", {"DisplayName": "Bob's Bakery"})
    bakery = LocalVendor(id="v-bakery", display_name="Bob's Bakery")
    report = books.push([ACME, bakery])
    linked = report.outcome("Vendor", ACME.id)
    assert (linked.action.value, linked.reason, linked.qbo_id) == \
        ("match", "duplicate_name_linked", old["Id"])
    assert report.outcome("Vendor", bakery.id).reason == "duplicate_name"
    [vendor] = fake_qbo.objects(qbo_realm_id, "Vendor")
    assert vendor["Active"] is True


def test_expenses_match_by_number_and_date(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """An expense already in QBO with the same number and date is linked, not created again."""
    books.push([ACME])
    by_type = accounts(fake_qbo, qbo_realm_id)
    line = {"Amount": 52.5, "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": by_type["Expense"]}}}
    twin = fake_qbo.seed(qbo_realm_id, "Purchase", {
        "PaymentType": "Cash", "AccountRef": {"value": by_type["Bank"]}, "DocNumber": "R-1",
        "TxnDate": "2026-01-10", "Line": [line]})
    fake_qbo.seed(qbo_realm_id, "Purchase", {
        "PaymentType": "Cash", "AccountRef": {"value": by_type["Bank"]}, "DocNumber": "R-2",
        "TxnDate": "2026-01-11", "Line": [line]})
    report = books.push([receipt(1), receipt(2)])
    assert report.outcome("Purchase", "exp-1").qbo_id == twin["Id"]
    assert report.outcome("Purchase", "exp-1").reason == "matched"
    assert report.outcome("Purchase", "exp-2").action.value == "create"  # other date


def test_deleting_an_expense_deletes_it_in_qbo(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """Expenses are deleted, never voided; one never pushed is skipped."""
    books.push([ACME, receipt(1), receipt(2, entity="Bill")])
    report = books.push([receipt(1, deleted=True), receipt(2, entity="Bill", deleted=True),
                         receipt(3, deleted=True)])
    assert report.outcome("Purchase", "exp-1").action.value == "delete"
    assert report.outcome("Bill", "exp-2").action.value == "delete"
    assert report.outcome("Purchase", "exp-3").reason == "not_in_qbo"
    assert fake_qbo.objects(qbo_realm_id, "Purchase") == []
    assert fake_qbo.objects(qbo_realm_id, "Bill") == []


def test_a_full_push_reads_expenses_from_the_source_once(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """Purchases and bills share the source's expenses; retry_failed finds a failed bill there."""
    source = MemorySource([ACME, receipt(1), receipt(2, entity="Bill", vendor_id=None)])
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        engine = make_engine(client, store, qbo_clock, source=source)
        report = engine.push()
        assert report.outcome("Purchase", "exp-1").action.value == "create"
        assert report.outcome("Bill", "exp-2").reason == "invalid_record"
        source.put(receipt(2, entity="Bill"))
        retried = engine.retry_failed()
        assert retried.outcome("Bill", "exp-2").action.value == "create"
        assert engine.push().write_requests == 0


@pytest.mark.parametrize("after", [False, True], ids=["before-send", "after-answer"])
def test_a_crash_while_pushing_expenses_never_duplicates_them(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore, after: bool
) -> None:
    """The process dies on the expenses' batch; the next run resolves it by requestid."""
    records = [ACME, *(receipt(n, number=None) for n in range(5))]  # unmatched: no number

    def expense_batch(request: httpx.Request) -> bool:
        return request.url.path.endswith("/batch") and b"Purchase" in request.content

    killer = CrashingTransport(fake_qbo.transport(), expense_batch, after=after)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=killer) as client, \
            pytest.raises(Crash):
        make_engine(client, store, qbo_clock).push(records)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        engine = make_engine(client, store, qbo_clock)
        report = engine.push(records)
        assert report.status is RunStatus.SUCCESS, report.failures
        assert {o.reason for o in report.outcomes if o.entity == "Purchase"} == \
            ({"recovered"} if after else {None})
        assert len(fake_qbo.objects(qbo_realm_id, "Purchase")) == 5
        assert engine.push(records).write_requests == 0


def test_vendors_and_expenses_come_back_on_pull(
    books: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str, qbo_clock: FakeClock,
    sink: RecordingSink
) -> None:
    """Created, updated and deleted in QBO: typed changes with the product's ids."""
    books.push([ACME, receipt(1), receipt(2, entity="Bill")])
    books.pull(sink)
    sink.changes.clear()
    qbo_clock.advance(60)
    by_type = accounts(fake_qbo, qbo_realm_id)
    vendor_id = books.store.get_links(qbo_realm_id, "Vendor", [ACME.id])[ACME.id].qbo_id
    new = fake_qbo.seed(qbo_realm_id, "Purchase", {
        "PaymentType": "Check", "AccountRef": {"value": by_type["Bank"]},
        "EntityRef": {"value": vendor_id, "type": "Vendor"}, "TxnDate": "2026-01-20",
        "Line": [{"Amount": 7, "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": by_type["Expense"]}}}],
    })
    fake_qbo.seed(qbo_realm_id, "Vendor", {"DisplayName": "Lumber Co"})
    purchase_id = books.store.get_links(qbo_realm_id, "Purchase", ["exp-1"])["exp-1"].qbo_id
    fake_qbo.seed(qbo_realm_id, "Purchase", {"Id": purchase_id, "PrivateNote": "checked",
                                             "sparse": True})
    bill_id = books.store.get_links(qbo_realm_id, "Bill", ["exp-2"])["exp-2"].qbo_id
    books.client.bills.delete(books.client.bills.get(bill_id))
    qbo_clock.advance(60)
    report = books.pull(sink)
    assert report.status is RunStatus.SUCCESS, report.failures
    [created] = list(sink.of(ChangeKind.CREATED, "Purchase"))
    assert created.qbo_id == new["Id"]
    assert created.record.vendor_id == ACME.id
    assert created.record.payment_type == "Check"
    assert created.record.lines[0].amount == Decimal(7)
    [updated] = sink.of(ChangeKind.UPDATED, "Purchase")
    assert (updated.local_id, updated.record.memo) == ("exp-1", "checked")
    assert updated.record.entity == "Purchase"
    assert [c.local_id for c in sink.of(ChangeKind.DELETED, "Bill")] == ["exp-2"]
    assert [c.record.display_name for c in sink.of(ChangeKind.CREATED, "Vendor")] == ["Lumber Co"]


class SplitSource:
    """A product that keeps purchases and bills in two tables (a RecordSource)."""

    def __init__(self, *records: Any) -> None:
        self.records_by = {"Vendor": [r for r in records if isinstance(r, LocalVendor)],
                           "Purchase": [r for r in records if isinstance(r, LocalExpense)
                                        and r.entity != "Bill"],
                           "Bill": [r for r in records if isinstance(r, LocalExpense)
                                    and r.entity == "Bill"]}

    def records(self, entity: str) -> list[Any]:
        return list(self.records_by.get(entity, []))

    def get(self, entity: str, local_ids: Any) -> list[Any]:
        return [r for r in self.records_by.get(entity, []) if r.id in local_ids]


def test_a_source_may_split_purchases_and_bills(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """Asked for purchases and for bills, a source answering each with its own gets both."""
    source = SplitSource(ACME, receipt(1), receipt(2, entity="Bill"))
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        report = make_engine(client, store, qbo_clock, source=source).push()
    assert report.status is RunStatus.SUCCESS, report.failures
    assert (report.counts["Purchase"].created, report.counts["Bill"].created) == (1, 1)


def test_a_stale_unconfirmed_expense_is_held_for_review_not_created_again(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """An expense create lost for longer than replay_window, which may have no key to match
    by, is held (needs_review) like a payment; unlink() lets it be created, once."""
    lost = receipt(number=None)

    def expense_batch(request: httpx.Request) -> bool:
        return request.url.path.endswith("/batch") and b"Purchase" in request.content

    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        make_engine(client, store, qbo_clock).push([ACME])
    crash = CrashingTransport(fake_qbo.transport(), expense_batch)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=crash) as client, \
            pytest.raises(Crash):
        make_engine(client, store, qbo_clock).push([ACME, lost])
    qbo_clock.advance(2 * 86400)  # longer than the default 24-hour replay_window
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        engine = make_engine(client, store, qbo_clock)
        held = engine.push([ACME, lost])
        assert held.outcome("Purchase", lost.id).reason == "needs_review"  # type: ignore[union-attr]
        assert fake_qbo.objects(qbo_realm_id, "Purchase") == []
        assert engine.unlink("Purchase", lost.id)
        assert engine.push([ACME, lost]).outcome("Purchase", lost.id).action.value == "create"  # type: ignore[union-attr]
    assert len(fake_qbo.objects(qbo_realm_id, "Purchase")) == 1
