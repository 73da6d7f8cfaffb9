"""Push and pull through the engine against the fake QBO served over real loopback HTTP."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest

from qbo_sync import MemoryStore, QBOClient, SyncEngine, models
from qbo_sync.storage import RunStatus
from qbo_sync.sync import ChangeKind
from qbo_sync.testing import FakeClock, FakeQBO, FakeQBOServer, sample_book

from .conftest import RecordingSink, make_client, make_engine


@pytest.fixture
def http_client(
    fake_qbo: FakeQBO, fake_qbo_server: FakeQBOServer, qbo_clock: FakeClock, qbo_realm_id: str,
) -> Iterator[QBOClient]:
    """A client with httpx's own transport, talking to the fake on 127.0.0.1."""
    with make_client(fake_qbo, qbo_clock, qbo_realm_id, transport=None,
                     base_url=fake_qbo_server.base_url) as client:
        yield client


@pytest.fixture
def http_engine(http_client: QBOClient, store: MemoryStore, qbo_clock: FakeClock) -> SyncEngine:
    return make_engine(http_client, store, qbo_clock)


def test_push_skip_and_pull_a_payment_over_loopback_http(
    http_engine: SyncEngine, http_client: QBOClient, store: MemoryStore, fake_qbo: FakeQBO,
    qbo_clock: FakeClock, qbo_realm_id: str,
) -> None:
    """Over real sockets: a push creates every record once (batched), the same push
    again writes nothing, the first pull sees only echoes of our writes, and a
    payment recorded in QBO arrives as an invoice PAID change."""
    assert http_client.base_url.startswith("http://127.0.0.1:")
    book = sample_book(customers=5, items=2, invoices=6, payments=0, credit_memos=1)
    first = http_engine.push(book.records())

    assert first.status is RunStatus.SUCCESS, first.failures
    assert first.counts["Customer"].created == 5
    assert first.counts["Item"].created == 3  # ours and the default service item
    assert first.counts["Invoice"].created == 6
    assert first.counts["CreditMemo"].created == 1
    assert first.requests > 0
    assert first.write_requests < 15  # batched, not one request per record
    assert fake_qbo.object_counts(qbo_realm_id)["Customer"] == 5
    assert fake_qbo.object_counts(qbo_realm_id)["Invoice"] == 6

    writes = fake_qbo.stats.writes
    second = http_engine.push(book.records())
    assert second.status is RunStatus.SUCCESS
    assert second.write_requests == 0
    assert fake_qbo.stats.writes == writes
    assert second.total("skipped") == len(book)
    assert {o.reason for o in second.outcomes} == {"unchanged"}

    qbo_clock.advance(60)
    sink = RecordingSink()
    pulled = http_engine.pull(sink)
    assert pulled.status is RunStatus.SUCCESS
    assert Counter(o.reason for o in pulled.outcomes if o.entity == "Invoice") == \
        Counter({"echo": 6})
    assert not [c for c in sink.changes if c.entity in ("Customer", "Invoice", "CreditMemo")]

    invoice = book.invoices[0]
    qbo_invoice = store.get_links(qbo_realm_id, "Invoice", [invoice.id])[invoice.id].qbo_id
    qbo_customer = store.get_links(qbo_realm_id, "Customer",
                                   [invoice.customer_id])[invoice.customer_id].qbo_id
    assert qbo_invoice
    assert qbo_customer
    total = sum((line.amount for line in invoice.lines), Decimal(0))
    http_client.payments.create(models.Payment(
        customer_ref=models.Ref(value=qbo_customer), total_amt=total,
        txn_date=dt.date(2026, 2, 1),
        line=[models.PaymentLine(amount=total, linked_txn=[
            models.LinkedTxn(txn_id=qbo_invoice, txn_type="Invoice")])],
    ))
    qbo_clock.advance(60)
    sink = RecordingSink()
    paid_run = http_engine.pull(sink)

    assert paid_run.status is RunStatus.SUCCESS
    [paid] = sink.of(ChangeKind.PAID, "Invoice")
    assert paid.local_id == invoice.id
    assert paid.payment is not None
    assert paid.payment.amount == total
    assert paid.payment.date == dt.date(2026, 2, 1)
    assert paid.payment.paid_in_full
    assert paid.payment.note == "Payment confirmed via QuickBooks"
