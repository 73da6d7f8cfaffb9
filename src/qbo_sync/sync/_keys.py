r"""Idempotency keys for writes: derived, recorded before sending, reused on recovery.

QBO's ``requestid`` belongs to one HTTP request; a batch carries one for all
its operations (at most 36 characters, facts 3.4). So:

- each write has a *record key* derived from (realm, entity, local id,
  fingerprint, action);
- a batch's ``requestid`` is derived from the run id, the batch's sequence
  number in the run and its members' record keys (``qs`` + 30 hex digits);
- before the batch is sent, every member's link records
  ``pending_request_id = "<requestid>:<bId>"``.

After a crash, a timeout or a commit-then-drop, the next run finds those
pending links and re-sends *that* ``requestid`` with the same ``bId``\\ s
(see :mod:`qbo_sync.sync._recover`): QBO answers with its first response, so
the outcome is learnt without writing anything twice. The run id is part of
the derivation so that a batch of a later run never collides with an earlier
one's (QBO would answer it with the old response).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

__all__ = ["batch_request_id", "pending_id", "record_key", "split_pending_id"]


def record_key(realm_id: str, entity: str, local_id: str, fingerprint: str, action: str) -> str:
    """The key of one write: same record, same content, same action -> same key."""
    text = "\x1f".join((realm_id, entity, local_id, fingerprint, action))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def batch_request_id(run_id: str, sequence: int, keys: Iterable[str]) -> str:
    """The ``requestid`` of one batch (32 characters, within QBO's 36)."""
    text = "\x1f".join((run_id, str(sequence), *keys))
    return "qs" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:30]


def pending_id(request_id: str, bid: str) -> str:
    """What a pending link stores: the batch ``requestid`` and the record's ``bId``."""
    return f"{request_id}:{bid}"


def split_pending_id(value: str) -> tuple[str, str | None]:
    """``(requestid, bId)`` from a stored pending id (``bId`` ``None`` for a plain id)."""
    rid, sep, bid = value.rpartition(":")
    return (rid, bid) if sep else (value, None)
