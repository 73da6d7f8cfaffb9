"""Both clients against the bundled fake QBO: the same scenarios, the same assertions.

Each test runs twice (the ``flavour`` fixture of conftest.py): with
:class:`QBOClient` on the fake's in-process transport, and with
:class:`AsyncQBOClient` on ``httpx.ASGITransport(app=fake.asgi_app)``, driven
through :class:`conftest.Blocking` on a real event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from qbo_sync import models
from qbo_sync.client import BatchOperation, Query
from qbo_sync.errors import (
    AuthError,
    DuplicateNameError,
    NotFoundError,
    ServerError,
    StaleObjectError,
    ValidationError,
)
from qbo_sync.http import RetryPolicy
from qbo_sync.testing import FakeClock, FakeQBO
from qbo_sync.testing._fake import _core_feeds

from .conftest import build_client, free_pacer

DAY = dt.timedelta(days=1)


class Requests:
    """What the client sent, as (method, path, requestid) per request."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []

    def note(self, request: httpx.Request) -> None:
        path = request.url.path.rsplit("/", 1)[-1]
        self.sent.append((request.method, path, request.url.params.get("requestid")))


class _SyncRecording(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, log: Requests) -> None:
        self.inner, self.log = inner, log

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.log.note(request)
        return self.inner.handle_request(request)


class _AsyncRecording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, log: Requests) -> None:
        self.inner, self.log = inner, log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.log.note(request)
        return await self.inner.handle_async_request(request)


class Env:
    """One fake company and a factory of clients (of the test's flavour) for it."""

    def __init__(self, flavour: str, loop: asyncio.AbstractEventLoop) -> None:
        self.flavour = flavour
        self.loop = loop
        self.clock = FakeClock()
        self.fake = FakeQBO(limits=False, clock=self.clock)
        self.realm = self.fake.add_company(company_name="Behaviour Co")
        self.requests = Requests()
        self.sleeps: list[float] = []
        self._clients: list[Any] = []

    def client(self, *, in_process: bool = False, **kwargs: Any) -> Any:
        """A client on the fake (static token, free pacer, recorded sleeps unless given).

        ``in_process``: the async client goes through ``fake.async_transport()``
        rather than the ASGI app, so injected timeouts and drops surface as
        httpx errors.
        """
        if "token_provider" not in kwargs:
            kwargs.setdefault("access_token", self.fake.issue_access_token(self.realm))
        kwargs.setdefault("pacer", free_pacer())
        kwargs.setdefault("retry", RetryPolicy(sleep=self.sleeps.append))
        kwargs.setdefault("clock", self.clock.now)
        client = build_client(
            self.flavour, self.loop, realm_id=self.realm, environment="sandbox",
            sync_transport=_SyncRecording(self.fake.transport(), self.requests),
            async_transport=_AsyncRecording(
                self.fake.async_transport() if in_process
                else httpx.ASGITransport(app=self.fake.asgi_app),
                self.requests,
            ),
            **kwargs,
        )
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def env(flavour: str, event_loop_for_test: asyncio.AbstractEventLoop) -> Iterator[Env]:
    """A fake company and clients of the test's flavour."""
    environment = Env(flavour, event_loop_for_test)
    yield environment
    environment.close()


@pytest.fixture
def client(env: Env) -> Any:
    """The test's client on the fake company."""
    return env.client()


def _invoice(customer_id: str, item_id: str, amount: str = "100.00") -> models.Invoice:
    line = models.SalesItemLine(
        amount=Decimal(amount),
        sales_item_line_detail=models.SalesItemLineDetail(item_ref=models.Ref(value=item_id)),
    )
    return models.Invoice(customer_ref=models.Ref(value=customer_id), line=[line])


# -- CRUD ------------------------------------------------------------------------------


def test_customer_create_get_sparse_update_inactivate(client: Any) -> None:
    """Name-list lifecycle: create, read, sparse update (SyncToken moves), inactivate."""
    created = client.customers.create(models.Customer(display_name="Ada", notes="first"))
    assert created.id is not None
    assert created.sync_token == "0"
    read = client.customers.get(created.id)
    assert read.display_name == "Ada"
    changed = client.customers.sparse_update(
        models.Customer(id=read.id, sync_token=read.sync_token, notes="second")
    )
    assert (changed.notes, changed.display_name, changed.sync_token) == ("second", "Ada", "1")
    gone = client.customers.inactivate(changed)
    assert gone.active is False
    assert client.customers.count() == 0
    assert client.count(Query("Customer").include_inactive()) == 1


def test_invoice_lifecycle_with_pdf_send_void_delete(client: Any) -> None:
    """Transactions: create, full update, pdf, send, void, delete; CDC sees the deletion."""
    customer = client.customers.create(models.Customer(display_name="Buyer"))
    item = client.items.first()
    assert item is not None
    invoice = client.invoices.create(_invoice(customer.id, item.id))
    assert invoice.total_amt == Decimal("100.00")
    invoice.private_note = "updated in full"
    updated = client.invoices.update(invoice)
    assert (updated.private_note, updated.sync_token) == ("updated in full", "1")
    assert client.invoices.pdf(invoice.id).startswith(b"%PDF")
    sent = client.invoices.send(invoice.id, to="ap@example.com")
    assert sent.id == invoice.id
    voided = client.invoices.void(client.invoices.get(invoice.id))
    assert voided.total_amt == 0
    deletion = client.invoices.delete(client.invoices.get(invoice.id))
    assert (deletion.entity, deletion.id) == ("Invoice", invoice.id)
    assert deletion.intuit_tid == client.last_intuit_tid
    with pytest.raises(NotFoundError):
        client.invoices.get(invoice.id)


def test_payment_void_by_update_and_reads(client: Any) -> None:
    """A payment voids through update+include=void; read-only services read."""
    customer = client.customers.create(models.Customer(display_name="Payer"))
    item = client.items.first()
    invoice = client.invoices.create(_invoice(customer.id, item.id, "40.00"))
    payment = client.payments.create(models.Payment(
        customer_ref=models.Ref(value=customer.id), total_amt=Decimal("40.00"),
        line=[models.PaymentLine(amount=Decimal("40.00"), linked_txn=[
            models.LinkedTxn(txn_id=invoice.id, txn_type="Invoice")])],
    ))
    assert client.invoices.get(invoice.id).balance == Decimal("0.00")
    voided = client.payments.void(payment)
    assert voided.total_amt == 0
    assert client.invoices.get(invoice.id).balance == Decimal("40.00")
    assert client.company_info().company_name == "Behaviour Co"
    assert client.accounts.count() > 0


# -- queries ---------------------------------------------------------------------------


def test_paging_over_several_pages(client: Any, env: Env) -> None:
    """25 customers in pages of 10: three requests, every row once, in order; limit stops early."""
    for i in range(25):
        env.fake.seed(env.realm, "Customer", {"DisplayName": f"P{i:02d}"})
    before = len(env.requests.sent)
    names = [c.display_name for c in client.customers.query(
        Query("Customer").order_by("DisplayName"), page_size=10)]
    assert names == [f"P{i:02d}" for i in range(25)]
    assert len(env.requests.sent) - before == 3
    page = client.customers.query_page(page_size=10)
    sizes = []
    while page is not None:
        sizes.append(len(page))
        page = page.next_page()
    assert sizes == [10, 10, 5]
    assert len(list(client.customers.query(limit=12, page_size=5))) == 12
    assert client.customers.count() == 25
    assert client.customers.count(Query("Customer").where_like("DisplayName", "P1%")) == 10


# -- batch -----------------------------------------------------------------------------


def test_batch_chunks_over_thirty_with_item_faults(client: Any, env: Env) -> None:
    """65 operations go in 3 requests under one requestid prefix; item faults stay items."""
    stale_target = client.customers.create(models.Customer(display_name="Stale"))
    ops = [BatchOperation.create(models.Customer(display_name=f"B{i:02d}"), key=i)
           for i in range(63)]
    ops.append(BatchOperation.create(models.Customer(display_name="B00"), key="dup"))
    stale = models.Customer(id=stale_target.id, sync_token="9", notes="x")
    ops.append(BatchOperation.sparse_update(stale, key="stale"))
    result = client.batch(ops, request_id="import-7")
    assert result.request_ids == ("import-7-1", "import-7-2", "import-7-3")
    batches = [rid for method, path, rid in env.requests.sent if path == "batch"]
    assert batches == ["import-7-1", "import-7-2", "import-7-3"]
    assert len(result) == 65
    assert len(result.succeeded) == 63
    assert isinstance(result["dup"].error, DuplicateNameError)
    assert isinstance(result["stale"].error, StaleObjectError)
    assert result[5].entity.display_name == "B05"
    assert client.stats.batch_requests == 3


# -- CDC -------------------------------------------------------------------------------


def test_cdc_changes_deletions_and_capped_windows(
    client: Any, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CDC merges changes and deletions; a capped entity is re-asked alone, or only reported."""
    since = env.clock.now() - DAY
    for i in range(7):
        env.clock.advance(1.0)
        env.fake.seed(env.realm, "Customer", {"DisplayName": f"C{i}"})
    item = client.items.first()
    customer = client.customers.first()
    invoice = client.invoices.create(_invoice(customer.id, item.id))
    client.invoices.delete(invoice)
    full = client.cdc(["Customer", "Invoice"], since)
    assert len(full.changed["Customer"]) == 7
    assert [(d.entity, d.id) for d in full.deleted] == [("Invoice", invoice.id)]
    assert full.requests == 1
    assert full.capped == frozenset()
    # The fake (like QBO at 1,000) answers only the earliest `cap` changes.
    monkeypatch.setattr(_core_feeds, "MAX_CDC_OBJECTS", 3)
    split = client.cdc(["Customer"], since, cap=3)
    names = [c.display_name for c in split.changed["Customer"]]
    assert names == [f"C{i}" for i in range(7)]
    assert split.capped == {"Customer"}
    assert split.requests == 4  # from C0, C2, C4 and C6: each window starts at the last seen
    one = client.cdc(["Customer"], since, cap=3, follow_capped=False)
    assert one.requests == 1
    assert one.capped == {"Customer"}
    assert len(one.changed["Customer"]) == 3
    raw = client.cdc(["Customer"], since, raw=True)
    assert all(isinstance(row, dict) for row in raw.changed["Customer"])


def test_cdc_refuses_bad_requests_before_sending(client: Any, env: Env) -> None:
    """Unsupported entities and naive or too-old times fail locally, with nothing sent."""
    before = len(env.requests.sent)
    now = env.clock.now()
    with pytest.raises(ValidationError):
        client.cdc(["TaxCode"], now - DAY)
    with pytest.raises(ValidationError):
        client.cdc(["Customer"], dt.datetime(2024, 1, 1))  # naive on purpose
    with pytest.raises(ValidationError):
        client.cdc(["Customer"], now - dt.timedelta(days=31))
    assert len(env.requests.sent) == before


# -- faults, retries, auth -------------------------------------------------------------


def test_faults_map_to_the_error_tree(client: Any) -> None:
    """Not found, stale SyncToken (5010), duplicate name (6240), validation: same classes."""
    with pytest.raises(NotFoundError) as missing:
        client.customers.get("999")
    assert missing.value.intuit_tid is not None
    ada = client.customers.create(models.Customer(display_name="Ada"))
    client.customers.sparse_update(models.Customer(id=ada.id, sync_token="0", notes="a"))
    with pytest.raises(StaleObjectError) as stale:
        client.customers.sparse_update(models.Customer(id=ada.id, sync_token="0", notes="b"))
    assert stale.value.code == "5010"
    with pytest.raises(DuplicateNameError) as dup:
        client.customers.create(models.Customer(display_name="Ada"))
    assert dup.value.code == "6240"
    with pytest.raises(ValidationError):
        client.invoices.create({"Line": []})


def test_throttle_and_503_are_retried_with_the_same_requestid(client: Any, env: Env) -> None:
    """A 429 and a 503 are retried (backing off) with one requestid; stats count them."""
    env.fake.faults.throttle_next(1, path="customer")
    env.fake.faults.fail_next(1, status=503, path="customer")
    before = client.stats
    created = client.customers.create(models.Customer(display_name="Retried"), request_id="rid-42")
    assert created.display_name == "Retried"
    posts = [rid for method, path, rid in env.requests.sent if method == "POST"]
    assert posts == ["rid-42", "rid-42", "rid-42"]
    used = client.stats - before
    assert (used.requests, used.throttled) == (3, 1)
    assert client.last_response.attempts == 3
    assert len(env.sleeps) == 2
    assert env.sleeps[0] >= 15.0  # a throttle without Retry-After backs off 15 s or more


def test_same_requestid_replays_instead_of_duplicating(client: Any, env: Env) -> None:
    """QBO (the fake) answers a repeated requestid with the first answer: one customer."""
    first = client.customers.create(models.Customer(display_name="Once"), request_id="same-1")
    again = client.customers.create(models.Customer(display_name="Once"), request_id="same-1")
    assert again.id == first.id
    assert client.customers.count() == 1


def test_dropped_and_timed_out_writes_retry_into_one_object(env: Env) -> None:
    """A write committed then dropped, and one that timed out after committing, are
    retried with the same requestid and replayed: one customer each, no duplicate."""
    client = env.client(in_process=True)
    env.fake.faults.drop_after_commit(1, path="customer")
    dropped = client.customers.create(models.Customer(display_name="Dropped"), request_id="d-1")
    env.fake.faults.timeout_next(1, commit=True, method="POST", path="customer")
    timed = client.customers.create(models.Customer(display_name="Timed"), request_id="t-1")
    posts = [rid for method, path, rid in env.requests.sent if method == "POST"]
    assert posts == ["d-1", "d-1", "t-1", "t-1"]
    assert sorted(c.display_name for c in client.customers.query()) == ["Dropped", "Timed"]
    assert (dropped.id, timed.id) == tuple(
        c["Id"] for c in sorted(env.fake.objects(env.realm, "Customer"), key=lambda c: c["Id"])
    )


def test_server_errors_exhaust_to_server_error(env: Env) -> None:
    """503 on every attempt: max_attempts requests, then ServerError."""
    client = env.client(retry=RetryPolicy(max_attempts=3, sleep=env.sleeps.append))
    env.fake.faults.fail_next(5, status=503)
    with pytest.raises(ServerError):
        client.company_info()
    assert len(env.requests.sent) == 3


class _RefreshingTokens:
    """Hands out a token the fake rejects, then a good one when told of the 401."""

    def __init__(self, fake: FakeQBO, realm: str, *, refresh: bool) -> None:
        self.fake, self.realm, self.refresh = fake, realm, refresh
        self.current = "expired-token"
        self.rejected: list[str] = []

    def get_token(self, realm_id: str) -> str:
        return self.current

    def token_rejected(self, realm_id: str, token: str) -> str | None:
        self.rejected.append(token)
        if not self.refresh:
            return None
        self.current = self.fake.issue_access_token(self.realm)
        return self.current


def test_401_refreshes_the_token_once(env: Env) -> None:
    """A rejected token is refreshed through the provider and the request resent once."""
    tokens = _RefreshingTokens(env.fake, env.realm, refresh=True)
    client = env.client(token_provider=tokens)
    assert client.company_info().company_name == "Behaviour Co"
    assert tokens.rejected == ["expired-token"]
    assert len(env.requests.sent) == 2


def test_401_without_refresh_is_auth_error(env: Env) -> None:
    """No fresh token: AuthError, after one exchange and no retries."""
    tokens = _RefreshingTokens(env.fake, env.realm, refresh=False)
    client = env.client(token_provider=tokens)
    with pytest.raises(AuthError) as caught:
        client.customers.count()
    assert "expired-token" not in str(caught.value)
    assert tokens.rejected == ["expired-token"]
    assert len(env.requests.sent) == 1


# -- the expense side: classes, departments, payment methods, bill payments --


def _expense_and_bank(env: Env) -> tuple[str, str]:
    accounts = env.fake.objects(env.realm, "Account")
    expense = next(a for a in accounts if a.get("AccountType") == "Expense")
    bank = next(a for a in accounts if a.get("AccountType") == "Bank")
    return str(expense["Id"]), str(bank["Id"])


def test_class_and_department_hierarchies(client: Any) -> None:
    """Sub-classes get a qualified name; names are unique per parent; lists inactivate."""
    parent = client.classes.create(models.Class(name="Field"))
    child = client.classes.create(
        models.Class(name="Plumbing", sub_class=True, parent_ref=models.Ref(value=parent.id))
    )
    assert child.fully_qualified_name == "Field:Plumbing"
    with pytest.raises(DuplicateNameError):
        client.classes.create(models.Class(name="Field"))
    assert not hasattr(client.classes, "delete")
    gone = client.classes.inactivate(child)
    assert gone.active is False
    assert [c.name for c in client.classes.query()] == ["Field"]

    north = client.departments.create(models.Department(name="North"))
    assert client.departments.get(north.id).name == "North"
    assert client.departments.count() == 1

    card = client.payment_methods.create(models.PaymentMethod(name="Amex", type="CREDIT_CARD"))
    assert client.payment_methods.get(card.id).type == "CREDIT_CARD"


def test_bill_payment_pays_a_bill_down_and_delete_restores_it(env: Env, client: Any) -> None:
    """A bill payment lowers the bill's balance; deleting it gives the balance back."""
    expense_id, bank_id = _expense_and_bank(env)
    vendor = client.vendors.create(models.Vendor(display_name="Pipe Supply Co"))
    line = models.AccountBasedExpenseLine(
        amount=Decimal("120.00"),
        account_based_expense_line_detail=models.AccountBasedExpenseLineDetail(
            account_ref=models.Ref(value=expense_id)
        ),
    )
    bill = client.bills.create(models.Bill(vendor_ref=models.Ref(value=vendor.id), line=[line]))
    assert bill.balance == Decimal("120.00")

    payment = client.bill_payments.create(
        models.BillPayment(
            vendor_ref=models.Ref(value=vendor.id),
            pay_type="Check",
            check_payment=models.BillPaymentCheck(bank_account_ref=models.Ref(value=bank_id)),
            total_amt=Decimal("50.00"),
            line=[
                models.PaymentLine(
                    amount=Decimal("50.00"),
                    linked_txn=[models.LinkedTxn(txn_id=bill.id, txn_type="Bill")],
                )
            ],
        ),
        request_id="bill-payment-1",
    )
    assert client.bills.get(bill.id).balance == Decimal("70.00")
    assert [p.id for p in client.bill_payments.query()] == [payment.id]
    client.bill_payments.delete(payment)
    assert client.bills.get(bill.id).balance == Decimal("120.00")
    assert client.bill_payments.count() == 0
