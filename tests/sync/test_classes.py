"""Classes and locations (departments) on transactions, as the company's preferences say."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qbo_sync import MemoryStore, SyncEngine
from qbo_sync.errors import NotFoundError
from qbo_sync.mapping import (
    LocalCreditMemo,
    LocalCustomer,
    LocalExpense,
    LocalExpenseLine,
    LocalInvoice,
    LocalLine,
    LocalVendor,
)
from qbo_sync.storage import RunStatus
from qbo_sync.sync import ChangeKind
from qbo_sync.testing import FakeClock, FakeQBO

from .conftest import RecordingSink, make_client, make_engine
from .test_expenses import Spy

AMY = LocalCustomer(id="c-amy", display_name="Amy's Bird Sanctuary")
ACME = LocalVendor(id="v-acme", display_name="Acme Supplies")


def invoice(*classes: str | None, department: str | None = None, n: int = 1) -> LocalInvoice:
    return LocalInvoice(id=f"inv-{n}", customer_id=AMY.id, number=f"C-{n}",
                        date=dt.date(2026, 1, 10), department_id=department,
                        lines=[LocalLine(amount=Decimal(10), description="work", class_id=c)
                               for c in classes])


def expense(*classes: str | None, department: str | None = None, n: int = 1) -> LocalExpense:
    return LocalExpense(id=f"exp-{n}", vendor_id=ACME.id, department_id=department,
                        lines=[LocalExpenseLine(amount=Decimal(4), class_id=c) for c in classes])


@pytest.fixture
def spy(fake_qbo: FakeQBO) -> Spy:
    return Spy(fake_qbo.transport())


@pytest.fixture
def tracked(fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore,
            spy: Spy) -> SyncEngine:
    """An engine with classes "res"/"com" and location "north" mapped to QBO's."""
    client = make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=spy)
    engine = make_engine(client, store, qbo_clock)
    res = fake_qbo.seed(qbo_realm_id, "Class", {"Name": "Residential"})["Id"]
    com = fake_qbo.seed(qbo_realm_id, "Class", {"Name": "Commercial"})["Id"]
    north = fake_qbo.seed(qbo_realm_id, "Department", {"Name": "North"})["Id"]
    engine.map_classes({"res": res, "com": com})
    engine.map_departments({"north": north})
    return engine


def track(fake: FakeQBO, realm: str, *, per_line: bool = False, per_txn: bool = False,
          departments: bool = False) -> None:
    fake.update_preferences(realm, {"AccountingInfoPrefs": {
        "ClassTrackingPerTxnLine": per_line, "ClassTrackingPerTxn": per_txn,
        "TrackDepartments": departments}})


def ids(fake: FakeQBO, realm: str, entity: str) -> dict[str, str]:
    return {o["Name"]: o["Id"] for o in fake.objects(realm, entity)}


def test_classes_per_line_and_a_location_reach_invoices_and_expenses(
    tracked: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str, spy: Spy
) -> None:
    """Per-line tracking: ClassRef on each line; locations: DepartmentRef on the transaction."""
    track(fake_qbo, qbo_realm_id, per_line=True, departments=True)
    report = tracked.push([AMY, ACME, invoice("res", "com", None, department="north"),
                           expense("com", None, department="north")])
    assert report.status is RunStatus.SUCCESS, report.failures
    classes = ids(fake_qbo, qbo_realm_id, "Class")
    north = ids(fake_qbo, qbo_realm_id, "Department")["North"]
    [inv] = spy.sent("Invoice")
    assert [ln["SalesItemLineDetail"].get("ClassRef") for ln in inv["Line"]] == [
        {"value": classes["Residential"]}, {"value": classes["Commercial"]}, None]
    assert inv["DepartmentRef"] == {"value": north}
    assert "ClassRef" not in inv
    [purchase] = spy.sent("Purchase")
    assert [ln["AccountBasedExpenseLineDetail"].get("ClassRef") for ln in purchase["Line"]] == \
        [{"value": classes["Commercial"]}, None]
    assert purchase["DepartmentRef"] == {"value": north}
    stored = fake_qbo.objects(qbo_realm_id, "Invoice")[0]
    assert stored["DepartmentRef"]["value"] == north
    assert report.outcome("Invoice", "inv-1").message is None  # type: ignore[union-attr]
    assert report.outcome("Purchase", "exp-1").message is None  # type: ignore[union-attr]


def test_one_class_per_transaction_goes_on_the_invoice_but_stays_on_expense_lines(
    tracked: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str, spy: Spy
) -> None:
    """Per-transaction tracking: the invoice's ClassRef; two classes on one invoice fail."""
    track(fake_qbo, qbo_realm_id, per_txn=True)
    report = tracked.push([AMY, ACME, invoice("res", "res", None), invoice("res", "com", n=2),
                           expense("com")])
    classes = ids(fake_qbo, qbo_realm_id, "Class")
    [inv] = spy.sent("Invoice")
    assert inv["ClassRef"] == {"value": classes["Residential"]}
    assert all("ClassRef" not in ln["SalesItemLineDetail"] for ln in inv["Line"])
    mixed = report.outcome("Invoice", "inv-2")
    assert mixed.reason == "invalid_record"
    assert "one class per transaction" in (mixed.message or "")
    [purchase] = spy.sent("Purchase")
    assert purchase["Line"][0]["AccountBasedExpenseLineDetail"]["ClassRef"] == \
        {"value": classes["Commercial"]}


def test_tracking_off_leaves_the_fields_out_and_says_so(
    tracked: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str, spy: Spy
) -> None:
    """The company tracks neither: the records are written without them, with a warning."""
    report = tracked.push([AMY, ACME, invoice("res", department="north"), expense("com")])
    assert report.status is RunStatus.SUCCESS, report.failures
    [inv] = spy.sent("Invoice")
    assert "DepartmentRef" not in inv
    assert "ClassRef" not in inv["Line"][0]["SalesItemLineDetail"]
    assert report.outcome("Invoice", "inv-1").message == (  # type: ignore[union-attr]
        "class 'res' not sent: the company does not track classes; "
        "department 'north' not sent: the company does not track locations")
    assert report.outcome("Purchase", "exp-1").message == (  # type: ignore[union-attr]
        "class 'com' not sent: the company does not track classes")


def test_an_unmapped_class_or_location_fails_with_mapping_missing(
    tracked: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """A class or location the product never mapped: mapping_missing naming it, nothing sent."""
    track(fake_qbo, qbo_realm_id, per_line=True, departments=True)
    report = tracked.push([AMY, ACME, invoice("garden"), expense(None, department="south")])
    failed = report.outcome("Invoice", "inv-1")
    assert (failed.reason, failed.message) == (
        "mapping_missing", "class 'garden' is not mapped to a QBO Class (engine.map_classes())")
    assert report.outcome("Purchase", "exp-1").message == (  # type: ignore[union-attr]
        "department 'south' is not mapped to a QBO Department (engine.map_departments())")
    assert fake_qbo.objects(qbo_realm_id, "Invoice") == []


def test_mapping_a_class_checks_it_exists(tracked: SyncEngine) -> None:
    """map_classes reads each QBO class: a wrong id is refused, not saved."""
    with pytest.raises(NotFoundError):
        tracked.map_classes({"ghost": "999"})
    assert tracked.store.get_links(tracked.realm_id, "Class", ["ghost"]) == {}


def test_classes_and_locations_come_back_on_pull_as_the_products_ids(
    tracked: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str, qbo_clock: FakeClock,
    sink: RecordingSink
) -> None:
    """A pulled expense names the product's class and location, not QBO's ids."""
    track(fake_qbo, qbo_realm_id, per_line=True, departments=True)
    tracked.push([ACME, expense("com", department="north")])
    tracked.pull(sink)
    qbo_id = tracked.store.get_links(qbo_realm_id, "Purchase", ["exp-1"])["exp-1"].qbo_id
    qbo_clock.advance(60)
    fake_qbo.seed(qbo_realm_id, "Purchase", {"Id": qbo_id, "PrivateNote": "ok", "sparse": True})
    qbo_clock.advance(60)
    tracked.pull(sink)
    [change] = sink.of(ChangeKind.UPDATED, "Purchase")
    assert change.record.lines[0].class_id == "com"
    assert change.record.department_id == "north"


def test_a_credit_memo_carries_its_location_too(
    tracked: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str, spy: Spy
) -> None:
    """Credit memos take ``department_id`` like invoices."""
    track(fake_qbo, qbo_realm_id, departments=True)
    memo = LocalCreditMemo(id="cm-1", customer_id=AMY.id, department_id="north",
                           lines=[LocalLine(amount=Decimal(5), description="goodwill")])
    report = tracked.push([AMY, memo])
    assert report.status is RunStatus.SUCCESS, report.failures
    [sent] = spy.sent("CreditMemo")
    assert sent["DepartmentRef"] == {"value": ids(fake_qbo, qbo_realm_id, "Department")["North"]}
