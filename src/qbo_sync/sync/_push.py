"""Executing a push plan: batches, pending links, conflicts and duplicate names.

Order of work for one entity: read the links of the records and of what they
depend on, read match candidates for unlinked records (few paged queries),
plan (pure), save links of matches and failures, then send the writes in
batches of up to 30. Before a batch is sent, its members' links are saved as
pending with the batch's derived ``requestid``; after the answer they are
saved as synced or failed, batch by batch. Up to ``max_in_flight`` batches are
in flight at once; the client's pacer keeps them inside the realm's budget.

- **5010 (stale SyncToken)**: the objects are read again (one query per 100)
  and the same sparse change is sent with the current SyncToken; after
  ``conflict_retries`` rounds the record fails with reason ``conflict``.
- **6240 (duplicate name)** on a create: QBO objects with that name are read,
  inactive ones included; one that the match rules accept and no other record
  is linked to is linked and updated (reactivated), reported as a match with
  reason ``duplicate_name_linked``. Otherwise the record fails with reason
  ``duplicate_name`` and a hint.
- A batch that fails as a whole (QBO down, throttled past the retries) leaves
  its records pending (reason ``write_unconfirmed``); the next run resolves
  them from their ``requestid``. An authorisation failure stops the run.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import attrs

from qbo_sync.client import BatchOperation, BatchResult, Deletion, QBOClient, Query
from qbo_sync.errors import AuthError, DuplicateNameError, QBOError, StaleObjectError
from qbo_sync.mapping import Mapper
from qbo_sync.storage import EntityLink, LinkStore
from qbo_sync.sync._keys import batch_request_id, pending_id, record_key
from qbo_sync.sync._links import failed_link, pending_link, synced_link
from qbo_sync.sync._plan import NAME_LISTS, PlannedWrite
from qbo_sync.sync._report import Action, RecordOutcome

__all__ = ["BatchWriter", "RunStopped", "read_by_ids"]

#: Ids per ``Id IN (...)`` query.
IDS_PER_QUERY = 100
#: The name property QBO checks for duplicates, per name-list entity.
NAME_PROPERTY = {"Customer": ("DisplayName", "display_name"), "Item": ("Name", "name"),
                 "Vendor": ("DisplayName", "display_name")}


class RunStopped(Exception):  # noqa: N818 - a signal, not an error for users
    """The run cannot go on (the realm needs reauthorisation)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_by_ids(client: QBOClient, entity: str, ids: Sequence[str]) -> dict[str, Any]:
    """QBO objects by id, inactive name-list records included, 100 ids a query."""
    found: dict[str, Any] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), IDS_PER_QUERY):
        query = Query(entity).where_in("Id", wanted[start : start + IDS_PER_QUERY])
        if entity in NAME_LISTS:
            query = query.include_inactive()
        for obj in client.query(query):
            found[str(obj.id)] = obj
    return found


def _operation(write: PlannedWrite, key: int, bid: str) -> BatchOperation:
    if write.action is Action.CREATE:
        return BatchOperation.create(write.payload, key=key, bid=bid)
    if write.action is Action.VOID:
        return BatchOperation.void(write.payload, key=key, bid=bid)
    if write.action is Action.DELETE:
        return BatchOperation.delete(write.payload, key=key, bid=bid)
    return BatchOperation.sparse_update(write.payload, key=key, bid=bid)


@attrs.define
class _Retry:
    conflicts: list[PlannedWrite] = attrs.Factory(list)
    duplicates: list[tuple[PlannedWrite, DuplicateNameError]] = attrs.Factory(list)


class BatchWriter:
    """Sends one entity's planned writes and records every outcome and link.

    Args:
        client: The realm's client.
        store: Where links go.
        realm_id: The company.
        run_id: The run (part of every derived ``requestid``).
        mapper: The entity's mapper (for duplicate-name matching).
        links: The records' links before the run, by local id.
        report: Receives each outcome.
        resolved: Updated with the QBO id of every confirmed write.
        now: The clock.
        batch_size: Operations per batch (1..30).
        max_in_flight: Batches sent at once.
        conflict_retries: Rounds of re-read and resend after 5010.
        progress: Called after each batch with the count of records finished.
        next_sequence: Gives the run-wide batch sequence numbers.
    """

    def __init__(
        self,
        *,
        client: QBOClient,
        store: LinkStore,
        realm_id: str,
        run_id: str,
        mapper: Mapper[Any, Any],
        links: Mapping[str, EntityLink],
        report: Callable[[RecordOutcome], None],
        resolved: dict[str, str],
        now: Callable[[], dt.datetime],
        batch_size: int,
        max_in_flight: int,
        conflict_retries: int,
        progress: Callable[[int], None],
        next_sequence: Callable[[], int],
    ) -> None:
        self._client = client
        self._store = store
        self._realm = realm_id
        self._run = run_id
        self._mapper = mapper
        self._links = links
        self._report = report
        self._resolved = resolved
        self._now = now
        self._size = batch_size
        self._in_flight = max(1, max_in_flight)
        self._retries = conflict_retries
        self._progress = progress
        self._sequence = next_sequence

    # -- rounds ------------------------------------------------------------------------

    def write(self, writes: Sequence[PlannedWrite]) -> None:
        """Send ``writes``, then the conflict and duplicate-name follow-ups, until done."""
        pending = list(writes)
        rounds = 0
        while pending:
            retry = self._send_all(pending)
            rounds += 1
            pending = []
            if retry.conflicts:
                if rounds > self._retries:
                    for w in retry.conflicts:
                        self._fail(w, "conflict", f"still stale after {self._retries} re-reads "
                                   "(QBO keeps changing it); the next run tries again")
                else:
                    reread = functools.partial(self._refresh_tokens, retry.conflicts)
                    pending.extend(self._follow_up([retry.conflicts], reread))
            if retry.duplicates:
                pending.extend(self._follow_up(
                    [[w for w, _ in retry.duplicates]],
                    functools.partial(self._resolve_duplicates, retry.duplicates)))

    def _follow_up(
        self, groups: Sequence[Sequence[PlannedWrite]],
        read: Callable[[], list[PlannedWrite]],
    ) -> list[PlannedWrite]:
        """Run a follow-up read; if QBO fails it, its writes fail (reason ``read_failed``)."""
        try:
            return read()
        except AuthError:
            raise
        except QBOError as exc:
            for group in groups:
                for w in group:
                    self._fail(w, "read_failed", f"the follow-up read failed: {exc}",
                               exc.intuit_tid)
            return []

    def _batches(self, writes: Sequence[PlannedWrite]) -> Iterator[list[PlannedWrite]]:
        for start in range(0, len(writes), self._size):
            yield list(writes[start : start + self._size])

    def _send_all(self, writes: Sequence[PlannedWrite]) -> _Retry:
        retry = _Retry()
        batches = self._batches(writes)
        with ThreadPoolExecutor(self._in_flight, thread_name_prefix="qbo-sync-push") as pool:
            running: dict[Future[BatchResult], tuple[list[PlannedWrite], str]] = {}

            def submit() -> bool:
                batch: list[PlannedWrite] | None = []
                while batch == []:
                    batch = next(batches, None)
                    batch = None if batch is None else self._buildable(batch)
                if batch is None:
                    return False
                rid = self._mark_pending(batch)
                ops = [_operation(w, n, f"b{n}") for n, w in enumerate(batch)]
                running[pool.submit(self._client.batch, ops, request_id=rid)] = (batch, rid)
                return True

            for _ in range(self._in_flight):
                if not submit():
                    break
            stop: RunStopped | None = None
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    batch, _rid = running.pop(future)
                    try:
                        self._handle(batch, future.result(), retry)
                    except AuthError as exc:
                        for w in batch:
                            self._unconfirmed(w, exc)
                        stop = RunStopped(f"QBO refused the credentials: {exc}")
                    except QBOError as exc:
                        for w in batch:
                            self._unconfirmed(w, exc)
                    self._progress(len(batch))
                    if stop is None:
                        submit()
            if stop is not None:
                raise stop
        return retry

    def _buildable(self, batch: Sequence[PlannedWrite]) -> list[PlannedWrite]:
        """The writes whose request body can be built; the others fail here, unsent.

        A body that cannot be built (an update without a SyncToken, a value
        the wire format refuses) would otherwise fail the whole batch before
        sending and come back as pending on every run.
        """
        return [w for w in batch if self._builds(w)]

    def _builds(self, write: PlannedWrite) -> bool:
        try:
            _operation(write, 0, "b0").to_item("b0")
        except QBOError as exc:
            self._fail(write, "invalid_record", f"cannot be sent: {exc.message}")
            return False
        return True

    def _mark_pending(self, batch: Sequence[PlannedWrite]) -> str:
        keys = [record_key(self._realm, w.entity, w.local_id, w.fingerprint, w.action.value)
                for w in batch]
        rid = batch_request_id(self._run, self._sequence(), keys)
        stamp = self._now()
        self._store.save_links([
            pending_link(self._realm, w, self._links.get(w.local_id), pending_id(rid, f"b{n}"),
                         stamp)
            for n, w in enumerate(batch)
        ])
        return rid

    # -- answers -----------------------------------------------------------------------

    def _handle(self, batch: Sequence[PlannedWrite], result: BatchResult, retry: _Retry) -> None:
        links: list[EntityLink] = []
        stamp = self._now()
        for n, write in enumerate(batch):
            item = result[n]
            error = item.error
            if error is None:
                entity = item.entity
                qbo_id = str(getattr(entity, "id", None) or write.qbo_id)
                token = write.sync_token if isinstance(entity, Deletion) else entity.sync_token
                links.append(synced_link(self._realm, write.entity, write.local_id,
                                         qbo_id=qbo_id, sync_token=token,
                                         fingerprint=write.fingerprint, now=stamp))
                self._resolved[write.local_id] = qbo_id
                action = Action.MATCH if write.reason == "duplicate_name_linked" else write.action
                self._report(RecordOutcome(
                    entity=write.entity, local_id=write.local_id, action=action,
                    reason=write.reason, message=write.message, qbo_id=qbo_id,
                    intuit_tid=item.intuit_tid,
                ))
            elif isinstance(error, StaleObjectError) and write.action is not Action.CREATE:
                retry.conflicts.append(write)
            elif isinstance(error, DuplicateNameError) and write.action is Action.CREATE \
                    and write.entity in NAME_PROPERTY:
                retry.duplicates.append((write, error))
            else:
                links.append(self._failed_link(write, error.code or type(error).__name__,
                                               error.message))
                self._report(_failure(write, error))
        # Conflicts and duplicates stay pending until their follow-up decides.
        self._store.save_links(links)

    def _failed_link(self, write: PlannedWrite, code: str, message: str) -> EntityLink:
        return failed_link(self._realm, write.entity, write.local_id,
                           self._links.get(write.local_id), code=code, message=message,
                           now=self._now())

    def _fail(self, write: PlannedWrite, code: str, message: str,
              intuit_tid: str | None = None) -> None:
        self._store.save_links([self._failed_link(write, code, message)])
        self._report(RecordOutcome(entity=write.entity, local_id=write.local_id,
                                   action=Action.FAIL, reason=code, message=message,
                                   qbo_id=write.qbo_id, intuit_tid=intuit_tid))

    def _unconfirmed(self, write: PlannedWrite, error: QBOError) -> None:
        # The link stays pending: the next run asks QBO, by requestid, what happened.
        self._report(RecordOutcome(
            entity=write.entity, local_id=write.local_id, action=Action.FAIL,
            reason="write_unconfirmed",
            message=f"the batch failed as a whole ({type(error).__name__}: {error.message}); "
                    "the next run confirms it without writing twice",
            qbo_id=write.qbo_id, intuit_tid=error.intuit_tid,
        ))

    # -- follow-ups --------------------------------------------------------------------

    def _refresh_tokens(self, writes: Sequence[PlannedWrite]) -> list[PlannedWrite]:
        current = read_by_ids(self._client, self._mapper.entity,
                              [w.qbo_id for w in writes if w.qbo_id])
        again: list[PlannedWrite] = []
        for w in writes:
            obj = current.get(w.qbo_id or "")
            if obj is None:
                self._fail(w, "not_found", f"{w.entity} {w.qbo_id} is no longer in QBO "
                           "(deleted there); unlink it to create it again")
                continue
            token = obj.sync_token
            again.append(attrs.evolve(w, sync_token=token,
                                      payload=attrs.evolve(w.payload, sync_token=token)))
        return again

    def _resolve_duplicates(
        self, items: Sequence[tuple[PlannedWrite, DuplicateNameError]]
    ) -> list[PlannedWrite]:
        prop, attr = NAME_PROPERTY[self._mapper.entity]
        names = sorted({getattr(w.payload, attr) for w, _ in items if getattr(w.payload, attr)})
        found: list[Any] = []
        for start in range(0, len(names), IDS_PER_QUERY):
            query = Query(self._mapper.entity).where_in(prop, names[start : start + IDS_PER_QUERY])
            found.extend(self._client.query(query.include_inactive()))
        taken = self._store.get_links_by_qbo_ids(self._realm, self._mapper.entity,
                                                 [str(c.id) for c in found])
        again: list[PlannedWrite] = []
        claimed: set[str] = set()
        for write, error in items:
            keys = set(self._mapper.match_keys(write.record))
            twins = [c for c in found if c.id not in taken and c.id not in claimed
                     and keys & set(self._mapper.qbo_match_keys(c))]
            if len(twins) == 1:
                twin = twins[0]
                claimed.add(twin.id)
                payload = attrs.evolve(write.payload, id=twin.id, sync_token=twin.sync_token)
                again.append(attrs.evolve(
                    write, action=Action.UPDATE, payload=payload, qbo_id=twin.id,
                    sync_token=twin.sync_token, reason="duplicate_name_linked",
                    message=f"QBO already had {getattr(write.payload, attr)!r} (inactive or "
                            f"unmatched); linked to {twin.id} and updated",
                ))
                continue
            name = getattr(write.payload, attr)
            self._fail(write, "duplicate_name",
                       f"QBO already uses the name {name!r} (a vendor, an employee, or a "
                       f"{write.entity.lower()} another record is linked to); rename it in the "
                       "product or link it by hand", error.intuit_tid)
        return again


def _failure(write: PlannedWrite, error: QBOError) -> RecordOutcome:
    code = error.code or type(error).__name__
    where = f" (field {error.element})" if error.element else ""
    detail = f": {error.detail}" if error.detail and error.detail != error.message else ""
    return RecordOutcome(
        entity=write.entity, local_id=write.local_id, action=Action.FAIL, reason=code,
        message=f"{error.message}{where}{detail}", qbo_id=write.qbo_id,
        intuit_tid=error.intuit_tid,
    )
