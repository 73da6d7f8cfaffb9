"""The seven steps of ``qbo-sync demo``: each says short lines with figures.

The steps use only public APIs (``OAuthManager``, ``QBOClient``, the store,
``WebhookHandler``, ``health_for_realm``), the way a product would, and
collect a plain-data summary for ``--json``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx

from qbo_sync import models
from qbo_sync.auth import Connected, OAuthConfig, OAuthManager
from qbo_sync.cli import _entities as entities
from qbo_sync.cli import _summary as summary
from qbo_sync.cli._entities import CENT, customer_key, invoice_key, item_key
from qbo_sync.cli._errors import CLIError
from qbo_sync.cli._render import (
    MORE,
    attempted,
    counts_lines,
    dashboard_lines,
    health_lines,
    money,
    plural,
    step,
)
from qbo_sync.cli._summary import Tally
from qbo_sync.client import QBOClient, Query
from qbo_sync.errors import DuplicateNameError
from qbo_sync.health import dashboard_for_realm, health_for_realm
from qbo_sync.http import RealmPacer, RetryPolicy
from qbo_sync.storage import (
    EntityLink,
    LinkStatus,
    RecordFailure,
    RunRecord,
    SQLiteStore,
)
from qbo_sync.testing import FakeClock, FakeQBO
from qbo_sync.webhooks import WebhookEvent, WebhookHandler

__all__ = ["DemoSteps"]

CLIENT_ID = "qbo-sync-demo"
REDIRECT_URI = "http://localhost:8000/qbo/callback"
COMPANY_NAME = "Demo Rockets Ltd"
TENANT_PREFIX = "demo-tenant-"
USER_ID = "demo-user"
CDC_ENTITIES = ("Customer", "Item", "Invoice", "Payment", "CreditMemo")


def _realm_id() -> str:
    # A fresh sandbox-looking id per run, so runs can share one --db file
    # without one run's company colliding with another's.
    return "9130" + "".join(secrets.choice("0123456789") for _ in range(12))


class DemoSteps:
    """Runs the demo's steps in order against one fake company.

    Args:
        fake: The fake QBO (in process).
        clock: The virtual clock shared by everything.
        store: The SQLite store the run, links and tokens go to.
        encryption_key: The Fernet key the store encrypts tokens with.
        customers: Customers to create by batch.
        invoices: Invoices to create.
        say: Prints one line (a no-op under ``--json``).
    """

    def __init__(
        self,
        *,
        fake: FakeQBO,
        clock: FakeClock,
        store: SQLiteStore,
        encryption_key: str,
        customers: int,
        invoices: int,
        say: Callable[[str], None],
    ) -> None:
        self._fake = fake
        self._clock = clock
        self._store = store
        self._key = encryption_key
        self._n_customers = customers
        self._n_invoices = invoices
        self._say = say
        self._summary: dict[str, Any] = {}
        self._deliveries: list[tuple[bytes, dict[str, str]]] = []
        self._oauth: OAuthManager | None = None
        self._client: QBOClient | None = None
        self._realm_id = ""
        self._tally = Tally()
        self._links: dict[tuple[str, str], EntityLink] = {}
        self._failures: list[RecordFailure] = []
        self._customers: list[models.Customer] = []
        self._invoices: list[models.Invoice] = []

    # -- plumbing ------------------------------------------------------------------------

    @property
    def client(self) -> QBOClient:
        """The API client (after step 1)."""
        assert self._client is not None
        return self._client

    def close(self) -> None:
        """Close the client and the OAuth manager."""
        if self._client is not None:
            self._client.close()
        if self._oauth is not None:
            self._oauth.close()

    def _requests(self) -> dict[str, int]:
        counted: Mapping[str, int] = self._fake.stats.snapshot()["requests"]
        return dict(counted)

    def _api_requests(self) -> int:
        return sum(n for kind, n in self._requests().items() if kind != "oauth")

    def _link(self, entity: str, local_id: str, obj: Any) -> None:
        now = self._clock.now()
        self._links[entity, local_id] = EntityLink(
            realm_id=self._realm_id,
            entity_type=entity,
            local_id=local_id,
            qbo_id=obj.id,
            sync_token=obj.sync_token,
            last_synced_at=now,
            updated_at=now,
        )

    def run(self) -> dict[str, Any]:
        """Run every step; returns the summary (plain data, for ``--json``)."""
        self._connect()
        # CDC's changedSince is inclusive: start the run a second after the company's
        # default set-up, so "changed since the start" means what this run wrote.
        self._clock.advance(1)
        started = self._clock.now()
        self._write()
        self._read(since=started)
        self._record(started=started)
        self._webhooks()
        self._refresh()
        self._health()
        counted = self._requests()
        self._summary["requests"] = {
            "api": self._api_requests(),
            "oauth": counted.get("oauth", 0),
            "by_kind": counted,
        }
        return self._summary

    # -- 1. connect ----------------------------------------------------------------------

    def _connect(self) -> None:
        fake, clock = self._fake, self._clock
        realm_id = fake.add_company(realm_id=_realm_id(), company_name=COMPANY_NAME)
        fake.webhooks.add_callback(self._on_webhook)
        client_secret = secrets.token_urlsafe(24)
        fake.register_app(
            client_id=CLIENT_ID, client_secret=client_secret, redirect_uris=[REDIRECT_URI]
        )
        config = OAuthConfig(
            client_id=CLIENT_ID,
            client_secret=client_secret,
            redirect_uri=REDIRECT_URI,
            environment="sandbox",
            token_encryption_key=self._key,
        )
        self._oauth = oauth = OAuthManager(
            store=self._store, config=config, transport=fake.transport(), clock=clock.now
        )
        tenant = TENANT_PREFIX + secrets.token_hex(4)
        request = oauth.authorization_url(tenant_id=tenant, user_id=USER_ID)
        # The fake plays the browser: consent is instant and it redirects to the callback.
        consent = fake.transport().handle_request(httpx.Request("GET", request.url))
        callback_url = consent.headers.get("location", "")
        result = oauth.handle_callback(callback_url, tenant_id=tenant, user_id=USER_ID)
        if not isinstance(result, Connected):
            raise CLIError(f"connecting the fake company failed: {result.message}")
        self._realm_id = result.realm_id
        tokens = self._store.get_tokens(result.realm_id)
        version = tokens.version if tokens is not None else 0
        authorize = httpx.URL(request.url).copy_with(query=None)
        self._say(step(1, "connect") + f"authorization URL {authorize}")
        self._say(MORE + f"state bound to {tenant}; consent on the fake -> callback")
        self._say(
            MORE + f"connected {result.company_name!r}, realm {result.realm_id}, "
            f"{result.environment.value}; tokens saved (version {version})"
        )
        self._summary["company"] = {
            "name": result.company_name,
            "realm_id": result.realm_id,
            "environment": result.environment.value,
            "tenant_id": tenant,
        }
        self._client = oauth.client(
            realm_id,
            pacer=RealmPacer(clock=clock.monotonic, sleep=clock.sleep),
            retry=RetryPolicy(sleep=clock.sleep),
            clock=clock.now,
        )

    def _on_webhook(self, body: bytes, headers: Mapping[str, str]) -> None:
        self._deliveries.append((body, dict(headers)))

    # -- 2. write ------------------------------------------------------------------------

    def _write(self) -> None:
        client = self.client
        income = client.accounts.first(AccountType="Income")
        if income is None:
            raise CLIError("the fake company has no income account")
        ops = entities.setup_operations(self._n_customers, income.id or "")
        before = self._requests().get("batch", 0)
        result = client.batch(ops)
        batches = self._requests().get("batch", 0) - before
        if result.failed:
            raise CLIError(f"batch create failed: {result.failed[0].error}")
        n_items = len(entities.ITEMS)
        self._customers = [result[customer_key(n)].entity for n in range(1, self._n_customers + 1)]
        items: list[models.Item] = [result[item_key(n)].entity for n in range(1, n_items + 1)]
        for n, customer in enumerate(self._customers, start=1):
            self._link("Customer", customer_key(n), customer)
        for n, item in enumerate(items, start=1):
            self._link("Item", item_key(n), item)
        self._tally.add("Customer", "created", len(self._customers))
        self._tally.add("Item", "created", len(items))
        self._say(
            step(2, "write") + f"{len(self._customers)} customers + {len(items)} items created: "
            f"{len(ops)} operations in {plural(batches, 'batch request')} (fake's counter)"
        )
        failure = self._duplicate()
        customers = self._tally.records()["Customer"]
        self._say(
            MORE + f"customer {attempted(customers)} deliberately reuses the name "
            f"{self._customers[0].display_name!r}, to show a failure: refused, "
            f"{failure.reason_code} {failure.message}"
        )
        self._say(
            MORE + f"customers: {attempted(customers)} attempted, {customers.created} created, "
            f"{customers.failed} failed"
        )
        invoiced = self._create_invoices(items)
        paid, credited, voided = self._invoices[0], self._invoices[1], self._invoices[2]
        payment = self._pay(paid)
        credit = self._credit(credited, items[0])
        void = client.invoices.void(client.invoices.get(voided.id or ""))
        self._tally.add("Invoice", "updated")
        self._link("Invoice", invoice_key(3), void)
        self._say(MORE + f"invoice {void.doc_number} voided (total now {money(void.total_amt)})")
        self._summary["write"] = {
            "customers": len(self._customers),
            "customers_attempted": attempted(customers),
            "customers_failed": customers.failed,
            "items": len(items),
            "batch_requests": batches,
            "batch_operations": len(ops),
            "invoices": len(self._invoices),
            "invoiced_total": invoiced,
            "payment": payment,
            "credit_memo": credit,
            "voided_invoice": void.doc_number,
        }

    def _create_invoices(self, items: list[models.Item]) -> Decimal:
        client = self.client
        before = self._fake.stats.total
        for n in range(self._n_invoices):
            customer = self._customers[n % len(self._customers)]
            invoice = client.invoices.create(entities.invoice(n, customer, items))
            self._invoices.append(invoice)
            self._link("Invoice", invoice_key(n + 1), invoice)
        self._tally.add("Invoice", "created", len(self._invoices))
        sent = self._fake.stats.total - before
        total = sum((i.total_amt or Decimal(0) for i in self._invoices), Decimal(0))
        self._say(
            MORE + f"{len(self._invoices)} invoices created one by one ({plural(sent, 'request')}),"
            f" {money(total)} invoiced"
        )
        return total

    def _pay(self, invoice: models.Invoice) -> dict[str, Any]:
        client = self.client
        amount = invoice.total_amt or Decimal(0)
        payment = client.payments.create(entities.payment(invoice, amount))
        self._tally.add("Payment", "created")
        self._link("Payment", "pay-001", payment)
        return self._settled(f"payment {money(amount)} recorded against", invoice, amount)

    def _credit(self, invoice: models.Invoice, item: models.Item) -> dict[str, Any]:
        client = self.client
        amount = ((invoice.total_amt or Decimal(0)) / 4).quantize(CENT)
        memo = client.credit_memos.create(entities.credit_memo(invoice, item, amount))
        applied = client.payments.create(entities.credit_application(invoice, memo, amount))
        self._tally.add("CreditMemo", "created")
        self._tally.add("Payment", "created")
        self._link("CreditMemo", "cm-001", memo)
        self._link("Payment", "pay-002", applied)
        return self._settled(f"credit memo {money(amount)} applied to", invoice, amount)

    def _settled(self, what: str, invoice: models.Invoice, amount: Decimal) -> dict[str, Any]:
        """Read the invoice's balance back from QBO, say it and return the summary part."""
        balance = self.client.invoices.get(invoice.id or "").balance
        self._say(MORE + f"{what} invoice {invoice.doc_number} (balance now {money(balance)})")
        return {"invoice": invoice.doc_number, "amount": amount, "invoice_balance": balance}

    # -- 3. read -------------------------------------------------------------------------

    def _read(self, *, since: dt.datetime) -> None:
        client = self.client
        invoices = client.invoices.count()
        customers = client.customers.count()
        page = client.customers.query_page(Query("Customer").order_by("Id"), page_size=10)
        first = [c.display_name for c in page.items]
        pages, walked = 1, len(page.items)
        following = page.next_page()
        while following is not None:
            pages += 1
            walked += len(following.items)
            following = following.next_page()
        self._say(step(3, "read") + f"COUNT(*): {customers} customers, {invoices} invoices")
        self._say(
            MORE + f"paged by 10: {plural(pages, 'page')}, {walked} customers; "
            f"first page {first[0]} .. {first[-1]}"
        )
        changes = client.cdc(list(CDC_ENTITIES), since)
        changed = {entity: len(changes.changed.get(entity, ())) for entity in CDC_ENTITIES}
        listed = ", ".join(f"{n} {entity}" for entity, n in changed.items())
        self._say(
            MORE + f"CDC since the start ({plural(changes.requests, 'request')}): "
            f"{sum(changed.values())} changed, {len(changes.deleted)} deleted"
        )
        self._say(MORE + f"        {listed}")
        self._summary["read"] = {
            "customer_count": customers,
            "invoice_count": invoices,
            "page_size": 10,
            "pages": pages,
            "first_page": first,
            "cdc_changed": changed,
            "cdc_deleted": len(changes.deleted),
            "cdc_requests": changes.requests,
        }

    def _duplicate(self) -> RecordFailure:
        """Push one more customer with an existing name, on purpose: QBO refuses it (6240).

        The demo's one failure, so the run record, links, health and dashboard
        show how a refused record is reported.
        """
        duplicate_of = self._customers[0].display_name or ""
        local_id = customer_key(len(self._customers) + 1)
        try:
            self.client.customers.create(models.Customer(display_name=duplicate_of))
        except DuplicateNameError as exc:
            failure = RecordFailure(
                entity_type="Customer",
                local_id=local_id,
                reason_code=exc.code or "duplicate_name",
                message=exc.message,
                intuit_tid=exc.intuit_tid,
            )
        else:
            raise CLIError("the fake accepted a duplicate customer name; expected fault 6240")
        self._failures.append(failure)
        self._tally.add("Customer", "failed")
        self._links["Customer", local_id] = EntityLink(
            realm_id=self._realm_id,
            entity_type="Customer",
            local_id=local_id,
            status=LinkStatus.FAILED,
            last_error_code=failure.reason_code,
            last_error=failure.message,
            updated_at=self._clock.now(),
        )
        return failure

    # -- 4. record -----------------------------------------------------------------------

    def _record(self, *, started: dt.datetime) -> None:
        now = self._clock.now()
        run = RunRecord(
            run_id=f"demo-{uuid.uuid4().hex[:12]}",
            realm_id=self._realm_id,
            kind="full",
            direction="push",
            started_at=started,
            finished_at=now,
            status="partial",
            counts=self._tally.records(),
            failures=self._failures,
            requests=self._api_requests(),
            throttled_requests=self._fake.stats.throttled,
        )
        self._store.save_run(run)
        self._store.save_links(self._links.values())
        saved = self._store.get_run(run.run_id)
        link_counts = self._store.link_counts(self._realm_id)
        assert saved is not None
        self._say(
            step(4, "record")
            + f"run {saved.run_id} saved: {saved.status.value}, {saved.requests} API requests"
        )
        # Rows in the order the entities were written; figures as read back from storage.
        in_order = {entity: saved.counts[entity] for entity in self._tally.records()}
        for line in counts_lines(in_order):
            self._say(line)
        (failure,) = saved.failures
        self._say(
            MORE + f"failed: {failure.local_id}, the deliberate duplicate of "
            f"{self._customers[0].display_name!r}: {failure.reason_code} {failure.message}"
        )
        self._say(MORE + f"        intuit_tid {failure.intuit_tid}")
        synced = sum(c.synced for c in link_counts.values())
        failed = sum(c.failed for c in link_counts.values())
        self._say(
            MORE + f"{len(self._links)} entity links written in one call "
            f"({synced} synced, {failed} failed)"
        )
        self._summary["run"] = summary.run(saved, self._tally)
        self._summary["links"] = summary.links(len(self._links), link_counts)

    # -- 5. webhooks ---------------------------------------------------------------------

    def _webhooks(self) -> None:
        received: list[WebhookEvent] = []
        quiet = logging.Logger("qbo_sync.cli.demo")  # the tampered delivery is expected
        quiet.addHandler(logging.NullHandler())
        handler = WebhookHandler(
            verifier_token=self._fake.webhooks.verifier_token,
            on_events=received.extend,
            logger=quiet,
        )
        deliveries = list(self._deliveries)
        accepted = sum(handler.handle(body, headers).status == 200 for body, headers in deliveries)
        body, headers = deliveries[0]
        again = handler.handle(body, headers)
        forged = handler.handle(body + b" ", headers)
        operations = dict(Counter(event.operation.value for event in received))
        by_op = ", ".join(f"{n} {op}" for op, n in sorted(operations.items()))
        self._say(
            step(5, "webhooks") + f"{len(deliveries)} signed deliveries verified and parsed: "
            f"{accepted} accepted"
        )
        self._say(MORE + f"{len(received)} events: {by_op}")
        self._say(
            MORE + f"first delivery again: {again.status}, {len(again.events)} new, "
            f"{len(again.duplicates)} duplicate; tampered body: {forged.status} {forged.reason}"
        )
        self._summary["webhooks"] = {
            "deliveries": len(deliveries),
            "accepted": accepted,
            "events": len(received),
            "by_operation": operations,
            "redelivery": {
                "status": again.status,
                "new": len(again.events),
                "duplicates": len(again.duplicates),
            },
            "tampered": {"status": forged.status, "reason": forged.reason},
        }

    # -- 6. refresh ----------------------------------------------------------------------

    def _refresh(self) -> None:
        assert self._oauth is not None
        before = self._store.get_tokens(self._realm_id)
        info = self._oauth.refresh(self._realm_id)
        after = self._store.get_tokens(self._realm_id)
        if before is None or after is None:
            raise CLIError("the tokens vanished from storage during the refresh")
        rotated = before.refresh_token != after.refresh_token
        name = self.client.company_info().company_name
        self._say(
            step(6, "refresh")
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

    # -- 7. health -----------------------------------------------------------------------

    def _health(self) -> None:
        now = self._clock.now()
        report = health_for_realm(self._store, self._realm_id, now=now)
        board = dashboard_for_realm(self._store, self._realm_id, now=now)
        for line in health_lines(report):
            self._say(line)
        if report.reasons:
            self._say(MORE + "(the failed record is step 2's deliberate duplicate name)")
        for line in dashboard_lines(board):
            self._say(line)
        self._summary["health"] = summary.health(report)
        self._summary["dashboard"] = summary.dashboard(board)
