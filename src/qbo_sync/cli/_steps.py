"""The ten steps of ``qbo-sync demo``: the flows a product builds, through ``SyncEngine``.

The steps use only public APIs, the way a product would: ``OAuthManager``
(connect, refresh), ``SyncEngine`` (``suggest_accounts``, ``map_accounts``,
``push``, ``retry_failed``, ``pull_events``, ``pull``), the canonical local
records of :mod:`qbo_sync.mapping`, ``WebhookHandler``, the store's run
history and ``health_for_realm``. Each step says short lines with figures
and adds a plain-data part to the ``--json`` summary.

A later run on the same database finds the company, the tokens and the
product's records where the last run left them: every record is skipped and
nothing is written.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import httpx

from qbo_sync import models
from qbo_sync.auth import Connected, OAuthConfig, OAuthManager
from qbo_sync.cli import _summary as summary
from qbo_sync.cli._errors import CLIError
from qbo_sync.cli._product import DemoSink, ProductDB, ProductSource
from qbo_sync.cli._progress import PushProgress
from qbo_sync.cli._render import (
    MORE,
    counts_lines,
    dashboard_lines,
    health_lines,
    money,
    plural,
    runs_lines,
    step,
)
from qbo_sync.health import dashboard_for_realm, health_for_realm
from qbo_sync.http import RealmPacer, RetryPolicy
from qbo_sync.mapping import LocalCustomer, LocalInvoice
from qbo_sync.storage import SQLiteStore
from qbo_sync.sync import RecordOutcome, SyncEngine, SyncReport
from qbo_sync.testing import FakeClock, FakeQBO, sample_book
from qbo_sync.webhooks import WebhookEvent, WebhookHandler

__all__ = ["BookSize", "Company", "DemoSteps"]

CLIENT_ID = "qbo-sync-demo"
REDIRECT_URI = "http://localhost:8000/qbo/callback"
COMPANY_NAME = "Demo Rockets Ltd"
TENANT_PREFIX = "demo-tenant-"
USER_ID = "demo-user"
#: The deliberate failure: a local customer named like a vendor already in QBO.
VENDOR_NAME = "Northwind Traders"
CLASH_ID = "cust-northwind"
RENAMED = f"{VENDOR_NAME} (customer)"
#: Failures printed after a push (all of them are in ``--json``).
SHOWN_FAILURES = 5
#: Records kept in a push report besides the failures (counts stay exact).
OUTCOME_LIMIT = 1000


def _realm_id() -> str:
    # A fresh sandbox-looking id per company, so companies never collide in one file.
    return "9130" + "".join(secrets.choice("0123456789") for _ in range(12))


@attrs.frozen(kw_only=True)
class BookSize:
    """How big a sample book to make: ``--customers`` and ``--invoices`` set the rest.

    Items are a fifth of the customers (5 to 100), payments a quarter of the
    invoices (paying the first ones), credit memos 3 per 40 invoices (at
    least 1), vendors one per eight customers (3 to 50), expenses 6 per 40
    invoices (at least 1). The defaults give ``sample_book()``'s own book, with 3
    vendors and 6 expenses.
    """

    customers: int = 25
    invoices: int = 40

    @property
    def items(self) -> int:
        """Items in the book."""
        return max(5, min(100, self.customers // 5))

    @property
    def payments(self) -> int:
        """Payments recorded in the product, each paying one of the first invoices."""
        return self.invoices // 4

    @property
    def credit_memos(self) -> int:
        """Credit memos."""
        return max(1, self.invoices * 3 // 40)

    @property
    def vendors(self) -> int:
        """Vendors the expenses are bought from."""
        return max(3, min(50, self.customers // 8))

    @property
    def expenses(self) -> int:
        """Expenses: cash and check purchases, and bills."""
        return max(1, self.invoices * 6 // 40)


@attrs.frozen(kw_only=True)
class Company:
    """The fake company of an earlier run, to use again."""

    realm_id: str
    tenant_id: str


class DemoSteps:
    """Runs the demo's steps in order against one fake company.

    Args:
        fake: The fake QBO (in process), new or loaded from a snapshot.
        clock: The virtual clock shared by everything.
        store: The SQLite store (links, runs, tokens, settings).
        product: The product's own records (in the same SQLite file).
        encryption_key: The Fernet key the store encrypts tokens with.
        client_secret: The demo app's client secret on the fake.
        size: The sample book to make when the product has none.
        company: The company of an earlier run (``None``: connect a new one).
        say: Prints one line (a no-op under ``--json``).
        progress: Draws the push progress.
    """

    def __init__(
        self,
        *,
        fake: FakeQBO,
        clock: FakeClock,
        store: SQLiteStore,
        product: ProductDB,
        encryption_key: str,
        client_secret: str,
        size: BookSize,
        company: Company | None,
        say: Callable[[str], None],
        progress: PushProgress,
    ) -> None:
        self._fake = fake
        self._clock = clock
        self._store = store
        self._product = product
        self._key = encryption_key
        self._client_secret = client_secret
        self._size = size
        self._company = company
        self._say = say
        self._progress = progress
        self._summary: dict[str, Any] = {"first_run": company is None}
        self._oauth: OAuthManager | None = None
        self._engine: SyncEngine | None = None
        self._realm_id = company.realm_id if company else ""
        self._tenant_id = company.tenant_id if company else ""
        self._sink = DemoSink(product, now=clock.now)
        self._deliveries: list[tuple[bytes, dict[str, str]]] = []
        self._listening = False
        self._push_report: SyncReport | None = None
        #: (action, reason) of every outcome of the current run, as the engine reports them.
        self._reasons: Counter[tuple[str, str | None]] = Counter()

    # -- plumbing ------------------------------------------------------------------------

    @property
    def realm_id(self) -> str:
        """The company's realm id (after step 1)."""
        return self._realm_id

    @property
    def tenant_id(self) -> str:
        """The tenant the company is connected for (after step 1)."""
        return self._tenant_id

    @property
    def engine(self) -> SyncEngine:
        """The sync engine (after step 1)."""
        assert self._engine is not None
        return self._engine

    def close(self) -> None:
        """Close the engine (and its client) and the OAuth manager."""
        if self._engine is not None:
            self._engine.close()
        if self._oauth is not None:
            self._oauth.close()

    def _first(self) -> bool:
        return self._company is None

    def run(self) -> dict[str, Any]:
        """Run every step; returns the summary (plain data, for ``--json``)."""
        self._connect()
        self._book()
        self._accounts()
        self._push()
        self._payment()
        self._void()
        self._pull()
        self._refresh()
        self._runs()
        self._health()
        return self._summary

    # -- 1. connect ----------------------------------------------------------------------

    def _oauth_manager(self) -> OAuthManager:
        config = OAuthConfig(
            client_id=CLIENT_ID,
            client_secret=self._client_secret,
            redirect_uri=REDIRECT_URI,
            environment="sandbox",
            token_encryption_key=self._key,
        )
        return OAuthManager(
            store=self._store, config=config, transport=self._fake.transport(),
            clock=self._clock.now,
        )

    def _connect(self) -> None:
        fake, clock = self._fake, self._clock
        head = step(1, "connect")
        if self._first():
            realm_id = fake.add_company(realm_id=_realm_id(), company_name=COMPANY_NAME)
            fake.register_app(
                client_id=CLIENT_ID, client_secret=self._client_secret,
                redirect_uris=[REDIRECT_URI],
            )
            self._oauth = oauth = self._oauth_manager()
            tenant = TENANT_PREFIX + secrets.token_hex(4)
            request = oauth.authorization_url(tenant_id=tenant, user_id=USER_ID)
            # The fake plays the browser: consent is instant and it redirects to the callback.
            consent = fake.transport().handle_request(httpx.Request("GET", request.url))
            result = oauth.handle_callback(
                consent.headers.get("location", ""), tenant_id=tenant, user_id=USER_ID
            )
            if not isinstance(result, Connected):
                raise CLIError(f"connecting the fake company failed: {result.message}")
            if result.realm_id != realm_id:
                raise CLIError(f"the fake connected realm {result.realm_id}, not {realm_id}")
            self._realm_id, self._tenant_id = realm_id, tenant
            authorize = httpx.URL(request.url).copy_with(query=None)
            self._say(head + f"authorization URL {authorize}")
            self._say(MORE + f"state bound to {tenant}; consent on the fake -> callback")
            company_name = result.company_name
        else:
            self._oauth = oauth = self._oauth_manager()
            check = oauth.test_connection(self._realm_id)
            if not check.ok:
                raise CLIError(
                    f"the saved connection to realm {self._realm_id} does not work: "
                    f"{check.message}; delete the database's files to start over"
                )
            company_name = check.company_name or COMPANY_NAME
            self._say(head + "connected before: tokens read from the database (encrypted)")
            self._say(MORE + f"test_connection: ok, one CompanyInfo read ({company_name})")
        info = oauth.connection_info(self._realm_id)
        tokens = self._store.get_tokens(self._realm_id)
        version = tokens.version if tokens is not None else 0
        self._say(
            MORE + f"company {company_name!r}, realm {self._realm_id}, sandbox; "
            f"token version {version}, {info.state.value}"
        )
        self._summary["company"] = {
            "name": company_name,
            "realm_id": self._realm_id,
            "environment": "sandbox",
            "tenant_id": self._tenant_id,
            "connected_before": not self._first(),
            "token_version": version,
        }
        self._engine = SyncEngine.for_realm(
            oauth, self._realm_id, store=self._store, clock=clock.now,
            client_options={
                "pacer": RealmPacer(clock=clock.monotonic, sleep=clock.sleep),
                "retry": RetryPolicy(sleep=clock.sleep),
                "clock": clock.now,
            },
            # One batch in flight: on a virtual clock, concurrent sleepers would each
            # advance time. Real QBO gains from more only when its answers are slow.
            source=ProductSource(self._product), max_in_flight=1, progress=self._progress,
            outcome_limit=OUTCOME_LIMIT, on_outcome=self._count,
        )

    def _count(self, outcome: RecordOutcome) -> None:
        self._reasons[outcome.action.value, outcome.reason] += 1

    # -- 2. book -------------------------------------------------------------------------

    def _book(self) -> None:
        product, size = self._product, self._size
        head = step(2, "book")
        generated = len(product) == 0
        if generated:
            book = sample_book(
                customers=size.customers, items=size.items, invoices=size.invoices,
                payments=size.payments, credit_memos=size.credit_memos,
                vendors=size.vendors, expenses=size.expenses,
            )
            # An accountant's vendor already in QBO, and a customer of the product
            # with the same name: QBO keeps names unique across both, so it fails.
            self._fake.seed(self._realm_id, "Vendor", {"DisplayName": VENDOR_NAME})
            clash = LocalCustomer(
                id=CLASH_ID, display_name=VENDOR_NAME, company_name=VENDOR_NAME,
                email="accounts@northwind.example",
            )
            product.save([*book.records(), clash])
            product.set_meta(
                paid_invoice=book.invoices[-1].id, voided_invoice=book.invoices[-2].id,
                book=f"customers={size.customers} invoices={size.invoices}",
            )
            self._say(
                head + f"sample_book(): {len(book.customers):,} customers, {len(book.items):,} "
                f"items, {len(book.invoices):,} invoices, {len(book.payments):,} payments, "
                f"{plural(len(book.credit_memos), 'credit memo')}, "
                f"{plural(len(book.vendors), 'vendor')}, {plural(len(book.expenses), 'expense')}"
            )
            self._say(
                MORE + f"+ customer {CLASH_ID} {VENDOR_NAME!r}: QBO already has a vendor "
                "of that name (a deliberate failure, to show one)"
            )
            self._say(
                MORE + f"{len(product):,} records saved in table demo_records of the SQLite "
                "file (the product's own table: JSON per record)"
            )
        else:
            counted = ", ".join(f"{n:,} {entity}" for entity, n in product.counts().items())
            self._say(head + f"{len(product):,} records read from table demo_records "
                      "(the product's table, kept by the first run)")
            self._say(MORE + counted)
            made = product.meta().get("book", "")
            asked = f"customers={size.customers} invoices={size.invoices}"
            if made and made != asked:
                self._say(MORE + f"the book was made with {made}; --customers and "
                          "--invoices only size a new book")
        self._summary["book"] = {
            "generated": generated,
            "records": len(product),
            "by_entity": product.counts(),
            "deliberate_failure": {"local_id": CLASH_ID, "display_name": VENDOR_NAME,
                                   "qbo_vendor": VENDOR_NAME},
        }

    # -- 3. accounts ---------------------------------------------------------------------

    def _accounts(self) -> None:
        engine = self.engine
        mapped = dict(engine.settings().account_mapping)
        roles = ("income", "accounts_receivable", "expense", "bank", "accounts_payable")
        kept = all(mapped.get(role) for role in roles)
        if not kept:
            suggested = engine.suggest_accounts()
            missing = [role for role in roles if role not in suggested]
            if missing:
                raise CLIError(f"the fake company has no account for {', '.join(missing)}")
            engine.map_accounts(**suggested)
            mapped = dict(engine.settings().account_mapping)
        names = {
            role: engine.client.accounts.get(mapped[role]).name or mapped[role] for role in roles
        }
        how = "mapped earlier, kept" if kept else "suggest_accounts() -> map_accounts()"
        self._say(step(3, "accounts") + how)
        self._say(
            MORE + f"income {mapped['income']} {names['income']!r}; accounts receivable "
            f"{mapped['accounts_receivable']} {names['accounts_receivable']!r}"
        )
        self._say(
            MORE + f"expense {mapped['expense']} {names['expense']!r}; bank {mapped['bank']} "
            f"{names['bank']!r}; accounts payable {mapped['accounts_payable']} "
            f"{names['accounts_payable']!r}"
        )
        self._summary["accounts"] = {
            "mapped_before": kept,
            **{role: mapped[role] for role in roles},
            "names": names,
        }

    # -- 4. push -------------------------------------------------------------------------

    def _push(self) -> None:
        engine, product = self.engine, self._product
        self._say(
            step(4, "push") + f"push(): all {len(product):,} records of the product's table, in "
            "dependency order (items, customers, vendors, invoices, credit memos, payments, "
            "expenses)"
        )
        self._progress.active = True
        self._reasons.clear()
        try:
            report = engine.push()  # every record of the engine's source: the product's table
        finally:
            self._progress.stop()
        self._push_report = report
        self._say(MORE + _report_line(report))
        if self._reasons["create", "default_item"]:
            self._say(MORE + "(one of the created is the default service item "
                      f"{engine.default_item_name!r}, for lines without an item)")
        failures = []
        fixed = None
        for n, outcome in enumerate(report.failures):
            deliberate = outcome.local_id == CLASH_ID and outcome.reason == "duplicate_name"
            failures.append({**summary.outcome(outcome), "deliberate": deliberate})
            if deliberate:
                fixed = self._fix(outcome)
            elif n == SHOWN_FAILURES:
                self._say(MORE + f"... {len(report.failures) - n} more failures in --json")
            if n >= SHOWN_FAILURES:
                continue
            tag = "failed (deliberate, as planned)" if deliberate else "failed"
            self._say(MORE + f"{tag}: {outcome.entity} {outcome.local_id}: {outcome.reason}")
            self._say(MORE + f"  {outcome.message}")
            if outcome.intuit_tid:
                self._say(MORE + f"  intuit_tid {outcome.intuit_tid}")
        if fixed is not None:
            self._say(
                MORE + f"the product follows the hint: renamed {RENAMED!r}; retry_failed(): "
                f"{fixed['action']} ({plural(fixed['write_requests'], 'batch write')})"
            )
        self._summary["push"] = {**summary.report(report), "failures": failures, "fix": fixed}

    def _fix(self, failed: RecordOutcome) -> dict[str, Any]:
        """Do what the hint says: rename the customer in the product, then retry it."""
        record = self._product.get(failed.entity, CLASH_ID)
        self._product.save([attrs.evolve(record, display_name=RENAMED)])
        again = self.engine.retry_failed()  # reads the failed records from the source
        outcome = again.outcome(failed.entity, CLASH_ID)
        action = outcome.action.value if outcome else "none"
        return {"local_id": CLASH_ID, "renamed_to": RENAMED, "action": action,
                "status": again.status.value, "write_requests": again.write_requests}

    # -- 5. payment ----------------------------------------------------------------------

    def _on_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        if self._listening:
            self._deliveries.append((body, dict(headers)))

    def _payment(self) -> None:
        engine, product = self.engine, self._product
        head = step(5, "payment")
        local_id = product.meta().get("paid_invoice", "")
        invoice: LocalInvoice | None = product.get("Invoice", local_id)
        if invoice is None:
            raise CLIError(f"the product has no invoice {local_id!r}; delete the database")
        timeline = product.timeline("Invoice", invoice.id)
        part: dict[str, Any] = {"invoice": invoice.id, "number": invoice.number}
        if timeline:
            self._say(head + f"invoice {invoice.number} ({invoice.id}) was paid in QuickBooks "
                      "in an earlier run; nothing new recorded")
            for entry in timeline:
                self._say(MORE + f"timeline: {entry.note}")
            self._summary["payment"] = {**part, "recorded": False,
                                        "timeline": [e.note for e in timeline]}
            return
        link = self._store.get_links(self._realm_id, "Invoice", [invoice.id]).get(invoice.id)
        if link is None or not link.qbo_id:
            raise CLIError(f"invoice {invoice.id} was not pushed; see step 4")
        quiet = logging.Logger("qbo_sync.cli.demo")  # the tampered delivery is expected
        quiet.addHandler(logging.NullHandler())
        verifier = self._fake.webhooks.verifier_token
        queue: list[WebhookEvent] = []
        handler = WebhookHandler(verifier_token=verifier, on_events=queue.extend, logger=quiet)
        self._fake.webhooks.add_callback(self._on_webhook)
        # A minute later, an accountant works in QuickBooks: a payment against the invoice.
        self._clock.advance(60)
        qbo = engine.client.invoices.get(link.qbo_id)
        amount = qbo.balance if qbo.balance is not None else Decimal(0)
        self._listening = True
        try:
            payment = engine.client.payments.create(models.Payment(
                customer_ref=qbo.customer_ref, total_amt=amount,
                line=[models.PaymentLine(amount=amount, linked_txn=[
                    models.LinkedTxn(txn_id=qbo.id, txn_type="Invoice")])],
            ))
        finally:
            self._listening = False
        self._say(head + f"an accountant records {money(amount)} against invoice "
                  f"{qbo.doc_number} in QuickBooks (payment {payment.id})")
        results = [handler.handle(body, headers) for body, headers in self._deliveries]
        accepted = sum(r.status == 200 for r in results)
        forged = handler.handle(self._deliveries[0][0] + b" ", self._deliveries[0][1])
        by_event = ", ".join(f"{e.entity} {e.operation.value}" for e in queue)
        deliveries = "1 signed delivery" if len(results) == 1 else (
            f"{len(results)} signed deliveries")
        self._say(MORE + f"webhook: {deliveries} verified by WebhookHandler, {accepted} "
                  f"accepted: {by_event}")
        self._say(MORE + f"a tampered copy: {forged.status} {forged.reason}")
        clock_before = self._clock.elapsed
        self._reasons.clear()
        report = engine.pull_events(self._sink, queue)
        paid = [c for c in self._sink.paid if c.local_id == invoice.id]
        self._say(MORE + f"pull_events(): {plural(report.requests, 'request')}, "
                  f"{_changes_line(report, self._reasons)}")
        after = product.get("Invoice", invoice.id)
        timeline = product.timeline("Invoice", invoice.id)
        state = "paid" if after is not None and after.paid else "not paid"
        self._say(MORE + f"the product's invoice {invoice.id}: {state}")
        for entry in timeline:
            self._say(MORE + f"timeline: {entry.note}")
        self._summary["payment"] = {
            **part,
            "recorded": True,
            "amount": amount,
            "qbo_payment_id": payment.id,
            "webhook": {
                "deliveries": len(results),
                "accepted": accepted,
                "events": [f"{e.entity} {e.operation.value}" for e in queue],
                "tampered": {"status": forged.status, "reason": forged.reason},
            },
            "pull_events": summary.report(report),
            "paid": bool(paid) and after is not None and after.paid,
            "balance": after.balance if after is not None else None,
            "timeline": [e.note for e in timeline],
            "virtual_seconds": round(self._clock.elapsed - clock_before, 3),
        }

    # -- 6. void -------------------------------------------------------------------------

    def _void(self) -> None:
        engine, product = self.engine, self._product
        head = step(6, "void")
        local_id = product.meta().get("voided_invoice", "")
        invoice: LocalInvoice | None = product.get("Invoice", local_id)
        if invoice is None:
            raise CLIError(f"the product has no invoice {local_id!r}; delete the database")
        part: dict[str, Any] = {"invoice": invoice.id, "number": invoice.number}
        if invoice.voided:
            self._say(head + f"invoice {invoice.number} ({invoice.id}) was voided in an earlier "
                      "run, in the product and in QBO: step 4 skipped it")
            self._summary["void"] = {**part, "sent": False}
            return
        total = sum((line.amount for line in invoice.lines), Decimal(0))
        self._clock.advance(60)
        voided = attrs.evolve(invoice, voided=True)
        product.save([voided])
        report = engine.push([voided])
        outcome = report.outcome("Invoice", invoice.id)
        link = self._store.get_links(self._realm_id, "Invoice", [invoice.id])[invoice.id]
        qbo = engine.client.invoices.get(link.qbo_id or "")
        self._say(head + f"the product voids invoice {invoice.number} ({invoice.id}, "
                  f"{money(total)}); push([invoice])")
        action = outcome.action.value if outcome else "none"
        self._say(MORE + f"{action} sent in {plural(report.write_requests, 'batch write')}; "
                  f"in QBO now: total {money(qbo.total_amt)}, note {qbo.private_note!r}")
        self._summary["void"] = {
            **part, "sent": True, "action": action, "total_before": total,
            "qbo_total": qbo.total_amt, "qbo_note": qbo.private_note,
            "write_requests": report.write_requests,
        }

    # -- 7. pull -------------------------------------------------------------------------

    def _pull(self) -> None:
        had_cursors = bool(self._store.list_cursors(self._realm_id))
        self._clock.advance(60)  # the scheduled reconciliation pass, a minute later
        self._reasons.clear()
        report = self.engine.pull(self._sink)
        how = ("CDC since the saved cursors" if had_cursors
               else "first pull: a paged query per entity, then cursors saved")
        self._say(step(7, "pull") + f"{how} ({plural(report.requests, 'request')})")
        self._say(MORE + _changes_line(report, self._reasons))
        invoices = [r for r in self._product.records() if isinstance(r, LocalInvoice)]
        paid = sum(1 for i in invoices if i.paid and not i.voided)
        part_paid = sum(1 for i in invoices if i.balance and i.total and i.balance < i.total)
        voided = sum(1 for i in invoices if i.voided)
        open_ = len(invoices) - paid - part_paid - voided
        self._say(MORE + f"the product's invoices: {paid:,} paid, {part_paid:,} part-paid, "
                  f"{open_:,} open, {voided:,} voided (balances as QBO computed them)")
        self._summary["pull"] = {
            "method": "cdc" if had_cursors else "query",
            **summary.report(report),
            "invoices": {"paid": paid, "part_paid": part_paid, "open": open_, "voided": voided},
        }

    # -- 8. refresh ----------------------------------------------------------------------

    def _refresh(self) -> None:
        assert self._oauth is not None
        before = self._store.get_tokens(self._realm_id)
        info = self._oauth.refresh(self._realm_id)
        after = self._store.get_tokens(self._realm_id)
        if before is None or after is None:
            raise CLIError("the tokens vanished from storage during the refresh")
        rotated = before.refresh_token != after.refresh_token
        name = self.engine.client.company_info().company_name
        self._say(
            step(8, "refresh")
            + f"forced: token version {before.version} -> {after.version}, refresh token "
            f"{'rotated' if rotated else 'kept'}, state {info.state.value}"
        )
        self._say(MORE + f"next API call with the new token: ok ({name})")
        self._summary["tokens"] = {
            "version_before": before.version,
            "version_after": after.version,
            "refresh_token_rotated": rotated,
            "state": info.state.value,
            "access_expires_at": after.access_expires_at.isoformat(),
            "refresh_expires_at": after.refresh_expires_at.isoformat(),
            "encrypted_at_rest": self._store.encrypts_tokens,
        }

    # -- 9. runs -------------------------------------------------------------------------

    def _runs(self) -> None:
        report = self._push_report
        assert report is not None
        self._say(step(9, "runs") + f"step 4's push, per entity ({report.status.value}):")
        for line in counts_lines(summary.in_push_order(report.counts)):
            self._say(line)
        runs = self._store.list_runs(realm_id=self._realm_id, limit=10, include_failures=False)
        self._say(MORE + f"run history (store.list_runs, newest first, {len(runs)} shown):")
        for line in runs_lines(runs):
            self._say(line)
        self._summary["runs"] = [summary.run(run) for run in runs]

    # -- 10. health ----------------------------------------------------------------------

    def _health(self) -> None:
        now = self._clock.now()
        report = health_for_realm(self._store, self._realm_id, now=now)
        board = dashboard_for_realm(self._store, self._realm_id, now=now)
        for line in health_lines(report, step(10, "health")):
            self._say(line)
        if report.reasons and any(r.get("deliberate") for r in
                                  self._summary["push"]["failures"]):
            self._say(MORE + "(the failure is step 4's deliberate one, fixed since)")
        for line in dashboard_lines(board):
            self._say(line)
        self._summary["health"] = summary.health(report)
        self._summary["dashboard"] = summary.dashboard(board)


def _report_line(report: SyncReport) -> str:
    counted = (f"{report.total('created'):,} created, {report.total('updated'):,} updated, "
               f"{report.total('matched'):,} matched, {report.total('failed'):,} failed, "
               f"{report.total('skipped'):,} skipped")
    return (f"{counted}; {report.requests:,} requests, "
            f"{report.write_requests:,} batch writes, {report.throttled} 429s")


def _changes_line(report: SyncReport, reasons: Counter[tuple[str, str | None]]) -> str:
    """What a pull handed the product, from every outcome's (action, reason)."""
    echoes = sum(n for (action, reason), n in reasons.items()
                 if action == "skip" and reason == "echo")
    paid = sum(n for (_, reason), n in reasons.items() if reason in ("paid", "partially_paid"))
    taken = f"{report.total('updated'):,} changes taken"
    if paid:
        taken += f" ({plural(paid, 'invoice')} paid through QuickBooks)"
    parts = [f"{report.total('created'):,} new to the product", taken,
             f"{echoes:,} echoes of our own writes skipped"]
    others = report.total("skipped") - echoes
    if others:
        parts.append(f"{others} other skipped")
    if report.total("failed"):
        parts.append(f"{report.total('failed')} failed")
    return ", ".join(parts)
