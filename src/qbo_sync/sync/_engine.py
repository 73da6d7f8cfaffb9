"""``SyncEngine``: push the product's records to QBO and pull QBO's changes back."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qbo_sync import models
from qbo_sync.client import QBOClient, Query
from qbo_sync.errors import AuthError, ConfigurationError, QBOError
from qbo_sync.mapping import Mapper, RecordState, default_mappers
from qbo_sync.storage import (
    EntityLink,
    LinkStatus,
    RunDirection,
    RunKind,
    RunRecord,
    RunStatus,
    Settings,
    Store,
    SyncDirection,
)
from qbo_sync.sync._changes import ChangeSink, RecordSource
from qbo_sync.sync._keys import record_key
from qbo_sync.sync._links import failed_link, synced_link
from qbo_sync.sync._plan import NEW_ID, PlanContext, PlannedWrite, candidate_index, plan_entity
from qbo_sync.sync._policy import FieldPolicy
from qbo_sync.sync._pull import Puller
from qbo_sync.sync._push import BatchWriter, RunStopped
from qbo_sync.sync._recover import recover_pending
from qbo_sync.sync._report import Action, RecordOutcome, ReportBuilder, SyncReport

if TYPE_CHECKING:
    from qbo_sync.auth import OAuthManager
    from qbo_sync.webhooks import WebhookEvent

__all__ = ["DEFAULT_ITEM_ID", "Progress", "SyncEngine"]

#: The local id under which the default service item's link is kept.
DEFAULT_ITEM_ID = "qbo_sync:default-item"

Progress = Callable[[str, int, int], None]
"""``progress(entity, done, total)``; ``total`` is 0 when not known (pulls)."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _no_progress(entity: str, done: int, total: int) -> None:
    return None


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
        pull_chunk_size: Changes per :meth:`ChangeSink.apply` call.
        cdc_max_age: Cursors older than this pull by query, not CDC (QBO's
            look-back is 30 days).
        cursor_overlap: How far a query cursor stays behind the newest change.
        stale_run_after: A run still ``running`` after this long is marked
            failed ("interrupted") by the next run.
        progress: ``progress(entity, done, total)`` during runs.
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
        pull_chunk_size: int = 500,
        cdc_max_age: dt.timedelta = dt.timedelta(days=29),
        cursor_overlap: dt.timedelta = dt.timedelta(minutes=5),
        stale_run_after: dt.timedelta = dt.timedelta(hours=2),
        progress: Progress | None = None,
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
        self.pull_chunk_size = pull_chunk_size
        self.cdc_max_age = cdc_max_age
        self.cursor_overlap = cursor_overlap
        self.stale_run_after = stale_run_after
        self._progress = progress or _no_progress
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

    def map_accounts(self, **roles: str) -> Settings:
        """Save account mappings (role -> QBO Account id), keeping the other settings.

        Example: ``engine.map_accounts(income="79", accounts_receivable="84")``.
        """
        settings = self.settings()
        merged = {**settings.account_mapping, **roles}
        saved = Settings(
            account_mapping=merged, tax_code_mapping=settings.tax_code_mapping,
            item_mapping=settings.item_mapping, entities=settings.entities,
            auto_sync=settings.auto_sync, sync_from=settings.sync_from,
        )
        self.store.save_settings(self.realm_id, saved)
        return saved

    def suggest_accounts(self) -> dict[str, str]:
        """Account ids QBO's own defaults would use: an income account and the A/R account.

        One query. A role with no candidate is left out; the product shows the
        choice to its user, then calls :meth:`map_accounts`.
        """
        found: dict[str, str] = {}
        kinds = {"Income": "income", "Accounts Receivable": "accounts_receivable"}
        for account in self.client.accounts.query(
            Query("Account").where_in("AccountType", list(kinds)).order_by("Id")
        ):
            role = kinds.get(account.account_type or "")
            if role is not None and role not in found and account.id:
                found[role] = str(account.id)
        return found

    def _enabled(
        self, entities: Collection[str] | None, direction: SyncDirection
    ) -> list[Mapper[Any, Any]]:
        """Mappers enabled for ``direction`` (no per-entity settings: all of them)."""
        settings = self.settings()
        out = []
        for mapper in self.mappers:
            if entities is not None and mapper.entity not in entities:
                continue
            chosen = settings.entities.get(mapper.entity)
            if settings.entities and (
                chosen is None or not chosen.enabled
                or chosen.direction not in (direction, SyncDirection.BOTH)
            ):
                continue
            out.append(mapper)
        return out

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
        stopped: str | None,
    ) -> SyncReport:
        used = self.client.stats - stats0
        report = SyncReport(
            run_id=run.run_id, realm_id=self.realm_id, direction=run.direction, kind=run.kind,
            status=builder.status(stopped=stopped is not None), started_at=run.started_at,
            finished_at=self._now(), counts=builder.counts(), outcomes=tuple(builder.outcomes),
            requests=used.requests, write_requests=used.batch_requests, throttled=used.throttled,
            dry_run=dry_run, message=stopped,
        )
        if not dry_run:
            self.store.save_run(report.to_run_record())
        return report

    # -- push --------------------------------------------------------------------------

    def _group(self, records: Iterable[Any]) -> dict[Mapper[Any, Any], list[Any]]:
        grouped: dict[Mapper[Any, Any], list[Any]] = {m: [] for m in self.mappers}
        seen: set[tuple[str, str]] = set()
        for record in records:
            mapper = next((m for m in self.mappers if isinstance(record, m.record_type)), None)
            if mapper is None:
                raise ConfigurationError(
                    f"no mapper takes records of type {type(record).__qualname__}; mapped types: "
                    f"{', '.join(m.record_type.__qualname__ for m in self.mappers)}"
                )
            key = (mapper.entity, mapper.local_id(record))
            if key in seen:
                raise ConfigurationError(f"{key[0]} {key[1]} was given twice in one push")
            seen.add(key)
            grouped[mapper].append(record)
        return grouped

    def _records(self, records: Iterable[Any] | None, mappers: Sequence[Mapper[Any, Any]]
                 ) -> dict[Mapper[Any, Any], list[Any]]:
        if records is None:
            if self.source is None:
                raise ConfigurationError("push() needs records, or a source= on the engine")
            records = [r for m in mappers for r in self.source.records(m.entity)]
        grouped = self._group(records)
        self._add_dependencies(grouped)
        return grouped

    def _add_dependencies(self, grouped: dict[Mapper[Any, Any], list[Any]]) -> None:
        """Read from the source what the given records need and neither given nor linked."""
        if self.source is None:
            return
        by_entity = {m.entity: m for m in grouped}
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
        with self._run_lock:
            run = self._start(kind, RunDirection.PUSH)
            builder = ReportBuilder()
            stats0 = self.client.stats
            if not dry_run:
                self.store.save_run(run)
            push = _PushRun(self, run.run_id, builder, dry_run=dry_run)
            stopped = None
            try:
                push.run(mappers, grouped)
            except RunStopped as exc:
                stopped = exc.message
            except AuthError as exc:
                stopped = f"QBO refused the credentials: {exc}"
            return self._finish(run, builder, stats0, dry_run=dry_run, stopped=stopped)

    # -- pull --------------------------------------------------------------------------

    def _pull_run(
        self, sink: ChangeSink, mappers: Sequence[Mapper[Any, Any]], kind: RunKind,
        work: Callable[[Puller], None],
    ) -> SyncReport:
        with self._run_lock:
            run = self._start(kind, RunDirection.PULL)
            self.store.save_run(run)
            builder = ReportBuilder()
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
            stopped = None
            try:
                work(puller)
            except AuthError as exc:
                stopped = f"QBO refused the credentials: {exc}"
            except QBOError as exc:
                stopped = f"the pull stopped: {exc}"
            return self._finish(run, builder, stats0, dry_run=False, stopped=stopped)


class _PushRun:
    """One push run's state: what is resolved, what failed, the default item."""

    def __init__(self, engine: SyncEngine, run_id: str, builder: ReportBuilder, *,
                 dry_run: bool) -> None:
        self.e = engine
        self.run_id = run_id
        self.builder = builder
        self.dry_run = dry_run
        self.settings = engine.settings()
        self.resolved: dict[str, dict[str, str]] = {}
        self.failed: dict[tuple[str, str], str] = {}
        self.planned_new: set[tuple[str, str]] = set()
        self.recovered: set[tuple[str, str]] = set()
        self._sequence = itertools.count(1)
        self._default_item: str | None = None
        self._default_item_known = False

    def report(self, outcome: RecordOutcome) -> None:
        if outcome.action is Action.FAIL and outcome.local_id is not None:
            self.failed[(outcome.entity, outcome.local_id)] = outcome.reason or "failed"
        self.builder.add(outcome)

    def run(self, mappers: Sequence[Mapper[Any, Any]], grouped: Mapping[Mapper[Any, Any],
                                                                       Sequence[Any]]) -> None:
        e = self.e
        if not self.dry_run:
            self.recovered = recover_pending(
                e.client, e.store, e.realm_id, now=e._now, report=self.report,
                entities={m.entity for m in mappers},
            )
        for mapper in mappers:
            self.builder.touch(mapper.entity)
            records = grouped.get(mapper, [])
            if records:
                self.entity(mapper, records)

    def _resolve_dependencies(self, mapper: Mapper[Any, Any], records: Sequence[Any]) -> None:
        needed: dict[str, set[str]] = {}
        for record in records:
            for dep in mapper.dependencies(record):
                needed.setdefault(dep.entity, set()).add(dep.local_id)
        for entity, ids in needed.items():
            known = self.resolved.setdefault(entity, {})
            missing = [i for i in ids if i not in known and (entity, i) not in self.failed]
            for local_id, link in self.e.store.get_links(self.e.realm_id, entity, missing).items():
                if link.qbo_id and link.status is not LinkStatus.PENDING:
                    known[local_id] = link.qbo_id

    def _candidates(self, mapper: Mapper[Any, Any], records: Sequence[Any],
                    links: Mapping[str, EntityLink]) -> dict[str, list[Any]]:
        unlinked = [r for r in records if mapper.state(r) is RecordState.ACTIVE
                    and not getattr(links.get(mapper.local_id(r)), "qbo_id", None)]
        found: list[Any] = []
        for query in mapper.candidate_queries(unlinked) if unlinked else ():
            found.extend(self.e.client.query(query))
        if not found:
            return {}
        linked = self.e.store.get_links_by_qbo_ids(self.e.realm_id, mapper.entity,
                                                   [str(c.id) for c in found])
        return candidate_index(mapper, found, linked.keys())

    def entity(self, mapper: Mapper[Any, Any], records: Sequence[Any]) -> None:
        e = self.e
        entity = mapper.entity
        total = len(records)
        links = e.store.get_links(e.realm_id, entity, [mapper.local_id(r) for r in records])
        self._resolve_dependencies(mapper, records)
        ctx = PlanContext(settings=self.settings, resolved=self.resolved, failed=self.failed,
                          default_item=self.default_item, planned=self.planned_new,
                          default_item_name=e.default_item_name)
        plan = plan_entity(
            mapper, records, links=links, fields=e.policy.push_fields(mapper),
            qbo_owned=e.policy.qbo_attributes(mapper),
            candidates=self._candidates(mapper, records, links), ctx=ctx,
        )
        resolved = self.resolved.setdefault(entity, {})
        writes: list[PlannedWrite] = []
        save: list[EntityLink] = []
        now = e._now()
        for p in plan:
            if p.action in (Action.SKIP, Action.FAIL, Action.MATCH):
                if p.action is Action.SKIP and (entity, p.local_id) in self.recovered:
                    continue  # its recovery outcome already stands for it
                if p.qbo_id and p.action is not Action.FAIL:
                    resolved[p.local_id] = p.qbo_id
                if p.action is Action.FAIL and p.reason != "write_unconfirmed":
                    save.append(failed_link(e.realm_id, entity, p.local_id, links.get(p.local_id),
                                            code=p.reason or "failed", message=p.message or "",
                                            now=now))
                if p.action is Action.MATCH:
                    save.append(synced_link(e.realm_id, entity, p.local_id, qbo_id=p.qbo_id,
                                            sync_token=p.sync_token, fingerprint=p.fingerprint,
                                            now=now))
                self.report(RecordOutcome(entity=entity, local_id=p.local_id, action=p.action,
                                          reason=p.reason, message=p.message, qbo_id=p.qbo_id))
            elif self.dry_run:
                if p.action is Action.CREATE:
                    self.planned_new.add((entity, p.local_id))
                self.report(RecordOutcome(entity=entity, local_id=p.local_id, action=p.action,
                                          reason="planned", qbo_id=p.qbo_id))
            else:
                writes.append(p)
        if save and not self.dry_run:
            e.store.save_links(save)
        done = [total - len(writes)]
        e._progress(entity, done[0], total)
        if not writes:
            return

        def progress(n: int) -> None:
            done[0] += n
            e._progress(entity, done[0], total)

        BatchWriter(
            client=e.client, store=e.store, realm_id=e.realm_id, run_id=self.run_id,
            mapper=mapper, links=links, report=self.report, resolved=resolved, now=e._now,
            batch_size=e.batch_size, max_in_flight=e.max_in_flight,
            conflict_retries=e.conflict_retries, progress=progress,
            next_sequence=lambda: next(self._sequence),
        ).write(writes)

    def default_item(self) -> str | None:
        """The default service item's QBO id: linked, found by name, or created once."""
        if not self._default_item_known:
            self._default_item = self._find_or_create_item()
            self._default_item_known = True
        return self._default_item

    def _find_or_create_item(self) -> str | None:
        e = self.e
        link = e.store.get_links(e.realm_id, "Item", [DEFAULT_ITEM_ID]).get(DEFAULT_ITEM_ID)
        if link is not None and link.qbo_id:
            return link.qbo_id
        name = e.default_item_name
        try:
            found = e.client.items.first(Query("Item").where_eq("Name", name))
            created = False
            if found is None:
                if self.dry_run:
                    return NEW_ID
                income = self.settings.account_mapping.get("income")
                if not income:
                    return None
                key = record_key(e.realm_id, "Item", DEFAULT_ITEM_ID, name, "create")
                found = e.client.items.create(
                    models.Item(name=name, type="Service",
                                income_account_ref=models.Ref(value=income)),
                    request_id=f"qs-item-{key}",
                )
                created = True
        except QBOError as exc:
            self.report(RecordOutcome(entity="Item", local_id=DEFAULT_ITEM_ID, action=Action.FAIL,
                                      reason=exc.code or type(exc).__name__, message=exc.message,
                                      intuit_tid=exc.intuit_tid))
            return None
        if not self.dry_run:
            e.store.save_links([synced_link(e.realm_id, "Item", DEFAULT_ITEM_ID,
                                            qbo_id=found.id, sync_token=found.sync_token,
                                            fingerprint=None, now=e._now())])
            self.report(RecordOutcome(
                entity="Item", local_id=DEFAULT_ITEM_ID,
                action=Action.CREATE if created else Action.MATCH, reason="default_item",
                message=f"the default item {name!r} for lines without an item", qbo_id=found.id,
            ))
        return str(found.id)
