"""Both clients against the bundled fake QBO, end to end (in-process transport / ASGI)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from qbo_sync import models
from qbo_sync.client import BatchOperation, QBOClient, Query
from qbo_sync.errors import DuplicateNameError, StaleObjectError
from qbo_sync.http import RealmPacer
from qbo_sync.testing import FakeQBO

from .conftest import build_client


@pytest.fixture
def client(flavour: str, event_loop_for_test: asyncio.AbstractEventLoop) -> Iterator[QBOClient]:
    """A QBOClient on the fake's transport, or an AsyncQBOClient on its ASGI app."""
    fake = FakeQBO(limits=False)
    realm = fake.add_company(company_name="Fake Co")
    pacer = RealmPacer(per_minute=None, batch_per_minute=None, per_second=None, max_in_flight=None)
    c = build_client(
        flavour, event_loop_for_test, realm_id=realm, environment="sandbox",
        sync_transport=fake.transport(), async_transport=httpx.ASGITransport(app=fake.asgi_app),
        access_token=fake.issue_access_token(realm), pacer=pacer,
    )
    yield c
    c.close()


def test_invoice_lifecycle(client: QBOClient) -> None:
    """Create, send, void and delete an invoice; a stale SyncToken is refused."""
    customer = client.customers.create(models.Customer(display_name="Lifecycle"))
    item = client.items.first()
    assert item is not None
    line = models.SalesItemLine(
        amount=Decimal("100.00"),
        sales_item_line_detail=models.SalesItemLineDetail(item_ref=models.Ref(value=item.id)),
    )
    invoice = client.invoices.create(
        models.Invoice(customer_ref=models.Ref(value=customer.id), line=[line]))
    assert invoice.total_amt == Decimal("100.00")
    assert client.invoices.pdf(invoice.id).startswith(b"%PDF")
    client.invoices.send(invoice.id, to="ap@example.com")
    with pytest.raises(StaleObjectError):
        client.invoices.void(invoice)
    voided = client.invoices.void(client.invoices.get(invoice.id))
    assert voided.total_amt == 0
    deletion = client.invoices.delete(client.invoices.get(invoice.id))
    assert (deletion.entity, deletion.id) == ("Invoice", invoice.id)
    changes = client.cdc(["Invoice"], dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    assert [d.id for d in changes.deleted] == [invoice.id]


def test_batch_paging_and_inactivate(client: QBOClient) -> None:
    """Batch creates 35 customers in 2 requests (one duplicate fails alone); pages of 10."""
    ops = [BatchOperation.create(models.Customer(display_name=f"N{i:02d}"), key=i)
           for i in range(34)]
    ops.append(BatchOperation.create(models.Customer(display_name="N00"), key="dup"))
    result = client.batch(ops)
    assert len(result.intuit_tids) == 2
    assert isinstance(result["dup"].error, DuplicateNameError)
    assert len(result.succeeded) == 34
    names = [c.display_name for c in client.customers.query(
        Query("Customer").where_like("DisplayName", "N%").order_by("DisplayName"), page_size=10)]
    assert names == [f"N{i:02d}" for i in range(34)]
    gone = client.customers.inactivate(result[0].entity)
    assert gone.active is False
    assert client.customers.count(Query("Customer").where_like("DisplayName", "N%")) == 33
    assert client.count(Query("Customer").where_like("DisplayName", "N%").include_inactive()) == 34
