"""``SyncEngine``: push the product's records to QBO and pull QBO's changes back."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from qbo_sync.client import QBOClient, Query
from qbo_sync.errors import AuthError, ConfigurationError, QBOError
from qbo_sync.mapping import TAX_CALCULATIONS, InvoiceMapper, LocalExpense, Mapper, default_mappers
from qbo_sync.storage import (
    EntityLink,
    LinkStatus,
    LockProvider,
    RunDirection,
    RunKind,
    RunRecord,
    RunStatus,
    Settings,
    Store,
    SyncDirection,
)
from qbo_sync.sync._changes import ChangeSink, RecordSource
from qbo_sync.sync._policy import FieldPolicy
from qbo_sync.sync._pull import Puller
from qbo_sync.sync._push import RunStopped
from qbo_sync.sync._pushrun import DEFAULT_ITEM_ID, PushRun
from qbo_sync.sync._report import Action, RecordOutcome, ReportBuilder, SyncReport
from qbo_sync.sync._setup import (
    TaxCodeInfo,
    read_tax_codes,
    route,
    suggest_account_roles,
    suggest_tax_codes,
)

if TYPE_CHECKING:
    from qbo_sync.auth import DisconnectReport, OAuthManager
    from qbo_sync.webhooks import WebhookEvent

__all__ = ["Progress", "SyncEngine"]

_log = logging.getLogger("qbo_sync.sync")


def _guarded(work: Callable[[], None]) -> tuple[str, str] | None:
    """Run a run's work; ``(stop_reason, message)`` when QBO stopped it, else ``None``."""
    try:
        work()
    except RunStopped as exc:
        return "needs_reauthorization", exc.message
    except AuthError as exc:
        return "needs_reauthorization", f"QBO refused the credentials: {exc}"
    except QBOError as exc:
        # A read that recovery, matching or a pull needs failed (QBO unreachable,
        # the store failing): the run ends, recorded as failed; pending writes
        # wait for the next run.
        return "unavailable", f"the run stopped: {exc}"
    return None


Progress = Callable[[str, int, int], None]
"""``progress(entity, done, total)``; ``total`` is 0 when not known (pulls)."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _no_progress(entity: str, done: int, total: int) -> None:
    return None



#: Company-level choices a realm's settings may hold, with the engine's defaults.
EXPENSE_ENTITIES = ("Purchase", "Bill")


def _choice_problems(expense_entity: str | None, tax_calculation: str | None) -> list[str]:
    problems = []
    if expense_entity is not None and expense_entity not in EXPENSE_ENTITIES:
        problems.append(f"expense_entity must be 'Purchase' or 'Bill', got {expense_entity!r}")
    if tax_calculation is not None and tax_calculation not in TAX_CALCULATIONS:
        problems.append(f"tax_calculation must be one of {', '.join(TAX_CALCULATIONS)}, "
                        f"got {tax_calculation!r}")
    return problems

class SyncEngine:
    """Keeps one realm's customers, items, invoices, credit memos and payments in sync.

    Args:
        client: The realm's :class:`~qbo_sync.QBOClient` (its pacer and retry
            policy apply to every request of the engine).
        store: Links, cursors, settings and run history.
        mappers: One per entity, in push order (what an entity depends on
            comes first); default :func:`qbo_sync.mapping.default_mappers`.
        source: Where to read records when :meth:`push` is given none, for
            :meth:`retry_failed`, and for dependencies not handed in.
        policy: Field ownership (default: the product owns what it pushes).
        batch_size: Operations per batch request (1..30).
        max_in_flight: Batch requests sent at once (the pacer still decides).
        conflict_retries: Re-read-and-resend rounds after a stale SyncToken.
        default_item_name: The service item used for lines without an item.
        expense_entity: What a new :class:`~qbo_sync.mapping.LocalExpense`
            is written as when the record does not say: ``"Purchase"`` (paid
            already) or ``"Bill"`` (owed). A linked expense keeps its entity.
            ``None`` (the default): the realm's saved choice
            (:meth:`configure`), else ``"Purchase"``.
        tax_calculation: Outside the US, the ``GlobalTaxCalculation`` of
            transactions with tax codes: ``"TaxExcluded"`` (line amounts are
            net) or ``"TaxInclusive"``. ``None``: the realm's saved choice,
            else ``"TaxExcluded"``.
        automated_sales_tax: US: whether QBO computes sales tax itself (then
            no ``TxnTaxDetail`` is sent). ``None``: the realm's saved choice,
            else read ``Preferences.TaxPrefs.PartnerTaxEnabled`` (UNCERTAIN
            whether that flag alone says it; set this to override).
        pull_chunk_size: Changes per :meth:`ChangeSink.apply` call.
        cdc_max_age: Cursors older than this pull by query, not CDC (QBO's
            look-back is 30 days).
        cursor_overlap: How far a query cursor stays behind the newest change.
        stale_run_after: A run still ``running`` after this long is marked
            failed ("interrupted") by the next run.
        replay_window: How long QBO is trusted to remember a ``requestid``
            (not documented by Intuit: facts 4.2, UNCERTAIN). An interrupted
            create older than this, of an entity with no match keys
            (payments), is held as ``needs_review`` rather than created again;
            ``None`` trusts QBO's memory forever.
        run_lock_timeout: Seconds to wait for another run of the same realm
            (in any process sharing the store) before raising
            :class:`~qbo_sync.errors.LockTimeoutError`.
        locks: Where the run lock ``sync:<realm>`` is held (default: the
            store). A :class:`~qbo_sync.storage.RedisLockProvider` when the
            store cannot lock across processes.
        progress: ``progress(entity, done, total)`` during runs.
        outcome_limit: Most outcomes a report keeps besides failures (a
            100,000-object pull would otherwise hold 100,000 outcomes);
            ``None`` keeps all. Counts are always exact.
        on_outcome: Called with every outcome as it happens (stream them to
            the product's sync log instead of holding them).
        clock: The current aware time.
        owns_client: Close ``client`` in :meth:`close`.

    Raises:
        ConfigurationError: For bad arguments, naming each.
    """

    def __init__(
        self,
        *,
        client: QBOClient,
        store: Store,
        mappers: Sequence[Mapper[Any, Any]] | None = None,
        source: RecordSource | None = None,
        policy: FieldPolicy | None = None,
        batch_size: int = 30,
        max_in_flight: int = 4,
        conflict_retries: int = 3,
        default_item_name: str = "Professional Services",
        expense_entity: str | None = None,
        tax_calculation: str | None = None,
        automated_sales_tax: bool | None = None,
        pull_chunk_size: int = 500,
        cdc_max_age: dt.timedelta = dt.timedelta(days=29),
        cursor_overlap: dt.timedelta = dt.timedelta(minutes=5),
        stale_run_after: dt.timedelta = dt.timedelta(hours=2),
        replay_window: dt.timedelta | None = dt.timedelta(hours=24),
        run_lock_timeout: float = 30.0,
        locks: LockProvider | None = None,
        progress: Progress | None = None,
        outcome_limit: int | None = 50_000,
        on_outcome: Callable[[RecordOutcome], None] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        owns_client: bool = False,
    ) -> None:
        problems = []
        if not 1 <= batch_size <= 30:
            problems.append(f"batch_size must be 1..30, got {batch_size}")
        if max_in_flight < 1:
            problems.append(f"max_in_flight must be >= 1, got {max_in_flight}")
        if conflict_retries < 0:
            problems.append(f"conflict_retries must be >= 0, got {conflict_retries}")
        if pull_chunk_size < 1:
            problems.append(f"pull_chunk_size must be >= 1, got {pull_chunk_size}")
        problems.extend(_choice_problems(expense_entity, tax_calculation))
        self.mappers = list(mappers) if mappers is not None else default_mappers()
        entities = [m.entity for m in self.mappers]
        if len(set(entities)) != len(entities):
            problems.append(f"two mappers for one entity in {entities}")
        self.policy = policy or FieldPolicy()
        try:
            self.policy.check(self.mappers)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ConfigurationError("SyncEngine: " + "; ".join(problems), problems=problems)
        self.client = client
        self.store = store
        self.realm_id = client.realm_id
        self.source = source
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.conflict_retries = conflict_retries
        self.default_item_name = default_item_name
        self.expense_entity = expense_entity
        self.tax_calculation = tax_calculation
        self.automated_sales_tax = automated_sales_tax
        self.pull_chunk_size = pull_chunk_size
        self.cdc_max_age = cdc_max_age
        self.cursor_overlap = cursor_overlap
        self.stale_run_after = stale_run_after
        self.run_lock_timeout = run_lock_timeout
        self.locks: LockProvider = locks if locks is not None else store
        self.replay_window = replay_window
        self._progress = progress or _no_progress
        self.outcome_limit = outcome_limit
        self._on_outcome = on_outcome
        self._now = clock or _utcnow
        self._owns_client = owns_client
        self._run_lock = threading.Lock()

    @classmethod
    def for_realm(
        cls, oauth: OAuthManager, realm_id: str, *, store: Store,
        client_options: Mapping[str, Any] | None = None, **options: Any,
    ) -> SyncEngine:
        """An engine whose client takes its tokens from ``oauth`` (refreshed as needed).

        Args:
            oauth: The OAuth manager the realm was connected with.
            realm_id: The company.
            store: The store (the manager's).
            client_options: More :class:`~qbo_sync.QBOClient` arguments (``pacer`` ...).
            **options: More :class:`SyncEngine` arguments.
        """
        client = oauth.client(realm_id, **dict(client_options or {}))
        return cls(client=client, store=store, owns_client=True, **options)

    def close(self) -> None:
        """Close the client if the engine made it."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> SyncEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        entities = [m.entity for m in self.mappers]
        return f"SyncEngine(realm_id={self.realm_id!r}, entities={entities})"

    # -- public runs -------------------------------------------------------------------

    def push(
        self, records: Iterable[Any] | None = None, *, entities: Collection[str] | None = None
    ) -> SyncReport:
        """Write the product's records to QBO; every record gets an outcome.

        Pending writes of earlier, interrupted runs are resolved first (by their
        ``requestid``). Records whose fingerprint did not change since the last
        confirmed push are skipped.

        Args:
            records: Product records of any mapped type ("send invoice": the
                invoice alone; its customer and items are read from the
                source, or must be linked already). ``None``: every record
                of the source.
            entities: Only these entity names.

        Raises:
            ConfigurationError: A record of a type no mapper takes, an id
                given twice, or no records and no source. Nothing was written.
        """
        return self._push(records, entities, dry_run=False, kind=None)

    def plan(
        self, records: Iterable[Any] | None = None, *, entities: Collection[str] | None = None
    ) -> SyncReport:
        """A dry run of :meth:`push`: the outcome each record would get, writing nothing.

        It reads links and match candidates (queries) but sends no write, saves
        no link and records no run.
        """
        return self._push(records, entities, dry_run=True, kind=None)

    def retry_failed(self, records: Iterable[Any] | None = None) -> SyncReport:
        """Push again every record whose link is ``failed`` (read from the source when not given).

        Raises:
            ConfigurationError: No ``records`` and no source.
        """
        failed = self.store.list_links(self.realm_id, status=LinkStatus.FAILED)
        wanted: dict[str, set[str]] = {}
        for link in failed:
            if link.local_id != DEFAULT_ITEM_ID:
                wanted.setdefault(link.entity_type, set()).add(link.local_id)
        if records is None:
            if self.source is None:
                raise ConfigurationError("retry_failed() needs records or a source")
            loaded: list[Any] = []
            for entity, ids in wanted.items():
                loaded.extend(self.source.get(entity, sorted(ids)))
            records = loaded
        else:
            by_mapper = self._group(records)
            records = [r for m, rs in by_mapper.items() for r in rs
                       if m.local_id(r) in wanted.get(m.entity, set())]
        return self._push(records, None, dry_run=False, kind=RunKind.RECORD)

    def disconnect(
        self, oauth: OAuthManager, *, void_invoices: bool = False,
        reason: str = "user_disconnected",
    ) -> tuple[SyncReport | None, DisconnectReport]:
        r"""Disconnect the realm, first voiding every synced invoice when asked.

        "Disconnect and void" is a push run: the voids go out in batches with
        derived ``requestid``\ s, a stale SyncToken is re-read and retried, and
        each invoice gets a ``void`` or ``fail`` outcome in run history. Then
        ``oauth`` revokes the tokens and deletes them (links and history stay).

        Returns:
            The void run's report (``None`` without ``void_invoices``) and the
            OAuth manager's :class:`~qbo_sync.auth.DisconnectReport`.
        """
        report = None
        if void_invoices:
            mapper = next((m for m in self.mappers if m.entity == "Invoice"), None)
            report = self._run(
                RunKind.FULL, RunDirection.PUSH,
                lambda run: run.void_linked(mapper or InvoiceMapper()),
            )
        return report, oauth.disconnect(self.realm_id, reason=reason)

    def _run(self, kind: RunKind, direction: RunDirection, work: Callable[[PushRun], None],
             *, dry_run: bool = False) -> SyncReport:
        """One push run: exclusive per realm, recorded (unless a dry run), never left running."""
        with self._exclusive():
            run = self._start(kind, direction)
            builder = self._builder()
            stats0 = self.client.stats
            if not dry_run:
                self.store.save_run(run)
            stop = _guarded(lambda: work(PushRun(self, run.run_id, builder,
                                                 settings=self.settings(), dry_run=dry_run)))
            return self._finish(run, builder, stats0, dry_run=dry_run, stop=stop)

    def pull(self, sink: ChangeSink, *, entities: Collection[str] | None = None) -> SyncReport:
        """Hand QBO's changes since the stored cursors to ``sink``."""
        mappers = self._enabled(entities, SyncDirection.PULL)
        return self._pull_run(sink, mappers, RunKind.FULL if entities is None else RunKind.ENTITY,
                              lambda puller: puller.pull())

    def pull_events(self, sink: ChangeSink, events: Iterable[WebhookEvent]) -> SyncReport:
        """Pull just the objects webhook events name (de-duplicated); cursors do not move.

        Events of other realms or of entities not pulled are ignored; CDC in
        :meth:`pull` stays the reconciliation pass that catches missed ones.
        """
        from qbo_sync.webhooks import Operation  # noqa: PLC0415 - webhooks are optional here

        wanted: dict[str, set[str]] = {}
        deleted: dict[str, set[str]] = {}
        mappers = self._enabled(None, SyncDirection.PULL)
        known = {m.entity for m in mappers}
        for event in events:
            if event.realm_id != self.realm_id or event.entity not in known:
                continue
            if event.operation is Operation.DELETE:
                deleted.setdefault(event.entity, set()).add(event.entity_id)
                wanted.get(event.entity, set()).discard(event.entity_id)
                continue
            if event.operation is Operation.MERGE and event.deleted_id:
                deleted.setdefault(event.entity, set()).add(event.deleted_id)
            if event.entity_id not in deleted.get(event.entity, set()):
                wanted.setdefault(event.entity, set()).add(event.entity_id)
        return self._pull_run(sink, mappers, RunKind.WEBHOOK,
                              lambda puller: puller.pull_objects(wanted, deleted))

    # -- settings ----------------------------------------------------------------------

    def settings(self) -> Settings:
        """The realm's settings (defaults when none were saved)."""
        return self.store.get_settings(self.realm_id) or Settings()

    def configure(
        self,
        *,
        expense_entity: str | None = None,
        tax_calculation: str | None = None,
        automated_sales_tax: bool | None = None,
    ) -> Settings:
        """Save the realm's company-level choices, keeping the other settings.

        Each argument left ``None`` keeps what was saved. Every process that
        builds an engine for this realm then uses them, unless its
        constructor overrides one.

        Args:
            expense_entity: ``"Purchase"`` or ``"Bill"`` for new expenses.
            tax_calculation: ``"TaxExcluded"`` or ``"TaxInclusive"`` (non-US).
            automated_sales_tax: US: whether QBO computes sales tax itself.

        Raises:
            ConfigurationError: An unknown value, naming it.

        Example: ``engine.configure(expense_entity="Bill")``.
        """
        problems = _choice_problems(expense_entity, tax_calculation)
        if problems:
            raise ConfigurationError("configure: " + "; ".join(problems), problems=problems)
        settings = self.settings()
        changes: dict[str, Any] = {
            name: value for name, value in (
                ("expense_entity", expense_entity),
                ("tax_calculation", tax_calculation),
                ("automated_sales_tax", automated_sales_tax),
            ) if value is not None
        }
        saved = attrs.evolve(settings, **changes)
        self.store.save_settings(self.realm_id, saved)
        return saved

    def choices(self, settings: Settings | None = None) -> tuple[str, str, bool | None]:
        """The effective (expense entity, tax calculation, automated sales tax).

        The constructor's argument wins, then the realm's saved settings,
        then the defaults (``"Purchase"``, ``"TaxExcluded"``, ``None`` =
        read the company's preferences).
        """
        saved = settings if settings is not None else self.settings()
        return (
            self.expense_entity or saved.expense_entity or "Purchase",
            self.tax_calculation or saved.tax_calculation or "TaxExcluded",
            self.automated_sales_tax if self.automated_sales_tax is not None
            else saved.automated_sales_tax,
        )

    def _merge_settings(self, field: str, values: Mapping[str, str]) -> Settings:
        settings = self.settings()
        merged: dict[str, Any] = {field: {**getattr(settings, field), **values}}
        saved = attrs.evolve(settings, **merged)
        self.store.save_settings(self.realm_id, saved)
        return saved

    def map_accounts(self, **roles: str) -> Settings:
        """Save account mappings (role -> QBO Account id), keeping the other settings.

        Example: ``engine.map_accounts(income="79", accounts_receivable="84")``.
        """
        return self._merge_settings("account_mapping", roles)

    def map_tax_codes(self, mapping: Mapping[str, str]) -> Settings:
        """Save tax-code mappings (the product's code -> QBO TaxCode id)."""
        return self._merge_settings("tax_code_mapping", mapping)

    def map_items(self, mapping: Mapping[str, str]) -> Settings:
        """Save item mappings (the product's item id -> an existing QBO Item id)."""
        return self._merge_settings("item_mapping", mapping)

    def map_classes(self, mapping: Mapping[str, str]) -> list[EntityLink]:
        """Map the product's classes to QBO Class ids (kept as links, like pushed records).

        A class mapping is a link: the store keeps it for every process, and
        a pull turns a QBO ``ClassRef`` back into the product's class id.

        Raises:
            NotFoundError: A QBO id that is not a Class.
        """
        return [self.link("Class", local, qbo) for local, qbo in mapping.items()]

    def map_departments(self, mapping: Mapping[str, str]) -> list[EntityLink]:
        """Map the product's locations to QBO Department ids (kept as links).

        Raises:
            NotFoundError: A QBO id that is not a Department.
        """
        return [self.link("Department", local, qbo) for local, qbo in mapping.items()]

    def tax_codes(self) -> list[TaxCodeInfo]:
        """The company's active TaxCodes with their sales and purchase rates (two queries).

        For the product's settings screen, next to its own tax rates; save the
        choice with :meth:`map_tax_codes`.
        """
        return read_tax_codes(self.client)

    def suggest_tax_codes(self, product_rates: Mapping[str, Decimal]) -> dict[str, str]:
        """QBO TaxCode ids for the product's tax codes, paired by rate where unambiguous.

        Args:
            product_rates: The product's tax code -> its rate in percent
                (``{"standard": Decimal("20"), "zero": Decimal("0")}``).

        Returns:
            The pairs found (two queries); codes with no single candidate are
            left out for a person to choose.
        """
        return suggest_tax_codes(self.tax_codes(), product_rates)

    def unlink(self, entity: str, local_id: str) -> bool:
        """Forget a record's link: its next push matches or creates it anew.

        Returns:
            Whether there was a link.
        """
        return self.store.delete_links(self.realm_id, entity, [local_id]) > 0

    def link(self, entity: str, local_id: str, qbo_id: str) -> EntityLink:
        """Link a record to a QBO object by hand (after an ``ambiguous_match``).

        The object is read for its current SyncToken; the link has no
        fingerprint, so the next push sends the record as a sparse update.

        Raises:
            NotFoundError: No such object in QBO.
        """
        obj = self.client.read_entity(entity, f"{entity.lower()}/{qbo_id}")
        link = EntityLink(realm_id=self.realm_id, entity_type=entity, local_id=local_id,
                          qbo_id=str(obj.id), sync_token=obj.sync_token,
                          status=LinkStatus.SYNCED, updated_at=self._now())
        self.store.save_links([link])
        return link

    def suggest_accounts(self) -> dict[str, str]:
        """Account ids QBO's own defaults would use, by role.

        The first account of each type: ``income``, ``accounts_receivable``
        (invoices), ``expense``, ``bank``, ``credit_card`` and
        ``accounts_payable`` (expenses). One query. A role with no candidate
        is left out; the product shows the choice to its user, then calls
        :meth:`map_accounts`.
        """
        kinds = ["Income", "Accounts Receivable", "Expense", "Bank", "Credit Card",
                 "Accounts Payable"]
        return suggest_account_roles(self.client.accounts.query(
            Query("Account").where_in("AccountType", kinds).order_by("Id")))

    def _enabled(
        self, entities: Collection[str] | None, direction: SyncDirection
    ) -> list[Mapper[Any, Any]]:
        """Mappers enabled for ``direction`` (no per-entity settings: all of them)."""
        return [m for m in self.mappers if self._why_not(m, entities, direction) is None]

    def _why_not(
        self, mapper: Mapper[Any, Any], entities: Collection[str] | None,
        direction: SyncDirection, settings: Settings | None = None,
    ) -> str | None:
        """Why an entity is left out of a run (``None``: it is in)."""
        if entities is not None and mapper.entity not in entities:
            return "not_selected"
        settings = settings or self.settings()
        chosen = settings.entities.get(mapper.entity)
        if settings.entities and (
            chosen is None or not chosen.enabled
            or chosen.direction not in (direction, SyncDirection.BOTH)
        ):
            return "disabled"
        return None

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One run per realm at a time: in this process, and across processes via ``locks``."""
        with self._run_lock, self.locks.refresh_lock(
            f"sync:{self.realm_id}", timeout=self.run_lock_timeout
        ):
            yield

    # -- runs --------------------------------------------------------------------------

    def _start(self, kind: RunKind, direction: RunDirection) -> RunRecord:
        now = self._now()
        for run in self.store.list_runs(realm_id=self.realm_id, limit=20,
                                        include_failures=False):
            if run.status is RunStatus.RUNNING and now - run.started_at > self.stale_run_after:
                self.store.save_run(RunRecord(
                    run_id=run.run_id, realm_id=run.realm_id, kind=run.kind,
                    direction=run.direction, started_at=run.started_at, finished_at=now,
                    status=RunStatus.FAILED, counts=run.counts, requests=run.requests,
                    message="interrupted: the process stopped before the run ended",
                ))
        return RunRecord(run_id=uuid.uuid4().hex, realm_id=self.realm_id, kind=kind,
                         direction=direction, started_at=now)

    def _finish(
        self, run: RunRecord, builder: ReportBuilder, stats0: Any, *, dry_run: bool,
        stop: tuple[str, str] | None,
    ) -> SyncReport:
        used = self.client.stats - stats0
        report = SyncReport(
            run_id=run.run_id, realm_id=self.realm_id, direction=run.direction, kind=run.kind,
            status=builder.status(stopped=stop is not None), started_at=run.started_at,
            finished_at=self._now(), counts=builder.counts(), outcomes=tuple(builder.outcomes),
            requests=used.requests, write_requests=used.batch_requests, throttled=used.throttled,
            dry_run=dry_run, message=stop[1] if stop else None,
            stop_reason=stop[0] if stop else None, outcomes_dropped=builder.dropped,
        )
        if not dry_run:
            self.store.save_run(report.to_run_record())
        _log.log(
            logging.WARNING if stop else logging.INFO,
            "realm %s: %s%s %s run %s: %s; created %d, updated %d, matched %d, skipped %d, "
            "failed %d; %d requests, %d 429s%s",
            self.realm_id, "dry " if dry_run else "", report.direction.value, report.kind.value,
            report.run_id, report.status.value, report.total("created"),
            report.total("updated"), report.total("matched"), report.total("skipped"),
            report.total("failed"), report.requests, report.throttled,
            f"; stopped ({stop[0]}): {stop[1]}" if stop else "",
        )
        return report

    def _builder(self) -> ReportBuilder:
        return ReportBuilder(limit=self.outcome_limit, listener=self._on_outcome)

    # -- push --------------------------------------------------------------------------

    def _group(self, records: Iterable[Any]) -> dict[Mapper[Any, Any], list[Any]]:
        return route(
            records, self.mappers,
            lambda entity, ids: self.store.get_links(self.realm_id, entity, ids),
            preferred=lambda kind: (
                self.choices()[0] if issubclass(kind, LocalExpense) else None
            ),
        )

    def _records(self, records: Iterable[Any] | None, mappers: Sequence[Mapper[Any, Any]]
                 ) -> dict[Mapper[Any, Any], list[Any]]:
        if records is None:
            if self.source is None:
                raise ConfigurationError("push() needs records, or a source= on the engine")
            records = self._source_records(self.source, mappers)
        grouped = self._group(records)
        self._add_dependencies(grouped, mappers)
        return grouped

    @staticmethod
    def _source_records(source: RecordSource, mappers: Sequence[Mapper[Any, Any]]) -> list[Any]:
        """Every record of the source for ``mappers``.

        Mappers sharing a record type (purchases and bills both take
        ``LocalExpense``) each ask the source; a record one of them already
        got is taken once, so a source may answer every expense to both
        names, or split them.
        """
        records: list[Any] = []
        taken: dict[type[Any], set[str]] = {}
        for mapper in mappers:
            kind = mapper.record_type
            shared = sum(m.record_type is kind for m in mappers) > 1
            batch = list(source.records(mapper.entity))
            if shared:
                seen = taken.setdefault(kind, set())
                batch = [r for r in batch if mapper.local_id(r) not in seen]
                seen.update(mapper.local_id(r) for r in batch)
            records.extend(batch)
        return records

    def _add_dependencies(
        self, grouped: dict[Mapper[Any, Any], list[Any]], mappers: Sequence[Mapper[Any, Any]]
    ) -> None:
        """Read from the source what the given records need and neither given nor linked."""
        if self.source is None:
            return
        by_entity = {m.entity: m for m in mappers}
        for mapper in reversed(self.mappers):  # dependents first, so chains resolve
            needed: dict[str, set[str]] = {}
            for record in grouped[mapper]:
                for dep in mapper.dependencies(record):
                    needed.setdefault(dep.entity, set()).add(dep.local_id)
            for entity, ids in needed.items():
                dep_mapper = by_entity.get(entity)
                if dep_mapper is None:
                    continue
                given = {dep_mapper.local_id(r) for r in grouped[dep_mapper]}
                missing = ids - given
                if not missing:
                    continue
                linked = self.store.get_links(self.realm_id, entity, missing)
                missing -= {k for k, v in linked.items() if v.qbo_id}
                if missing:
                    grouped[dep_mapper].extend(self.source.get(entity, sorted(missing)))

    def _push(
        self, records: Iterable[Any] | None, entities: Collection[str] | None, *,
        dry_run: bool, kind: RunKind | None,
    ) -> SyncReport:
        mappers = self._enabled(entities, SyncDirection.PUSH)
        grouped = self._records(records, mappers)
        if kind is None:
            kind = RunKind.FULL if records is None else RunKind.ENTITY

        def work(push: PushRun) -> None:
            for mapper, held in grouped.items():
                why = self._why_not(mapper, entities, SyncDirection.PUSH, push.settings)
                for record in held if why is not None else ():
                    push.report(RecordOutcome(
                        entity=mapper.entity, local_id=mapper.local_id(record),
                        action=Action.SKIP, reason=why,
                        message=f"{mapper.entity} is {str(why).replace('_', ' ')} for push",
                    ))
            push.run(mappers, grouped)

        return self._run(kind, RunDirection.PUSH, work, dry_run=dry_run)

    # -- pull --------------------------------------------------------------------------

    def _pull_run(
        self, sink: ChangeSink, mappers: Sequence[Mapper[Any, Any]], kind: RunKind,
        work: Callable[[Puller], None],
    ) -> SyncReport:
        with self._exclusive():
            run = self._start(kind, RunDirection.PULL)
            self.store.save_run(run)
            builder = self._builder()
            for m in mappers:
                builder.touch(m.entity)
            stats0 = self.client.stats
            puller = Puller(
                client=self.client, store=self.store, realm_id=self.realm_id, mappers=mappers,
                policy=self.policy, sink=sink, report=builder.add, now=self._now,
                chunk_size=self.pull_chunk_size, cdc_max_age=self.cdc_max_age,
                cursor_overlap=self.cursor_overlap,
                progress=lambda entity, done: self._progress(entity, done, 0),
            )
            stop = _guarded(lambda: work(puller))
            return self._finish(run, builder, stats0, dry_run=False, stop=stop)
