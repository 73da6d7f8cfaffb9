"""Push flows against the fake QBO (in-process transport, virtual time)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from qbo_sync import MemoryStore, QBOClient, SyncEngine, models
from qbo_sync.errors import ConfigurationError
from qbo_sync.mapping import (
    LocalCustomer,
    LocalInvoice,
    LocalItem,
    LocalLine,
    LocalPayment,
    LocalPaymentApplication,
)
from qbo_sync.storage import EntitySettings, LinkStatus, RunStatus, Settings, SyncDirection
from qbo_sync.sync import DEFAULT_ITEM_ID, Action, MemorySource
from qbo_sync.testing import FakeClock, FakeQBO, sample_book

from .conftest import make_engine


def qbo_objects(fake: FakeQBO, realm: str, entity: str) -> list[dict[str, Any]]:
    return list(fake.objects(realm, entity))


def test_push_creates_everything_then_skips_it_all(
    engine: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """A first push creates each record once, in batches; a second sends no write at all."""
    book = sample_book(customers=40, items=5, invoices=60, payments=12, credit_memos=3)
    first = engine.push(book.records())
    assert first.status is RunStatus.SUCCESS, first.failures
    assert first.counts["Customer"].created == 40
    assert first.counts["Invoice"].created == 60
    assert first.counts["Payment"].created == 12
    assert first.counts["CreditMemo"].created == 3
    assert first.counts["Item"].created == 5 + 1  # and the default service item
    assert first.write_requests <= 8  # 126 writes in batches of up to 30
    assert len(qbo_objects(fake_qbo, qbo_realm_id, "Invoice")) == 60
    assert first.throttled == 0
    second = engine.push(book.records())
    assert second.status is RunStatus.SUCCESS
    assert second.write_requests == 0
    assert second.total("skipped") == len(book)
    assert second.total("created") == second.total("updated") == 0
    assert all(o.reason == "unchanged" for o in second.outcomes)


def test_outcomes_carry_ids_and_intuit_tids_and_the_run_is_saved(
    engine: SyncEngine, store: MemoryStore, qbo_realm_id: str
) -> None:
    """Each created record's outcome has its QBO id and intuit_tid; run history holds the run."""
    report = engine.push([LocalCustomer(id="c1", display_name="Amy")])
    outcome = report.outcome("Customer", "c1")
    assert outcome is not None
    assert outcome.action is Action.CREATE
    assert outcome.qbo_id
    assert outcome.intuit_tid
    saved = store.get_run(report.run_id)
    assert saved is not None
    assert saved.status is RunStatus.SUCCESS
    assert saved.counts["Customer"].created == 1
    assert saved.requests == report.requests > 0
    link = store.get_links(qbo_realm_id, "Customer", ["c1"])["c1"]
    assert (link.qbo_id, link.status, link.pending_request_id) == \
        (outcome.qbo_id, LinkStatus.SYNCED, None)


def test_changes_are_pushed_as_sparse_updates(
    engine: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """A changed field is written; QBO's SyncToken moves and the link follows it."""
    amy = LocalCustomer(id="c1", display_name="Amy", email="amy@x.com")
    created = engine.push([amy]).outcome("Customer", "c1")
    assert created is not None
    report = engine.push([attrs.evolve(amy, phone="555-0100")])
    assert report.counts["Customer"].updated == 1
    stored = fake_qbo.read(qbo_realm_id, "Customer", created.qbo_id or "")
    assert stored is not None
    assert stored["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    assert stored["SyncToken"] == "1"
    link = engine.store.get_links(qbo_realm_id, "Customer", ["c1"])["c1"]
    assert link.sync_token == "1"


def test_existing_customers_are_matched_not_duplicated(
    engine: SyncEngine, client: QBOClient, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """Customers already in QBO are linked by e-mail or name, and nothing new is created."""
    by_email = client.customers.create(models.Customer(
        display_name="Amy's Bird Sanctuary",
        primary_email_addr=models.EmailAddress(address="birds@intuit.com")))
    by_name = client.customers.create(models.Customer(display_name="Bill's Windsurf Shop"))
    before = len(qbo_objects(fake_qbo, qbo_realm_id, "Customer"))
    report = engine.push([
        LocalCustomer(id="a", display_name="Amy B.", email="BIRDS@intuit.com"),
        LocalCustomer(id="b", display_name="bill's  windsurf shop"),
    ])
    assert report.counts["Customer"].matched == 2
    assert report.write_requests == 0
    assert report.outcome("Customer", "a").qbo_id == by_email.id  # type: ignore[union-attr]
    assert report.outcome("Customer", "b").qbo_id == by_name.id  # type: ignore[union-attr]
    assert len(qbo_objects(fake_qbo, qbo_realm_id, "Customer")) == before


def test_invoices_match_by_number(engine: SyncEngine, client: QBOClient) -> None:
    """An invoice already in QBO with the same DocNumber is linked, not duplicated."""
    engine.push([LocalCustomer(id="c1", display_name="Amy")])
    customer = engine.store.get_links(engine.realm_id, "Customer", ["c1"])["c1"].qbo_id
    item = client.items.first()
    assert item is not None
    existing = client.invoices.create(models.Invoice(
        customer_ref=models.Ref(value=customer), doc_number="1001",
        line=[models.SalesItemLine(
            amount=Decimal(5),
            sales_item_line_detail=models.SalesItemLineDetail(item_ref=models.Ref(value=item.id)),
        )]))
    invoice = LocalInvoice(id="i1", customer_id="c1", number="1001",
                           lines=[LocalLine(amount=Decimal(5))])
    report = engine.push([invoice])
    assert report.outcome("Invoice", "i1").action is Action.MATCH  # type: ignore[union-attr]
    assert report.outcome("Invoice", "i1").qbo_id == existing.id  # type: ignore[union-attr]


def test_account_mapping_gate_fails_invoices_and_sends_nothing_for_them(
    client: QBOClient, store: MemoryStore, qbo_clock: FakeClock, fake_qbo: FakeQBO,
    qbo_realm_id: str,
) -> None:
    """Without income and A/R mappings every invoice fails mapping_missing; customers still go."""
    engine = SyncEngine(client=client, store=store, clock=qbo_clock.now, max_in_flight=1)
    book = sample_book(customers=3, items=1, invoices=4, payments=0, credit_memos=0)
    report = engine.push(book.records())
    assert report.status is RunStatus.PARTIAL
    assert report.counts["Customer"].created == 3
    assert report.counts["Invoice"].failed == 4
    assert {o.reason for o in report.failures} == {"mapping_missing"}
    assert qbo_objects(fake_qbo, qbo_realm_id, "Invoice") == []
    failed = store.list_links(qbo_realm_id, entity_type="Invoice", status=LinkStatus.FAILED)
    assert len(failed) == 4
    engine.map_accounts(**engine.suggest_accounts())
    retried = engine.retry_failed(book.records())
    assert retried.counts["Invoice"].created == 4
    assert "Customer" not in retried.counts or retried.counts["Customer"].created == 0


def test_invoice_pulls_in_its_customer_from_the_source(
    client: QBOClient, store: MemoryStore, qbo_clock: FakeClock
) -> None:
    """'Send invoice': pushing one invoice creates its customer and item first, from the source."""
    customer = LocalCustomer(id="c9", display_name="Ken Thompson", email="ken@bell.example")
    item = LocalItem(id="it1", name="Unix license", unit_price=Decimal(100))
    invoice = LocalInvoice(id="i9", customer_id="c9",
                           lines=[LocalLine(item_id="it1", quantity=Decimal(1),
                                            unit_price=Decimal(100))])
    engine = make_engine(client, store, qbo_clock, source=MemorySource([customer, item]))
    report = engine.push([invoice])
    assert report.status is RunStatus.SUCCESS, report.failures
    assert [(o.entity, o.action) for o in report.outcomes] == [
        ("Item", Action.CREATE), ("Customer", Action.CREATE), ("Invoice", Action.CREATE)]


def test_default_item_is_created_once_and_reused(
    engine: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """Lines without an item go on 'Professional Services', created on the first need only."""
    customer = LocalCustomer(id="c1", display_name="Amy")
    invoices = [LocalInvoice(id=f"i{n}", customer_id="c1", lines=[LocalLine(amount=Decimal(n + 1))])
                for n in range(3)]
    engine.push([customer, *invoices])
    engine.push([customer, *[attrs.evolve(i, memo="again") for i in invoices]])
    named = [o for o in qbo_objects(fake_qbo, qbo_realm_id, "Item")
             if o["Name"] == "Professional Services"]
    assert len(named) == 1
    link = engine.store.get_links(qbo_realm_id, "Item", [DEFAULT_ITEM_ID])[DEFAULT_ITEM_ID]
    assert link.qbo_id == named[0]["Id"]
    for obj in qbo_objects(fake_qbo, qbo_realm_id, "Invoice"):
        assert obj["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == named[0]["Id"]


def test_void_delete_and_inactivate(
    engine: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """A voided invoice is voided, a deleted payment deleted, a deleted item made inactive."""
    customer = LocalCustomer(id="c1", display_name="Amy")
    item = LocalItem(id="it", name="Widget")
    invoice = LocalInvoice(id="i1", customer_id="c1",
                           lines=[LocalLine(item_id="it", amount=Decimal(50))])
    other = attrs.evolve(invoice, id="i2")
    payment = LocalPayment(id="p1", customer_id="c1", amount=Decimal(50),
                           applied_to=[LocalPaymentApplication(invoice_id="i2",
                                                               amount=Decimal(50))])
    engine.push([customer, item, invoice, other, payment])
    report = engine.push([attrs.evolve(invoice, voided=True), attrs.evolve(payment, deleted=True),
                          attrs.evolve(item, deleted=True)])
    assert report.status is RunStatus.SUCCESS, report.failures
    actions = {(o.entity, o.local_id): o.action for o in report.outcomes}
    assert actions == {("Invoice", "i1"): Action.VOID, ("Payment", "p1"): Action.DELETE,
                       ("Item", "it"): Action.INACTIVATE}
    voided = fake_qbo.read(qbo_realm_id, "Invoice", report.outcome("Invoice", "i1").qbo_id)  # type: ignore[arg-type, union-attr]
    assert voided is not None
    assert voided["PrivateNote"].startswith("Voided")
    assert qbo_objects(fake_qbo, qbo_realm_id, "Payment") == []
    again = engine.push([attrs.evolve(invoice, voided=True), attrs.evolve(item, deleted=True)])
    assert again.total("skipped") == 2
    assert again.write_requests == 0


def test_stale_sync_token_is_re_read_and_resent(
    engine: SyncEngine, client: QBOClient, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """5010: someone edited the customer in QBO; the engine re-reads and its change lands."""
    amy = LocalCustomer(id="c1", display_name="Amy", email="amy@x.com")
    qbo_id = engine.push([amy]).outcome("Customer", "c1").qbo_id  # type: ignore[union-attr]
    current = client.customers.get(qbo_id or "")
    client.customers.sparse_update(attrs.evolve(current, notes="edited by the accountant"))
    report = engine.push([attrs.evolve(amy, phone="555")])
    assert report.counts["Customer"].updated == 1, report.failures
    stored = fake_qbo.read(qbo_realm_id, "Customer", qbo_id or "")
    assert stored is not None
    assert stored["PrimaryPhone"]["FreeFormNumber"] == "555"
    assert stored["Notes"] == "edited by the accountant"


def test_conflict_gives_up_after_the_configured_rounds(
    client: QBOClient, store: MemoryStore, qbo_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record that stays stale is reported as 'conflict', not retried forever."""
    engine = make_engine(client, store, qbo_clock, conflict_retries=1)
    amy = LocalCustomer(id="c1", display_name="Amy")
    engine.push([amy])
    real_query = client.query

    def stale_query(query: Any, **kw: Any) -> Any:
        for obj in real_query(query, **kw):
            yield attrs.evolve(obj, sync_token="999") if obj.id else obj

    monkeypatch.setattr(client, "query", stale_query)
    store.save_links([attrs.evolve(store.get_links(engine.realm_id, "Customer", ["c1"])["c1"],
                                   sync_token="998")])
    report = engine.push([attrs.evolve(amy, notes="x")])
    assert [(o.action, o.reason) for o in report.outcomes] == [(Action.FAIL, "conflict")]


def test_duplicate_name_with_a_vendor_fails_with_a_hint(
    engine: SyncEngine, client: QBOClient
) -> None:
    """6240 against a vendor: the record fails with the name and what to do."""
    client.vendors.create(models.Vendor(display_name="Acme Supplies"))
    report = engine.push([LocalCustomer(id="c1", display_name="Acme Supplies")])
    (failure,) = report.failures
    assert failure.reason == "duplicate_name"
    assert "'Acme Supplies'" in (failure.message or "")
    assert "rename" in (failure.message or "")
    assert failure.intuit_tid


def test_duplicate_name_with_an_inactive_customer_links_and_reactivates(
    engine: SyncEngine, client: QBOClient, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """6240 against an inactive customer of the same name: linked, reactivated, not duplicated."""
    old = client.customers.create(models.Customer(display_name="Grace Hopper"))
    client.customers.inactivate(old)
    report = engine.push([LocalCustomer(id="c1", display_name="Grace Hopper", email="g@navy.mil")])
    outcome = report.outcome("Customer", "c1")
    assert outcome is not None
    assert (outcome.action, outcome.reason, outcome.qbo_id) == \
        (Action.MATCH, "duplicate_name_linked", old.id)
    stored = fake_qbo.read(qbo_realm_id, "Customer", old.id or "")
    assert stored is not None
    assert stored["Active"] is True
    assert len([o for o in qbo_objects(fake_qbo, qbo_realm_id, "Customer")
                if o["DisplayName"] == "Grace Hopper"]) == 1


def test_one_bad_record_never_stops_the_others(engine: SyncEngine) -> None:
    """A record QBO refuses fails alone; the rest of its batch and run go through."""
    good = [LocalCustomer(id=f"c{n}", display_name=f"Customer {n}") for n in range(5)]
    bad = LocalCustomer(id="bad", display_name="x" * 600)  # longer than QBO's limit
    report = engine.push([*good[:2], bad, *good[2:]])
    assert report.status is RunStatus.PARTIAL
    assert report.counts["Customer"].created == 5
    (failure,) = report.failures
    assert failure.local_id == "bad"
    assert failure.reason not in (None, "")


def test_plan_is_a_dry_run_that_writes_nothing(
    engine: SyncEngine, store: MemoryStore, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """plan() reports what push would do, with invoices of new customers planned too."""
    book = sample_book(customers=5, items=2, invoices=6, payments=2, credit_memos=1)
    before = fake_qbo.object_counts(qbo_realm_id)
    report = engine.plan(book.records())
    assert report.dry_run
    assert report.write_requests == 0
    assert report.counts["Invoice"].created == 6
    assert report.counts["Payment"].created == 2
    assert fake_qbo.object_counts(qbo_realm_id) == before
    assert store.list_links(qbo_realm_id) == []
    assert store.list_runs(realm_id=qbo_realm_id) == []


def test_entity_settings_and_filters(engine: SyncEngine, store: MemoryStore) -> None:
    """Records of disabled or pull-only entities, or outside entities=, are skipped, with why."""
    settings = engine.settings()
    store.save_settings(engine.realm_id, Settings(
        account_mapping=settings.account_mapping,
        entities={"Customer": EntitySettings(direction=SyncDirection.BOTH),
                  "Item": EntitySettings(direction=SyncDirection.PULL)}))
    report = engine.push([LocalCustomer(id="c1", display_name="A"), LocalItem(id="i", name="I")])
    assert report.counts["Customer"].created == 1
    assert report.counts["Item"].skipped == 1
    assert report.outcome("Item", "i").reason == "disabled"  # type: ignore[union-attr]
    only = engine.push([LocalCustomer(id="c2", display_name="B")], entities=["Item"])
    assert [(o.local_id, o.reason) for o in only.outcomes] == [("c2", "not_selected")]
    assert only.write_requests == 0


def test_sync_from_skips_older_transactions(engine: SyncEngine, store: MemoryStore) -> None:
    """Invoices dated before Settings.sync_from are skipped, newer ones pushed."""
    store.save_settings(engine.realm_id,
                        attrs.evolve(engine.settings(), sync_from=dt.date(2026, 3, 1)))
    customer = LocalCustomer(id="c1", display_name="A")
    old = LocalInvoice(id="old", customer_id="c1", date=dt.date(2026, 2, 28),
                       lines=[LocalLine(amount=Decimal(1))])
    new = attrs.evolve(old, id="new", date=dt.date(2026, 3, 1))
    report = engine.push([customer, old, new])
    assert report.outcome("Invoice", "old").reason == "before_sync_from"  # type: ignore[union-attr]
    assert report.outcome("Invoice", "new").action is Action.CREATE  # type: ignore[union-attr]


def test_bad_input_is_refused_before_anything_is_written(engine: SyncEngine) -> None:
    """Unknown record types and duplicate ids raise a typed error naming them."""
    with pytest.raises(ConfigurationError, match="no mapper takes records of type dict"):
        engine.push([{"id": "1"}])
    with pytest.raises(ConfigurationError, match="Customer c1 was given twice"):
        engine.push([LocalCustomer(id="c1", display_name="A"),
                     LocalCustomer(id="c1", display_name="B")])
    with pytest.raises(ConfigurationError, match="needs records, or a source"):
        engine.push()
    assert engine.store.list_runs(realm_id=engine.realm_id) == []


def test_progress_is_reported_per_entity(
    client: QBOClient, store: MemoryStore, qbo_clock: FakeClock
) -> None:
    """progress(entity, done, total) ends at total for every entity pushed."""
    seen: list[tuple[str, int, int]] = []
    engine = make_engine(client, store, qbo_clock, progress=lambda *a: seen.append(a),
                         batch_size=10)
    book = sample_book(customers=25, items=2, invoices=0, payments=0, credit_memos=0)
    engine.push(book.records())
    customer = [s for s in seen if s[0] == "Customer"]
    assert customer[-1] == ("Customer", 25, 25)
    assert len(customer) >= 3  # after planning, then after each batch of 10


def test_parallel_batches_give_the_same_result(
    client: QBOClient, store: MemoryStore, qbo_clock: FakeClock, fake_qbo: FakeQBO,
    qbo_realm_id: str,
) -> None:
    """With four batches in flight every record is still created exactly once and linked."""
    engine = make_engine(client, store, qbo_clock, max_in_flight=4, batch_size=5)
    book = sample_book(customers=37, items=0, invoices=0, payments=0, credit_memos=0)
    report = engine.push(book.records())
    assert report.counts["Customer"].created == 37
    ids = [link.qbo_id for link in store.list_links(qbo_realm_id, entity_type="Customer")]
    assert len(set(ids)) == 37
    assert len(qbo_objects(fake_qbo, qbo_realm_id, "Customer")) == 37


def test_stale_running_run_is_marked_interrupted(
    engine: SyncEngine, store: MemoryStore, qbo_clock: FakeClock
) -> None:
    """A run left 'running' by a dead process is closed as failed by a later run."""
    from qbo_sync.storage import RunDirection, RunKind, RunRecord

    store.save_run(RunRecord(run_id="dead", realm_id=engine.realm_id, kind=RunKind.FULL,
                             direction=RunDirection.PUSH, started_at=qbo_clock.now()))
    qbo_clock.advance(3 * 3600)
    engine.push([LocalCustomer(id="c1", display_name="A")])
    dead = store.get_run("dead")
    assert dead is not None
    assert dead.status is RunStatus.FAILED
    assert "interrupted" in (dead.message or "")


def test_link_by_hand_then_push_updates(
    engine: SyncEngine, client: QBOClient, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """engine.link() settles an ambiguous match; the next push updates that object."""
    twin_a = client.customers.create(models.Customer(
        display_name="Pat A", primary_email_addr=models.EmailAddress(address="pat@x.com")))
    client.customers.create(models.Customer(
        display_name="Pat B", primary_email_addr=models.EmailAddress(address="pat@x.com")))
    pat = LocalCustomer(id="pat", display_name="Pat A", email="pat@x.com", phone="555-7")
    assert engine.push([pat]).failures[0].reason == "ambiguous_match"
    link = engine.link("Customer", "pat", twin_a.id or "")
    assert (link.qbo_id, link.sync_token) == (twin_a.id, "0")
    report = engine.push([pat])
    assert report.outcome("Customer", "pat").action is Action.UPDATE  # type: ignore[union-attr]
    stored = fake_qbo.read(qbo_realm_id, "Customer", twin_a.id or "")
    assert stored is not None
    assert stored["PrimaryPhone"]["FreeFormNumber"] == "555-7"


def test_a_write_that_cannot_be_built_fails_alone_and_is_not_left_pending(
    engine: SyncEngine, store: MemoryStore, qbo_realm_id: str
) -> None:
    """An update with no SyncToken fails as invalid_record before sending; its batch goes on."""
    amy = LocalCustomer(id="c1", display_name="Amy")
    engine.push([amy, LocalCustomer(id="c2", display_name="Bob")])
    broken = attrs.evolve(store.get_links(qbo_realm_id, "Customer", ["c1"])["c1"],
                          sync_token=None, fingerprint="stale")
    store.save_links([broken])
    report = engine.push([amy, LocalCustomer(id="c2", display_name="Bob", notes="n")])
    assert report.outcome("Customer", "c1").reason == "invalid_record"  # type: ignore[union-attr]
    assert report.outcome("Customer", "c2").action is Action.UPDATE  # type: ignore[union-attr]
    assert store.list_links(qbo_realm_id, status=LinkStatus.PENDING) == []


def test_runs_of_one_realm_are_exclusive_across_stores(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, tmp_path: Any
) -> None:
    """While one process syncs a realm, another engine on the same database waits, then gives up."""
    from qbo_sync import SQLiteStore
    from qbo_sync.errors import LockTimeoutError

    from .conftest import make_client

    db = tmp_path / "sync.sqlite3"
    holder, other = SQLiteStore(db), SQLiteStore(db)
    try:
        with make_client(fake_qbo, qbo_clock, qbo_realm_id) as c:
            engine = SyncEngine(client=c, store=other, run_lock_timeout=0.2)
            with holder.refresh_lock(f"sync:{qbo_realm_id}"), \
                    pytest.raises(LockTimeoutError, match="sync:"):
                engine.push([LocalCustomer(id="c1", display_name="A")])
            assert engine.push([LocalCustomer(id="c1", display_name="A")]).counts[
                "Customer"].created == 1
    finally:
        holder.close()
        other.close()


def test_a_failed_match_read_fails_that_entity_only_and_the_run_ends_recorded(
    engine: SyncEngine, fake_qbo: FakeQBO, store: MemoryStore
) -> None:
    """QBO failing the candidate read: those records fail read_failed, nothing is created blind."""
    fake_qbo.faults.fail_next(10, status=503, path="/query$")
    book = sample_book(customers=3, items=1, invoices=0, payments=0, credit_memos=0)
    report = engine.push(book.records())
    assert {o.reason for o in report.failures} == {"read_failed"}
    assert report.counts["Customer"].failed == 3
    assert report.write_requests == 0
    saved = store.get_run(report.run_id)
    assert saved is not None
    assert saved.status is RunStatus.FAILED
    fake_qbo.faults.clear()
    assert engine.push(book.records()).status is RunStatus.SUCCESS


def test_the_shipped_qbo_engine_fixture_pushes(
    qbo_engine: SyncEngine, fake_qbo: FakeQBO, qbo_realm_id: str
) -> None:
    """The pytest plugin's qbo_engine is ready to push: accounts mapped, on virtual time."""
    book = sample_book(customers=2, items=1, invoices=2, payments=1, credit_memos=0)
    report = qbo_engine.push(book.records())
    assert report.failures == ()
    assert fake_qbo.object_counts(qbo_realm_id)["Invoice"] == 2


def test_a_refused_credential_stops_the_run_with_a_reason_code(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """QBO answering 401 to every attempt: the run stops with stop_reason
    needs_reauthorization (what a worker acts on), is saved as failed, and is logged."""
    with QBOClient(realm_id=qbo_realm_id, environment="sandbox", access_token="not-a-token",
                   transport=fake_qbo.transport(), clock=qbo_clock.now) as c:
        engine = SyncEngine(client=c, store=store, clock=qbo_clock.now)
        with caplog.at_level("INFO", logger="qbo_sync.sync"):
            report = engine.push([LocalCustomer(id="c1", display_name="A")])
    assert report.stop_reason == "needs_reauthorization"
    assert report.status is RunStatus.FAILED
    assert "not-a-token" not in (report.message or "")
    saved = store.get_run(report.run_id)
    assert saved is not None
    assert saved.status is RunStatus.FAILED
    assert any("stopped (needs_reauthorization)" in r.getMessage() for r in caplog.records)
    assert all("not-a-token" not in r.getMessage() for r in caplog.records)


def test_a_finished_run_is_logged_with_its_counts(
    engine: SyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """One INFO line per run: realm, direction, status and counts (no record data)."""
    with caplog.at_level("INFO", logger="qbo_sync.sync"):
        report = engine.push([LocalCustomer(id="c1", display_name="Secretive Name")])
    (line,) = [r.getMessage() for r in caplog.records if r.name == "qbo_sync.sync"]
    assert report.run_id in line
    assert "push entity run" in line
    assert "created 1" in line
    assert report.stop_reason is None
