"""One push run: resolve pending writes, then plan and write each entity in order.

What a run remembers while it goes: the QBO ids of records written or matched
so far (what later entities depend on), why records failed (for the
``dependency_missing`` message of their dependents), and the default service
item, looked up or created at most once.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from qbo_sync import models
from qbo_sync.client import Query
from qbo_sync.errors import AuthError, MappingError, QBOError
from qbo_sync.mapping import BaseMapper, CompanySetup, Mapper, RecordState
from qbo_sync.storage import EntityLink, LinkStatus, Settings
from qbo_sync.sync._keys import record_key
from qbo_sync.sync._links import failed_link, synced_link
from qbo_sync.sync._plan import NEW_ID, PlanContext, PlannedWrite, candidate_index, plan_entity
from qbo_sync.sync._push import BatchWriter
from qbo_sync.sync._recover import recover_pending
from qbo_sync.sync._report import Action, RecordOutcome, ReportBuilder
from qbo_sync.sync._setup import read_tax_codes

if TYPE_CHECKING:
    from qbo_sync.sync._engine import SyncEngine

__all__ = ["DEFAULT_ITEM_ID", "PushRun"]

#: The local id under which the default service item's link is kept.
DEFAULT_ITEM_ID = "qbo_sync:default-item"


def _matches(mapper: Mapper[Any, Any]) -> bool:
    """Whether a mapper can find every record's existing twin.

    A ``BaseMapper`` overriding ``match_keys`` can, unless it says some records
    have no keys (``match_keys_optional``: an expense without a number).
    """
    if getattr(mapper, "match_keys_optional", False):
        return False
    if isinstance(mapper, BaseMapper):
        return type(mapper).match_keys is not BaseMapper.match_keys
    return False  # a mapper of unknown make: assume it cannot


class PushRun:
    """One push run's state: what is resolved, what failed, the default item.

    Args:
        engine: The engine (its client, store, policy and options).
        run_id: The run.
        builder: Collects the outcomes.
        settings: The realm's settings, read once for the run.
        dry_run: Plan only: no write, no link, no default item created.
    """

    def __init__(self, engine: SyncEngine, run_id: str, builder: ReportBuilder, *,
                 settings: Settings, dry_run: bool) -> None:
        self.e = engine
        self.run_id = run_id
        self.builder = builder
        self.dry_run = dry_run
        self.settings = settings
        self.resolved: dict[str, dict[str, str]] = {}
        self.failed: dict[tuple[str, str], str] = {}
        self.planned_new: set[tuple[str, str]] = set()
        self.recovered: set[tuple[str, str]] = set()
        self._sequence = itertools.count(1)
        self._default_item: str | None = None
        self._default_item_known = False
        self._company: CompanySetup | MappingError | None = None

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
                entities={m.entity for m in mappers}, replay_window=e.replay_window,
                unmatchable=frozenset(m.entity for m in mappers if not _matches(m)),
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

    def _too_old(self, mapper: Mapper[Any, Any], records: Sequence[Any]) -> list[Any]:
        """Records dated before ``Settings.sync_from`` are skipped (reason ``before_sync_from``)."""
        since = self.settings.sync_from
        if since is None:
            return list(records)
        kept = []
        for record in records:
            when = getattr(record, "date", None)
            if isinstance(when, dt.date) and when < since:
                self.report(RecordOutcome(
                    entity=mapper.entity, local_id=mapper.local_id(record), action=Action.SKIP,
                    reason="before_sync_from",
                    message=f"dated {when.isoformat()}, before sync_from {since.isoformat()}",
                ))
            else:
                kept.append(record)
        return kept

    def entity(self, mapper: Mapper[Any, Any], records: Sequence[Any]) -> None:
        """Plan and push one entity's records."""
        e = self.e
        entity = mapper.entity
        records = self._too_old(mapper, records)
        if not records:
            return
        total = len(records)
        links = e.store.get_links(e.realm_id, entity, [mapper.local_id(r) for r in records])
        self._resolve_dependencies(mapper, records)
        ctx = PlanContext(settings=self.settings, resolved=self.resolved, failed=self.failed,
                          default_item=self.default_item, planned=self.planned_new,
                          default_item_name=e.default_item_name, company=self.company)
        try:
            candidates = self._candidates(mapper, records, links)
        except AuthError:
            raise
        except QBOError as exc:
            # Without the candidates a create could duplicate a twin: plan nothing.
            for record in records:
                self.report(RecordOutcome(
                    entity=entity, local_id=mapper.local_id(record), action=Action.FAIL,
                    reason="read_failed", intuit_tid=exc.intuit_tid,
                    message=f"reading QBO's {entity} records to match against failed: {exc}",
                ))
            return
        plan = plan_entity(
            mapper, records, links=links, fields=e.policy.push_fields(mapper),
            qbo_owned=e.policy.qbo_attributes(mapper), candidates=candidates, ctx=ctx,
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
                                          reason="planned", message=p.message,
                                          qbo_id=p.qbo_id))
            else:
                writes.append(p)
        if save and not self.dry_run:
            e.store.save_links(save)
        self._write(mapper, writes, links, total=total)

    def _write(self, mapper: Mapper[Any, Any], writes: Sequence[PlannedWrite],
               links: Mapping[str, EntityLink], *, total: int) -> None:
        """Send planned writes through a :class:`BatchWriter`, reporting progress."""
        e = self.e
        done = [total - len(writes)]
        e._progress(mapper.entity, done[0], total)
        if not writes:
            return

        def progress(n: int) -> None:
            done[0] += n
            e._progress(mapper.entity, done[0], total)

        BatchWriter(
            client=e.client, store=e.store, realm_id=e.realm_id, run_id=self.run_id,
            mapper=mapper, links=links, report=self.report,
            resolved=self.resolved.setdefault(mapper.entity, {}), now=e._now,
            batch_size=e.batch_size, max_in_flight=e.max_in_flight,
            conflict_retries=e.conflict_retries, progress=progress,
            next_sequence=lambda: next(self._sequence),
        ).write(writes)

    def void_linked(self, mapper: Mapper[Any, Any]) -> None:
        """Void in QBO every synced object of the entity ("disconnect and void")."""
        e = self.e
        links = {link.local_id: link for link in e.store.list_links(e.realm_id,
                                                                  entity_type=mapper.entity)
                 if link.qbo_id and link.status is not LinkStatus.PENDING}
        writes = [
            PlannedWrite(
                entity=mapper.entity, local_id=link.local_id, action=Action.VOID,
                # Not the product's record: the next push of it is sent as an update.
                fingerprint="voided-on-disconnect", record=None,
                payload=models.entity_class(mapper.entity)(id=link.qbo_id,
                                                           sync_token=link.sync_token or "0"),
                qbo_id=link.qbo_id, sync_token=link.sync_token or "0", reason="disconnect",
            )
            for link in links.values()
        ]
        self.builder.touch(mapper.entity)
        self._write(mapper, writes, links, total=len(writes))

    def company(self) -> CompanySetup:
        """The company's setup: Preferences and CompanyInfo, read once per run when first needed.

        Raises:
            MappingError: ``read_failed`` (every record that needs it fails,
                with one read attempt per run).
        """
        if self._company is None:
            e = self.e
            _, calculation, automated = e.choices(self.settings)
            try:
                setup = CompanySetup.from_qbo(
                    e.client.preferences(), e.client.company_info(),
                    tax_calculation=calculation,
                    automated_sales_tax=automated,
                )
                if setup.needs_rates:  # tax-inclusive amounts are split with the codes' rates
                    rates = {c.id: (c.sales_rate, c.purchase_rate)
                             for c in read_tax_codes(e.client)}
                    setup = attrs.evolve(setup, tax_rates=rates)
            except AuthError:
                raise
            except QBOError as exc:
                self._company = MappingError(
                    f"reading the company's preferences failed: {exc}", reason="read_failed")
            else:
                self._company = setup
        if isinstance(self._company, MappingError):
            raise MappingError(self._company.message, reason="read_failed")
        return self._company

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
