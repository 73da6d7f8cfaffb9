"""Pulling QBO changes into the product.

Per entity the engine reads what changed since its stored cursor:

- **CDC** when the cursor is younger than QBO's 30-day look-back (less a
  margin): one request covers every entity, and the cursor then moves to the
  server time of that answer;
- **a paged query** on ``MetaData.LastUpdatedTime`` when there is no cursor,
  when it is too old for CDC, or when CDC hit its 1,000-object cap for the
  entity. Pages are streamed (one page in memory) and the cursor is saved
  after every chunk the product accepted, so a 100,000-object pull that stops
  half-way resumes from there. Queries do not return deletions: those reach
  the product through CDC or webhooks.

Changes go to the product's :class:`~qbo_sync.sync.ChangeSink` in chunks; a
cursor moves only after the sink accepted the chunk. An object whose
SyncToken equals the one its link holds is our own push coming back (or one
the product already has) and is skipped as an ``echo``. A QBO payment applied
to a linked invoice also gives that invoice a ``PAID`` change with the amount,
the date and the balance left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from qbo_sync.client import Deletion, QBOClient, Query
from qbo_sync.mapping import Mapper
from qbo_sync.storage import Cursor, EntityLink, RunDirection, Store
from qbo_sync.sync._changes import Change, ChangeKind, ChangeSink, InvoicePayment
from qbo_sync.sync._links import synced_link
from qbo_sync.sync._plan import NAME_LISTS
from qbo_sync.sync._policy import FieldPolicy
from qbo_sync.sync._push import read_by_ids
from qbo_sync.sync._report import Action, RecordOutcome

__all__ = ["Puller"]

_ACTIONS = {
    ChangeKind.CREATED: Action.CREATE,
    ChangeKind.UPDATED: Action.UPDATE,
    ChangeKind.PAID: Action.UPDATE,
    ChangeKind.VOIDED: Action.VOID,
    ChangeKind.DELETED: Action.DELETE,
}
_LOOKUP_CACHE = 20_000


class _LinkLookup:
    """``PullContext``: local ids by QBO id, cached (bounded) per run."""

    def __init__(self, store: Store, realm_id: str) -> None:
        self._store = store
        self._realm = realm_id
        self._cache: dict[tuple[str, str], str | None] = {}
        self._tax_codes: dict[str, str] | None = None

    def local_id(self, entity: str, qbo_id: str) -> str | None:
        key = (entity, qbo_id)
        if key not in self._cache:
            if len(self._cache) >= _LOOKUP_CACHE:
                self._cache.clear()  # keeps memory flat on a 100k-object pull
            link = self._store.get_links_by_qbo_ids(self._realm, entity, [qbo_id]).get(qbo_id)
            self._cache[key] = link.local_id if link is not None else None
        return self._cache[key]

    def local_tax_code(self, qbo_code: str) -> str:
        if self._tax_codes is None:  # read once per run
            settings = self._store.get_settings(self._realm)
            by_qbo: dict[str, list[str]] = {}
            for local, qbo in (settings.tax_code_mapping if settings else {}).items():
                by_qbo.setdefault(qbo, []).append(local)
            self._tax_codes = {qbo: locals_[0] for qbo, locals_ in by_qbo.items()
                               if len(locals_) == 1}
        return self._tax_codes.get(qbo_code, qbo_code)

    def remember(self, entity: str, qbo_id: str, local_id: str | None) -> None:
        self._cache[(entity, qbo_id)] = local_id


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _updated_at(obj: Any) -> dt.datetime | None:
    if isinstance(obj, Deletion):
        return obj.last_updated
    meta = getattr(obj, "meta_data", None)
    return meta.last_updated_time if meta is not None else None


class Puller:
    """One pull run's work (the engine builds one per run).

    Args:
        client: The realm's client.
        store: Links and cursors.
        realm_id: The company.
        mappers: Mappers of the entities to pull, in order.
        policy: Field ownership.
        sink: The product's sink.
        report: Receives each outcome.
        now: The clock.
        chunk_size: Changes per ``sink.apply`` call.
        cdc_max_age: Cursors older than this use a query instead of CDC.
        cursor_overlap: How far behind the newest change a query cursor is
            set (clock skew between QBO and here).
        progress: Called with (entity, records handled so far).
    """

    def __init__(
        self,
        *,
        client: QBOClient,
        store: Store,
        realm_id: str,
        mappers: Sequence[Mapper[Any, Any]],
        policy: FieldPolicy,
        sink: ChangeSink,
        report: Callable[[RecordOutcome], None],
        now: Callable[[], dt.datetime],
        chunk_size: int,
        cdc_max_age: dt.timedelta,
        cursor_overlap: dt.timedelta,
        progress: Callable[[str, int], None],
    ) -> None:
        self._client = client
        self._store = store
        self._realm = realm_id
        self._mappers = {m.entity: m for m in mappers}
        self._order = [m.entity for m in mappers]
        self._policy = policy
        self._sink = sink
        self._report = report
        self._now = now
        self._chunk = chunk_size
        self._cdc_age = cdc_max_age
        self._overlap = cursor_overlap
        self._progress = progress
        self._lookup = _LinkLookup(store, realm_id)
        self._done: dict[str, int] = {}

    # -- full pull ---------------------------------------------------------------------

    def pull(self) -> None:
        """Read every entity's changes since its cursor and hand them to the sink."""
        now = self._now()
        cursors = {e: self._store.get_cursor(self._realm, e) for e in self._order}
        by_cdc = [e for e, c in cursors.items() if c is not None
                  and now - c.changed_since < self._cdc_age]
        capped: set[str] = set()
        if by_cdc:
            since = min(cursors[e].changed_since for e in by_cdc)  # type: ignore[union-attr]
            result = self._client.cdc(by_cdc, since, follow_capped=False)
            capped = set(result.capped)
            deleted: dict[str, list[Deletion]] = {}
            for d in result.deleted:
                deleted.setdefault(d.entity, []).append(d)
            for entity in by_cdc:
                if entity in capped:
                    continue
                objects = [*result.changed.get(entity, ()), *deleted.get(entity, ())]
                if self._deliver(entity, objects) and result.next_changed_since is not None:
                    self._save_cursor(entity, result.next_changed_since)
        for entity in self._order:
            if entity in by_cdc and entity not in capped:
                continue
            cursor = cursors[entity]
            self._pull_by_query(entity, cursor.changed_since if cursor else None, now)

    def _pull_by_query(self, entity: str, since: dt.datetime | None, started: dt.datetime) -> None:
        query = Query(entity)
        if entity in NAME_LISTS:
            query = query.include_inactive()
        if since is not None:
            query = query.updated_since(since)
        query = query.order_by("MetaData.LastUpdatedTime").order_by("Id")
        newest: dt.datetime | None = None
        for chunk in _chunks(self._client.query(query), self._chunk):
            if not self._deliver(entity, chunk):
                return  # the cursor stays where the sink last agreed
            stamps = [t for t in map(_updated_at, chunk) if t is not None]
            if stamps:
                newest = max(stamps) if newest is None else max(newest, *stamps)
                # One second back: QBO's filter is ">", and objects sharing the
                # newest stamp may sit in the next chunk.
                self._save_cursor(entity, newest - dt.timedelta(seconds=1))
        floor = started - self._overlap
        if newest is None or newest < floor:
            self._save_cursor(entity, floor if since is None or floor > since else since)

    def _save_cursor(self, entity: str, when: dt.datetime) -> None:
        self._store.save_cursor(Cursor(realm_id=self._realm, entity_type=entity,
                                       changed_since=when, updated_at=self._now()))

    # -- targeted pull (webhooks) ------------------------------------------------------

    def pull_objects(self, wanted: Mapping[str, set[str]], deleted: Mapping[str, set[str]]) -> None:
        """Read the named objects and deliver them; cursors do not move."""
        for entity in self._order:
            objects: list[Any] = []
            ids = wanted.get(entity, set())
            if ids:
                objects.extend(read_by_ids(self._client, entity, sorted(ids)).values())
            objects.extend(Deletion(entity=entity, id=i) for i in sorted(deleted.get(entity, ())))
            for chunk in _chunks(objects, self._chunk):
                self._deliver(entity, chunk)

    # -- delivery ----------------------------------------------------------------------

    def _deliver(self, entity: str, objects: Sequence[Any]) -> bool:
        """Turn objects into changes, hand them to the sink, link and report. ``False``: refused."""
        if not objects:
            return True
        mapper = self._mappers[entity]
        links = self._store.get_links_by_qbo_ids(self._realm, entity,
                                                 [str(o.id) for o in objects])
        changes: list[Change] = []
        skipped: list[RecordOutcome] = []
        for obj in objects:
            qbo_id = str(obj.id)
            link = links.get(qbo_id)
            local = link.local_id if link is not None else None
            if isinstance(obj, Deletion):
                if link is None:
                    skipped.append(self._outcome(entity, None, Action.SKIP, qbo_id, "not_linked"))
                else:
                    changes.append(Change(entity=entity, kind=ChangeKind.DELETED,
                                          qbo_id=qbo_id, local_id=local))
                continue
            if link is not None and link.sync_token == obj.sync_token:
                skipped.append(self._outcome(entity, local, Action.SKIP, qbo_id, "echo"))
                continue
            record = mapper.from_qbo(obj, self._lookup)
            all_fields = frozenset(_fields(record))
            if link is None:
                kind, fields = ChangeKind.CREATED, all_fields
            else:
                voided = bool(getattr(record, "voided", False))
                kind = ChangeKind.VOIDED if voided else ChangeKind.UPDATED
                fields = self._policy.pull_fields(mapper, all_fields)
            changes.append(Change(entity=entity, kind=kind, qbo_id=qbo_id, local_id=local,
                                  record=record, fields=fields, sync_token=obj.sync_token))
        if entity == "Payment":
            changes.extend(self._invoice_payments(changes, objects))
        self._report_all(skipped)
        if changes:
            try:
                created = self._sink.apply(changes) or {}
            except Exception as exc:
                for c in changes:
                    self._report(self._outcome(c.entity, c.local_id, Action.FAIL, c.qbo_id,
                                               "sink_failed",
                                               message=f"the sink refused the chunk: "
                                               f"{type(exc).__name__}: {exc}"))
                return False
            self._acknowledge(entity, mapper, changes, dict(created), links)
        self._done[entity] = self._done.get(entity, 0) + len(objects)
        self._progress(entity, self._done[entity])
        return True

    def _acknowledge(self, entity: str, mapper: Mapper[Any, Any], changes: Sequence[Change],
                     created: Mapping[str, str], links: Mapping[str, EntityLink]) -> None:
        stamp = self._now()
        fields = self._policy.push_fields(mapper)
        save: list[EntityLink] = []
        gone: list[str] = []
        for c in changes:
            if c.kind is ChangeKind.PAID:
                self._report(self._outcome(c.entity, c.local_id, Action.UPDATE, c.qbo_id,
                                           "paid" if c.payment and c.payment.paid_in_full
                                           else "partially_paid",
                                           message=c.payment.note if c.payment else None))
                continue
            local = c.local_id or created.get(c.qbo_id)
            if c.kind is ChangeKind.DELETED:
                gone.append(str(c.local_id))
            elif local is not None:
                old = links.get(c.qbo_id)
                record = c.record
                # A linked record keeps the fingerprint of what the product pushed;
                # a new one is fingerprinted as the product now holds it.
                fp = old.fingerprint if old is not None else mapper.fingerprint(record, fields)
                save.append(synced_link(self._realm, entity, local, qbo_id=c.qbo_id,
                                        sync_token=c.sync_token, fingerprint=fp, now=stamp))
                self._lookup.remember(entity, c.qbo_id, local)
            reason = None if local is not None or c.kind is not ChangeKind.CREATED else "not_linked"
            self._report(self._outcome(entity, local, _ACTIONS[c.kind], c.qbo_id, reason))
        if save:
            self._store.save_links(save)
        if gone:
            self._store.delete_links(self._realm, entity, gone)

    def _invoice_payments(self, changes: Sequence[Change], objects: Sequence[Any]) -> list[Change]:
        # Read the QBO payment's LinkedTxn, not the mapped record: a record names an
        # unlinked invoice by its QBO id, which may equal an unrelated local id.
        payments = {str(o.id): o for o in objects if not isinstance(o, Deletion)}
        applied: list[tuple[Change, str, Any]] = []
        for c in changes:
            if c.kind not in (ChangeKind.CREATED, ChangeKind.UPDATED):
                continue
            for line in getattr(payments.get(c.qbo_id), "line", None) or ():
                applied.extend((c, str(txn.txn_id), line.amount) for txn in line.linked_txn or ()
                               if txn.txn_type == "Invoice" and txn.txn_id
                               and line.amount is not None)
        if not applied:
            return []
        links = self._store.get_links_by_qbo_ids(self._realm, "Invoice",
                                                 sorted({q for _c, q, _a in applied}))
        balances = {k: v.balance for k, v in
                    read_by_ids(self._client, "Invoice", sorted(links)).items()}
        out: list[Change] = []
        for c, qbo_invoice, amount in applied:
            link = links.get(qbo_invoice)
            if link is None:
                continue  # paid an invoice the product does not have
            payment = InvoicePayment(
                invoice_local_id=link.local_id, invoice_qbo_id=qbo_invoice,
                payment_qbo_id=c.qbo_id, amount=amount,
                date=getattr(payments[c.qbo_id], "txn_date", None),
                balance=balances.get(qbo_invoice),
            )
            out.append(Change(entity="Invoice", kind=ChangeKind.PAID, qbo_id=qbo_invoice,
                              local_id=link.local_id, payment=payment))
        return out

    def _outcome(self, entity: str, local: str | None, action: Action, qbo_id: str,
                 reason: str | None, *, message: str | None = None) -> RecordOutcome:
        return RecordOutcome(entity=entity, local_id=local, action=action, reason=reason,
                             message=message, qbo_id=qbo_id, direction=RunDirection.PULL)

    def _report_all(self, outcomes: Iterable[RecordOutcome]) -> None:
        for o in outcomes:
            self._report(o)


def _fields(record: Any) -> Iterable[str]:
    import attrs  # noqa: PLC0415 - only for attrs records

    if attrs.has(type(record)):
        return [a.name for a in attrs.fields(type(record))]
    return [k for k in vars(record) if not k.startswith("_")]
