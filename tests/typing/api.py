"""Never executed: mypy --strict checks that user code type-checks against the API.

Each block is written as a user of qbo_sync would write it; ``assert_type``
pins the types the public API promises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
import redis
from typing_extensions import assert_type

from qbo_sync import (
    AsyncQBOClient,
    Environment,
    MemoryStore,
    QBOClient,
    Query,
    SQLiteStore,
    SyncEngine,
    SyncReport,
    errors,
    models,
)
from qbo_sync.client import BatchOperation, BatchResult, CdcResult, Page
from qbo_sync.health import HealthInputs, HealthReport, HealthTier, compute_health
from qbo_sync.http import RedisPacer, RetryPolicy, StaticTokenProvider, TokenProvider
from qbo_sync.mapping import (
    BaseMapper,
    CompanySetup,
    FieldGroup,
    LocalExpense,
    LocalExpenseLine,
    LocalInvoice,
    LocalLine,
    LocalVendor,
    MapContext,
    PullContext,
)
from qbo_sync.storage import RedisLockProvider, RunStatus, Settings, Store
from qbo_sync.sync import (
    Action,
    Change,
    ChangeKind,
    DuePlan,
    RecordOutcome,
    TaxCodeInfo,
    due_realms,
)
from qbo_sync.testing import FakeQBO
from qbo_sync.webhooks import WebhookEvent, WebhookHandler, parse_events, verify_signature


def client_usage() -> None:
    fake = FakeQBO()
    realm = fake.add_company(company_name="Typed Co")
    provider: TokenProvider = StaticTokenProvider(fake.issue_access_token(realm))
    with QBOClient(
        realm_id=realm,
        environment=Environment.SANDBOX,
        token_provider=provider,
        transport=fake.transport(),
        retry=RetryPolicy(),
    ) as client:
        customer = client.customers.create(models.Customer(display_name="Typed"))
        assert_type(customer, models.Customer)
        assert_type(customer.id, str | None)
        invoice = client.invoices.get("1")
        assert_type(invoice, models.Invoice)
        assert_type(invoice.total_amt, Decimal | None)
        voided = client.invoices.void(invoice)
        assert_type(voided, models.Invoice)
        for item in client.items.query(Query("Item").where(Active=True)):
            assert_type(item, models.Item)
        page = client.customers.query_page(page_size=10)
        assert_type(page, Page[models.Customer])
        result = client.batch([BatchOperation.create(customer, key="k")])
        assert_type(result, BatchResult)
        changes = client.cdc(["Customer"], dt.datetime.now(dt.timezone.utc))
        assert_type(changes, CdcResult)
        pdf = client.invoices.pdf("1")
        assert_type(pdf, bytes)


def wire_usage(data: dict[str, object]) -> None:
    entity = models.from_qbo("Invoice", data)
    wire = models.to_qbo(entity)
    assert_type(wire, dict[str, Any])
    typed = models.from_qbo(models.Invoice, data)
    assert_type(typed, models.Invoice)


def error_usage(client: QBOClient) -> None:
    try:
        client.customers.get("1")
    except errors.StaleObjectError as exc:
        assert_type(exc.code, str | None)
        assert_type(exc.intuit_tid, str | None)
    except errors.ThrottledError as exc:
        assert_type(exc.retry_after, float | None)


def storage_and_health(path: str) -> None:
    stores: Sequence[Store] = [MemoryStore(), SQLiteStore(path)]
    assert stores
    report = compute_health(HealthInputs(error_rate=0.1), now=dt.datetime.now(dt.timezone.utc))
    assert_type(report, HealthReport)
    assert_type(report.tier, HealthTier)
    assert_type(report.score, int)


def webhook_usage(body: bytes, signature: str) -> None:
    ok = verify_signature(body, signature, "verifier")
    assert_type(ok, bool)
    events = parse_events(body)
    assert_type(events, list[WebhookEvent])

    def on_events(batch: Sequence[WebhookEvent]) -> None:
        del batch

    handler = WebhookHandler(verifier_token="verifier", on_events=on_events)
    assert_type(handler.handle(body, {"intuit-signature": signature}).status, int)


@attrs.frozen
class ProductClient:
    """A product's own customer class, mapped by its own mapper."""

    pk: int
    name: str


class ProductClientMapper(BaseMapper[ProductClient, models.Customer]):
    entity = "Customer"
    record_type = ProductClient
    field_groups = (FieldGroup("name", ("name",), ("display_name",)),)

    def local_id(self, record: ProductClient) -> str:
        return str(record.pk)

    def to_qbo(self, record: ProductClient, ctx: MapContext) -> models.Customer:
        return models.Customer(display_name=record.name)

    def from_qbo(self, entity: models.Customer, ctx: PullContext) -> ProductClient:
        return ProductClient(pk=int(ctx.local_id("Customer", entity.id or "") or 0),
                             name=entity.display_name or "")


class ProductSink:
    def apply(self, changes: Sequence[Change]) -> dict[str, str]:
        return {c.qbo_id: c.qbo_id for c in changes if c.kind is ChangeKind.CREATED}


def sync_usage(client: QBOClient, store: Store) -> None:
    engine = SyncEngine(client=client, store=store, mappers=[ProductClientMapper()])
    engine.map_accounts(income="79", accounts_receivable="84")
    report = engine.push([ProductClient(pk=1, name="Amy")])
    assert_type(report, SyncReport)
    assert_type(report.counts["Customer"].created, int)
    for outcome in report.outcomes:
        assert_type(outcome.action, Action)
        assert_type(outcome.intuit_tid, str | None)
    assert_type(engine.plan().dry_run, bool)
    pulled = engine.pull(ProductSink())
    assert_type(pulled.status, RunStatus)
    invoice = LocalInvoice(id="i1", customer_id="1", lines=[LocalLine(amount=Decimal("1.50"))])
    assert_type(engine.push([invoice]).failures, tuple[RecordOutcome, ...])


def expenses_usage(client: QBOClient, store: Store) -> None:
    engine = SyncEngine(client=client, store=store, expense_entity="Bill",
                        tax_calculation="TaxInclusive")
    engine.map_accounts(expense="9", bank="6", accounts_payable="7")
    vendor = LocalVendor(id="v1", display_name="Acme Supplies")
    expense = LocalExpense(id="e1", vendor_id=vendor.id, date=dt.date(2026, 1, 10),
                           lines=[LocalExpenseLine(amount=Decimal("12.50"), tax_code="std",
                                                   class_id="res")])
    assert_type(engine.push([vendor, expense]).counts["Bill"].created, int)
    codes = engine.tax_codes()
    assert_type(codes, list[TaxCodeInfo])
    assert_type(codes[0].sales_rate, Decimal | None)
    assert_type(engine.suggest_tax_codes({"std": Decimal(20)}), dict[str, str])
    assert_type(engine.suggest_accounts(), dict[str, str])
    links = engine.map_classes({"res": "5"})
    assert_type(links[0].qbo_id, str | None)
    engine.map_departments({"north": "2"})
    setup = CompanySetup(country="GB", tax_calculation="TaxExcluded")
    assert_type(setup.us, bool)


async def async_client_usage(fake: FakeQBO, realm: str) -> None:
    async with AsyncQBOClient(
        realm_id=realm, environment="sandbox", access_token="t",
        transport=fake.async_transport(),
    ) as client:
        customer = await client.customers.get("1")
        assert_type(customer, models.Customer)
        names = [c.display_name async for c in client.customers.query(Active=True)]
        assert_type(names, list[str | None])
        assert_type(await client.customers.count(), int)
        operations = [BatchOperation.create(models.Customer(display_name="A"))]
        assert_type(await client.batch(operations), BatchResult)
        payment = await client.bill_payments.get("7")
        assert_type(payment, models.BillPayment)
        assert_type(await client.classes.create(models.Class(name="Field")), models.Class)


def workers_usage(store: SQLiteStore, client: QBOClient, redis_url: str) -> None:
    locks = RedisLockProvider.from_url(redis_url, lease=30.0)
    engine = SyncEngine(client=client, store=store, locks=locks)
    saved = engine.configure(expense_entity="Bill")
    assert_type(saved, Settings)
    assert_type(engine.choices(), tuple[str, str, bool | None])
    plan = due_realms(store, now=dt.datetime.now(dt.timezone.utc))
    assert_type(plan, DuePlan)
    for due in plan.sync:
        assert_type(due.realm_id, str)
    pacer = RedisPacer(redis=redis.Redis.from_url(redis_url))
    QBOClient(realm_id="1", environment="sandbox", access_token="t", pacer=pacer)


def fake_tax_usage(fake: FakeQBO) -> None:
    realm = fake.add_company(country="GB")
    code = fake.add_tax_code(realm, "Standard", sales={"VAT 20%": Decimal(20)})
    assert_type(code, dict[str, Any])
    fake.set_automated_sales_tax(realm, enabled=False)

