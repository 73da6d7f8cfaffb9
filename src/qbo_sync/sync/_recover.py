"""Resolving writes whose outcome a crash, a timeout or a dropped answer left unknown.

Every pending link names the batch ``requestid`` and its own ``bId``
(:mod:`qbo_sync.sync._keys`). Recovery re-sends each such batch under the same
``requestid`` with a harmless query in every member's ``bId``:

- if QBO had processed the batch, it does not run it again but answers with
  its first response: each member gets the entity of its original write,
  exactly as if the answer had arrived the first time (a member QBO refused,
  e.g. with 5010 or 6240, wrote nothing: it is planned again in the same run,
  which reports it once and runs the follow-up the interruption cut off);
- if QBO never received it, the queries run and answer ``QueryResponse``:
  nothing was written, so the member goes back to be planned again.

Either way nothing is written twice. A probe that fails as a whole (QBO is
down) leaves the links pending for the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from qbo_sync.client import BatchOperation, Deletion, QBOClient, Query
from qbo_sync.errors import AuthError, QBOError
from qbo_sync.storage import EntityLink, LinkStatus, LinkStore
from qbo_sync.sync._keys import split_pending_id
from qbo_sync.sync._links import failed_link, synced_link
from qbo_sync.sync._report import Action, RecordOutcome

__all__ = ["NEEDS_REVIEW", "recover_pending"]


def _action(link: EntityLink, entity: Any) -> Action:
    if isinstance(entity, Deletion):
        return Action.DELETE
    if link.qbo_id is None:
        return Action.CREATE
    return Action.UPDATE


def recover_pending(
    client: QBOClient,
    store: LinkStore,
    realm_id: str,
    *,
    now: Callable[[], dt.datetime],
    report: Callable[[RecordOutcome], None],
    entities: set[str] | None = None,
    replay_window: dt.timedelta | None = None,
    unmatchable: frozenset[str] = frozenset(),
) -> set[tuple[str, str]]:
    """Resolve every pending link of ``realm_id`` (of ``entities``, if given).

    How long QBO remembers a ``requestid`` is not documented (facts 4.2,
    UNCERTAIN). A probe that finds nothing for a create older than
    ``replay_window`` may mean QBO forgot, not that the write never arrived.
    Such a record of an ``unmatchable`` entity (no match keys: payments) is
    held with reason ``needs_review`` instead of being created again; one of
    another entity is planned again, and matching finds it if it exists.

    Returns:
        The (entity, local id) pairs whose earlier write turned out to be done.

    Raises:
        AuthError: The realm needs reauthorisation; nothing more can be learnt.
    """
    groups: dict[str, list[tuple[EntityLink, str]]] = {}
    for link in store.list_links(realm_id, status=LinkStatus.PENDING):
        if entities is not None and link.entity_type not in entities:
            continue
        rid, bid = split_pending_id(link.pending_request_id or "")
        if not rid or bid is None:
            # Not written by the engine (or corrupted): nothing to ask QBO with.
            store.save_links([failed_link(
                realm_id, link.entity_type, link.local_id, link, code="write_unconfirmed",
                message="a write without a recorded batch id was left pending", now=now(),
            )])
            continue
        groups.setdefault(rid, []).append((link, bid))
    done: set[tuple[str, str]] = set()
    for rid, members in sorted(groups.items()):
        ops = [
            BatchOperation.select(
                Query(link.entity_type).where_eq("Id", "0"),
                key=(link.entity_type, link.local_id), bid=bid,
            )
            for link, bid in members
        ]
        try:
            results = client.batch(ops, request_id=rid)
        except AuthError:
            raise
        except QBOError:
            continue  # QBO unreachable: the links stay pending for the next run
        links: list[EntityLink] = []
        for link, _bid in members:
            result = results[(link.entity_type, link.local_id)]
            stamp = now()
            if result.items is not None:
                # The probe ran: the original batch never reached QBO.
                stale = (
                    replay_window is not None and link.qbo_id is None
                    and link.entity_type in unmatchable and link.updated_at is not None
                    and stamp - link.updated_at > replay_window
                )
                links.append(_held(link, stamp) if stale else _unsent(link, stamp))
            elif result.error is not None:
                # The write was refused, so nothing was written: like an unsent
                # write, the record is planned again (and reported once) in this
                # run; its 5010/6240 follow-ups, which the crash cut off, run then.
                err = result.error
                links.append(failed_link(realm_id, link.entity_type, link.local_id, link,
                                         code=err.code or type(err).__name__,
                                         message=f"recovered: {err.message}", now=stamp))
            else:
                entity = result.entity
                qbo_id = getattr(entity, "id", None) or link.qbo_id
                token = None if isinstance(entity, Deletion) else entity.sync_token
                links.append(synced_link(
                    realm_id, link.entity_type, link.local_id, qbo_id=qbo_id,
                    sync_token=token or link.sync_token, fingerprint=link.pending_fingerprint,
                    now=stamp,
                ))
                done.add((link.entity_type, link.local_id))
                report(RecordOutcome(
                    entity=link.entity_type, local_id=link.local_id,
                    action=_action(link, entity), reason="recovered",
                    message="an interrupted write was confirmed by replaying its requestid",
                    qbo_id=qbo_id, intuit_tid=result.intuit_tid,
                ))
        store.save_links(links)
    return done


#: The link code of a create that may or may not be in QBO and cannot be matched.
NEEDS_REVIEW = "needs_review"


def _held(link: EntityLink, now: dt.datetime) -> EntityLink:
    return failed_link(
        link.realm_id, link.entity_type, link.local_id, link, code=NEEDS_REVIEW,
        message="an interrupted create is older than QBO's requestid memory may be, and "
                "it has no key to match by: check QBO, then engine.link() it to the object "
                "there or engine.unlink() it to create it again",
        now=now,
    )


def _unsent(link: EntityLink, now: dt.datetime) -> EntityLink:
    if link.qbo_id is None:
        return failed_link(link.realm_id, link.entity_type, link.local_id, link,
                           code="not_sent", message="the write never reached QBO; sent again",
                           now=now)
    return synced_link(link.realm_id, link.entity_type, link.local_id, qbo_id=link.qbo_id,
                       sync_token=link.sync_token, fingerprint=link.fingerprint, now=now)
