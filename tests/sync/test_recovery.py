"""Writes whose outcome a crash, a timeout or a dropped answer left unknown.

Every batch's ``requestid`` is recorded in its members' links before it is
sent; the next run re-sends that ``requestid`` with probe queries. QBO either
replays its first answer (the write happened: link it) or runs the probes
(nothing was written: plan the record again). Either way QBO holds exactly one
object per local record.
"""

from __future__ import annotations

import httpx
import pytest

from qbo_sync import MemoryStore, QBOClient, SyncEngine, models
from qbo_sync.mapping import LocalCustomer
from qbo_sync.storage import LinkStatus, RunStatus
from qbo_sync.sync import Action
from qbo_sync.sync._keys import split_pending_id
from qbo_sync.testing import CrashingTransport, FakeClock, FakeQBO
from qbo_sync.testing import SimulatedCrash as Crash

from .conftest import make_client, make_engine

#: The client's attempts per request (RetryPolicy().max_attempts).
ATTEMPTS = 5


def is_batch(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/batch")


def customers(n: int) -> list[LocalCustomer]:
    return [LocalCustomer(id=f"c{i}", display_name=f"Customer {i}", email=f"c{i}@example.com")
            for i in range(n)]


def pending(store: MemoryStore, realm: str) -> list[str]:
    return sorted(link.local_id for link in store.list_links(realm, status=LinkStatus.PENDING))


def assert_one_object_per_record(fake: FakeQBO, store: MemoryStore, realm: str,
                                 records: list[LocalCustomer]) -> None:
    objects = fake.objects(realm, "Customer")
    assert sorted(o["DisplayName"] for o in objects) == sorted(r.display_name for r in records)
    links = store.get_links(realm, "Customer", [r.id for r in records])
    assert {link.status for link in links.values()} == {LinkStatus.SYNCED}
    assert sorted(link.qbo_id or "" for link in links.values()) == sorted(o["Id"] for o in objects)


def test_one_dropped_answer_is_recovered_by_the_client_retry(
    engine: SyncEngine, fake_qbo: FakeQBO, store: MemoryStore, qbo_realm_id: str
) -> None:
    """QBO commits the batch, the answer is lost once: the retry (same requestid) gets the replay.

    The record outcomes are plain creates, nothing is left pending, and QBO
    committed each write once (the retry was answered from the replay cache).
    """
    records = customers(5)
    rule = fake_qbo.faults.drop_after_commit(1, path="/batch$")
    report = engine.push(records)
    assert rule.hits == 1
    assert report.status is RunStatus.SUCCESS, report.failures
    assert [o.action for o in report.outcomes] == [Action.CREATE] * 5
    assert fake_qbo.stats.requests["batch"] == 2  # the dropped one and its retry
    assert fake_qbo.stats.writes == 5
    assert pending(store, qbo_realm_id) == []
    assert_one_object_per_record(fake_qbo, store, qbo_realm_id, records)


def test_commit_then_drop_past_the_retries_is_unconfirmed_then_recovered(
    engine: SyncEngine, fake_qbo: FakeQBO, store: MemoryStore, qbo_realm_id: str
) -> None:
    """Every attempt is committed-then-dropped: the records fail as ``write_unconfirmed``.

    Their links stay pending with the batch's requestid; the next push replays
    it, links the objects QBO made the first time (reason ``recovered``) and
    creates nothing; a third push skips them all.
    """
    records = customers(5)
    fake_qbo.faults.drop_after_commit(ATTEMPTS, path="/batch$")
    first = engine.push(records)
    assert first.status is RunStatus.FAILED
    assert first.counts["Customer"].failed == 5
    assert {o.reason for o in first.outcomes} == {"write_unconfirmed"}
    assert len(fake_qbo.objects(qbo_realm_id, "Customer")) == 5  # written, but unknown to us
    links = store.list_links(qbo_realm_id, status=LinkStatus.PENDING)
    assert sorted(link.local_id for link in links) == [r.id for r in records]
    assert len({split_pending_id(link.pending_request_id or "")[0] for link in links}) == 1

    writes = fake_qbo.stats.writes
    second = engine.push(records)
    assert second.status is RunStatus.SUCCESS, second.failures
    assert second.counts["Customer"].created == 5
    assert second.write_requests == 1  # the probe only
    assert {(o.action, o.reason) for o in second.outcomes} == {(Action.CREATE, "recovered")}
    assert fake_qbo.stats.writes == writes
    assert_one_object_per_record(fake_qbo, store, qbo_realm_id, records)
    by_id = {o["Id"] for o in fake_qbo.objects(qbo_realm_id, "Customer")}
    assert {o.qbo_id for o in second.outcomes} == by_id

    third = engine.push(records)
    assert third.total("skipped") == 5
    assert third.write_requests == 0


@pytest.mark.parametrize("after", [False, True], ids=["before-send", "after-answer"])
def test_a_crash_around_the_batch_post_is_resolved_by_the_next_run(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, store: MemoryStore, qbo_realm_id: str, after: bool
) -> None:
    """The process dies with the links pending: before the batch left, or after QBO answered.

    A new engine on the same store probes with the recorded requestid. Before
    the send, QBO runs the probe queries (nothing was written) and each record
    is created exactly once, as a plain create. After the answer, QBO replays
    it and the records are linked (``recovered``) with no second write.
    """
    records = customers(7)
    killer = CrashingTransport(fake_qbo.transport(), is_batch, after=after)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=killer) as client:
        engine = make_engine(client, store, qbo_clock)
        with pytest.raises(Crash):
            engine.push(records)
    assert pending(store, qbo_realm_id) == sorted(r.id for r in records)
    assert len(fake_qbo.objects(qbo_realm_id, "Customer")) == (7 if after else 0)
    rid = next(r for m, p, r in killer.seen if m == "POST" and p.endswith("/batch"))

    spy = CrashingTransport(fake_qbo.transport(), lambda request: False)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=spy) as client:
        report = make_engine(client, store, qbo_clock).push(records)
    assert report.status is RunStatus.SUCCESS, report.failures
    assert report.counts["Customer"].created == 7
    assert report.total("failed") == 0
    batches = [r for m, p, r in spy.seen if m == "POST" and p.endswith("/batch")]
    assert batches[0] == rid  # the probe reused the recorded requestid
    if after:
        assert {o.reason for o in report.outcomes} == {"recovered"}
        assert len(batches) == 1
    else:
        assert {o.reason for o in report.outcomes} == {None}
        assert len(batches) == 2
        assert batches[1] != rid  # created under a new requestid
    assert fake_qbo.stats.writes == 7
    assert_one_object_per_record(fake_qbo, store, qbo_realm_id, records)


@pytest.mark.parametrize("committed", [True, False], ids=["committed", "never-sent"])
def test_a_pending_link_whose_probe_fails_stays_pending_until_a_later_run(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, store: MemoryStore, qbo_realm_id: str,
    committed: bool,
) -> None:
    """QBO is down when the probe goes out: nothing is guessed, nothing is written.

    The records are reported ``write_unconfirmed`` again and their links keep
    the same requestid; when QBO is back, a later run resolves them, and QBO
    holds one object per record either way.
    """
    records = customers(4)
    killer = CrashingTransport(fake_qbo.transport(), is_batch, after=committed)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=killer) as client:
        engine = make_engine(client, store, qbo_clock)
        with pytest.raises(Crash):
            engine.push(records)
    before = {link.local_id: link.pending_request_id
              for link in store.list_links(qbo_realm_id, status=LinkStatus.PENDING)}
    assert sorted(before) == [r.id for r in records]

    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as client:
        engine = make_engine(client, store, qbo_clock)
        down = fake_qbo.faults.fail_next(ATTEMPTS, status=503, path="/batch$")
        sent = fake_qbo.stats.requests["batch"]
        second = engine.push(records)
        assert down.hits == ATTEMPTS
        # The probe's attempts, all refused; no other batch was sent.
        assert fake_qbo.stats.requests["batch"] - sent == ATTEMPTS
        assert second.counts["Customer"].failed == 4
        assert {o.reason for o in second.outcomes} == {"write_unconfirmed"}
        after = {link.local_id: link.pending_request_id
                 for link in store.list_links(qbo_realm_id, status=LinkStatus.PENDING)}
        assert after == before
        assert len(fake_qbo.objects(qbo_realm_id, "Customer")) == (4 if committed else 0)

        third = engine.push(records)
    assert third.status is RunStatus.SUCCESS, third.failures
    assert third.counts["Customer"].created == 4
    assert {o.reason for o in third.outcomes} == ({"recovered"} if committed else {None})
    assert_one_object_per_record(fake_qbo, store, qbo_realm_id, records)


def die_before_the_follow_up(fake: FakeQBO, clock: FakeClock, store: MemoryStore, realm: str,
                             records: list[LocalCustomer]) -> None:
    """Push ``records`` and die at the first query after a batch (a 5010/6240 follow-up's read)."""
    batches: list[str] = []

    def watch(request: httpx.Request) -> bool:
        if is_batch(request):
            batches.append(request.url.params["requestid"])
        return bool(batches) and request.method == "GET" and request.url.path.endswith("/query")

    killer = CrashingTransport(fake.transport(), watch)
    with make_client(fake, clock, realm, transport=killer) as client:
        dying = SyncEngine(client=client, store=store, clock=clock.now, max_in_flight=1)
        with pytest.raises(Crash):
            dying.push(records)
    assert killer.fired
    assert len(batches) == 1
    assert pending(store, realm) == sorted(r.id for r in records)


def test_a_replayed_conflict_gives_one_outcome_and_the_update_goes_through(
    engine: SyncEngine, fake_qbo: FakeQBO, qbo_clock: FakeClock, store: MemoryStore,
    qbo_realm_id: str,
) -> None:
    """A 5010 answer whose follow-up never ran (the process died) is not a failure of its own.

    Someone edits the customer in QBO while the product changes it too: the
    batch answers 5010 and the process dies before re-reading. The next run's
    probe replays the 5010; the record is planned again in that same run, so
    it gets exactly one outcome (the update), the run succeeds and QBO has the
    product's value with the other user's edit kept.
    """
    amy = LocalCustomer(id="c1", display_name="Amy", email="amy@example.com")
    created = engine.push([amy]).outcome("Customer", "c1")
    assert created is not None
    assert created.qbo_id
    qbo_id = created.qbo_id
    current = fake_qbo.read(qbo_realm_id, "Customer", qbo_id)
    assert current is not None
    fake_qbo.seed(qbo_realm_id, "Customer", {"Id": qbo_id, "SyncToken": current["SyncToken"],
                                             "sparse": True, "Notes": "edited in QBO"})
    changed = LocalCustomer(id="c1", display_name="Amy", email="amy@example.com", phone="555-0100")
    die_before_the_follow_up(fake_qbo, qbo_clock, store, qbo_realm_id, [changed])

    report = engine.push([changed])
    assert report.status is RunStatus.SUCCESS, report.failures
    assert [(o.action, o.local_id) for o in report.outcomes] == [(Action.UPDATE, "c1")]
    assert report.counts["Customer"].updated == 1
    assert report.total("failed") == 0
    stored = fake_qbo.read(qbo_realm_id, "Customer", qbo_id)
    assert stored is not None
    assert stored["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    assert stored["Notes"] == "edited in QBO"
    assert len(fake_qbo.objects(qbo_realm_id, "Customer")) == 1


def test_a_replayed_duplicate_name_gives_one_outcome_and_links_the_twin(
    engine: SyncEngine, client: QBOClient, fake_qbo: FakeQBO, qbo_clock: FakeClock,
    store: MemoryStore, qbo_realm_id: str,
) -> None:
    """A 6240 answer whose follow-up never ran: the next run links the inactive twin, once.

    The probe replays 6240; the record is planned again in the same run, QBO
    says 6240 again and the duplicate-name follow-up links and reactivates the
    inactive customer: one outcome (a match), no failure, no second customer.
    """
    old = client.customers.create(models.Customer(display_name="Grace Hopper"))
    client.customers.inactivate(old)
    grace = LocalCustomer(id="c1", display_name="Grace Hopper", email="g@navy.mil")
    die_before_the_follow_up(fake_qbo, qbo_clock, store, qbo_realm_id, [grace])

    report = engine.push([grace])
    assert report.status is RunStatus.SUCCESS, report.failures
    assert [(o.action, o.reason, o.qbo_id) for o in report.outcomes] == \
        [(Action.MATCH, "duplicate_name_linked", old.id)]
    assert [o["Id"] for o in fake_qbo.objects(qbo_realm_id, "Customer")] == [old.id]
    assert store.get_links(qbo_realm_id, "Customer", ["c1"])["c1"].status is LinkStatus.SYNCED


def test_a_stale_unconfirmed_payment_is_held_for_review_not_created_again(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """QBO's requestid memory is undocumented: a payment create interrupted longer ago
    than replay_window, which nothing can match, is held (needs_review) rather than
    risk a second payment; unlink() lets it be created, once."""
    from decimal import Decimal

    from qbo_sync.mapping import LocalInvoice, LocalLine, LocalPayment, LocalPaymentApplication

    customer = LocalCustomer(id="c1", display_name="Payer")
    invoice = LocalInvoice(id="i1", customer_id="c1", lines=[LocalLine(amount=Decimal(40))])
    payment = LocalPayment(id="p1", customer_id="c1", amount=Decimal(40),
                           applied_to=[LocalPaymentApplication(invoice_id="i1",
                                                               amount=Decimal(40))])
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as c:
        make_engine(c, store, qbo_clock).push([customer, invoice])
    crash = CrashingTransport(fake_qbo.transport(), is_batch)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=crash) as c, \
            pytest.raises(Crash):
        make_engine(c, store, qbo_clock).push([customer, invoice, payment])
    assert pending(store, qbo_realm_id) == ["p1"]
    qbo_clock.advance(2 * 86400)  # longer than the default 24-hour replay_window
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as c:
        engine = make_engine(c, store, qbo_clock)
        held = engine.push([customer, invoice, payment])
        assert held.outcome("Payment", "p1").reason == "needs_review"  # type: ignore[union-attr]
        assert fake_qbo.objects(qbo_realm_id, "Payment") == []
        again = engine.push([customer, invoice, payment])
        assert again.outcome("Payment", "p1").reason == "needs_review"  # type: ignore[union-attr]
        assert engine.unlink("Payment", "p1")
        created = engine.push([customer, invoice, payment])
        assert created.outcome("Payment", "p1").action is Action.CREATE  # type: ignore[union-attr]
    assert len(fake_qbo.objects(qbo_realm_id, "Payment")) == 1


def test_a_stale_unconfirmed_customer_is_matched_not_duplicated(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, store: MemoryStore
) -> None:
    """Past replay_window a matchable record goes back to planning, and matching finds
    the object its lost write created (simulated: QBO answered, then the process died)."""
    records = customers(3)
    crash = CrashingTransport(fake_qbo.transport(), is_batch, after=True)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=crash) as c, \
            pytest.raises(Crash):
        make_engine(c, store, qbo_clock).push(records)
    assert fake_qbo.forget_request_ids(qbo_realm_id) >= 1  # QBO's memory of it is gone
    qbo_clock.advance(2 * 86400)
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as c:
        report = make_engine(c, store, qbo_clock).push(records)
    assert report.failures == ()
    assert report.counts["Customer"].matched == 3  # found by e-mail, not created again
    assert_one_object_per_record(fake_qbo, store, qbo_realm_id, records)
