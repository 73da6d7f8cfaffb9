"""Which realms are due for work: the pure half of a periodic scheduler.

A worker deployment (``examples/rq_worker``, or Celery beat, or cron) asks
:func:`due_realms` every minute or so and enqueues one job per realm it
names. The decision reads only what the store already keeps:

- **connections** (:meth:`~qbo_sync.storage.ConnectionStore.list_connections`):
  only ``connected`` realms get work; a realm that needs reauthorization or
  was disconnected waits for its user;
- **run history** (:meth:`~qbo_sync.storage.RunStore.list_runs`): a realm is
  due for sync when it never finished a run, or its last finished run
  (``success`` or ``partial``) started ``sync_every`` ago or more; a run still
  ``running`` and younger than ``stale_run_after`` makes it busy (not due); a
  run that ``failed`` less than ``retry_after`` ago holds it back so a realm
  QBO keeps refusing is not hammered every tick;
- **tokens** (:meth:`~qbo_sync.storage.TokenStore.get_tokens`): a realm is due
  for a keep-alive refresh when its tokens were last saved ``keepalive_after``
  ago or more (a refresh token unused for about 100 days lapses), or its
  rolling expiry is within ``rolling_warning`` (the rule of
  :meth:`qbo_sync.OAuthManager.keep_alive`).

Nothing is written, so two schedulers asking at once get the same answer;
the jobs they enqueue are made safe by the run lock and job ids, not here.
The scheduler's store must be able to read tokens (opened with the token
encryption key when one is set).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

import attrs

from qbo_sync.errors import ConfigurationError
from qbo_sync.storage import (
    ConnectionStatus,
    ConnectionStore,
    RunDirection,
    RunRecord,
    RunStatus,
    RunStore,
    TokenStore,
)
from qbo_sync.storage._state import ROLLING_WARNING, time_left

__all__ = ["DuePlan", "DueRealm", "ScheduleStore", "due_realms"]

_FINISHED = (RunStatus.SUCCESS, RunStatus.PARTIAL)


class ScheduleStore(ConnectionStore, RunStore, TokenStore, Protocol):
    """What :func:`due_realms` reads from storage (every bundled store has it)."""


@attrs.frozen(kw_only=True)
class DueRealm:
    """One realm due for one kind of work, and why.

    Attributes:
        realm_id: The QBO company.
        reason: ``never_synced``, ``interval_elapsed`` or ``failed_before`` (sync);
            ``never_refreshed``, ``idle`` or ``expiring`` (keep-alive refresh).
        last: The time the decision was measured from: the last finished run's
            start (sync), the tokens' last save (refresh); ``None`` when never.
    """

    realm_id: str
    reason: str
    last: dt.datetime | None = None


@attrs.frozen(kw_only=True)
class DuePlan:
    """What :func:`due_realms` found.

    Attributes:
        sync: Realms due for a sync run, longest-waiting first.
        refresh: Realms due for a keep-alive token refresh, oldest first.
        busy: Realms left out of ``sync`` because a fresh run is ``running``.
        inactive: Realms whose connection is not ``connected`` (no work).
        now: The time the plan was made for.
    """

    sync: tuple[DueRealm, ...] = ()
    refresh: tuple[DueRealm, ...] = ()
    busy: tuple[str, ...] = ()
    inactive: tuple[str, ...] = ()
    now: dt.datetime | None = None

    @property
    def sync_ids(self) -> list[str]:
        """The realm ids of :attr:`sync`, in order."""
        return [d.realm_id for d in self.sync]

    @property
    def refresh_ids(self) -> list[str]:
        """The realm ids of :attr:`refresh`, in order."""
        return [d.realm_id for d in self.refresh]


def _oldest_first(due: Iterable[DueRealm]) -> tuple[DueRealm, ...]:
    never = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return tuple(sorted(due, key=lambda d: (d.last or never, d.realm_id)))


def _sync_decision(
    runs: list[RunRecord], *, now: dt.datetime, sync_every: dt.timedelta,
    stale_run_after: dt.timedelta, retry_after: dt.timedelta,
) -> DueRealm | str | None:
    """A :class:`DueRealm` (without id) when due, ``"busy"`` when running, else ``None``."""
    if any(r.status is RunStatus.RUNNING and now - r.started_at < stale_run_after for r in runs):
        return "busy"
    finished = next((r for r in runs if r.status in _FINISHED), None)
    if finished is not None and now - finished.started_at < sync_every:
        return None
    failed = next((r for r in runs if r.status is RunStatus.FAILED), None)
    if failed is not None and (finished is None or failed.started_at > finished.started_at):
        if now - (failed.finished_at or failed.started_at) < retry_after:
            return None
        return DueRealm(realm_id="", reason="failed_before",
                        last=finished.started_at if finished else None)
    if finished is None:
        # None finished among the last ``history`` runs: due, as if never.
        return DueRealm(realm_id="", reason="never_synced")
    return DueRealm(realm_id="", reason="interval_elapsed", last=finished.started_at)


def due_realms(
    store: ScheduleStore,
    *,
    now: dt.datetime,
    sync_every: dt.timedelta = dt.timedelta(minutes=15),
    keepalive_after: dt.timedelta = dt.timedelta(days=30),
    rolling_warning: dt.timedelta = ROLLING_WARNING,
    stale_run_after: dt.timedelta = dt.timedelta(hours=2),
    retry_after: dt.timedelta = dt.timedelta(minutes=5),
    direction: RunDirection | None = None,
    history: int = 20,
) -> DuePlan:
    """The connected realms due for a sync run and for a keep-alive refresh.

    Reads connections, each realm's latest runs and its tokens; writes nothing.

    Args:
        store: Connections, run history and tokens.
        now: The current aware time.
        sync_every: A realm whose last finished run started this long ago
            (or that never finished one) is due for sync.
        keepalive_after: Tokens last saved this long ago are due for a refresh.
        rolling_warning: Tokens whose rolling expiry is this close are due too.
        stale_run_after: A ``running`` run younger than this makes the realm
            busy; an older one is a run that died (the engine marks it failed
            when it next runs), so the realm is due. Match the engine's option.
        retry_after: After a failed run, wait this long before it is due again.
        direction: Only runs of this direction count (``None``: any).
        history: How many of a realm's latest runs are read.

    Returns:
        The plan: ``sync`` and ``refresh`` lists (with reasons), ``busy`` and
        ``inactive`` realm ids.

    Raises:
        ValueError: ``now`` is naive or ``history`` < 1.
        EncryptionKeyError: Tokens are encrypted and the store has no key.
    """
    if now.tzinfo is None:
        raise ConfigurationError("due_realms: now must be an aware datetime")
    if history < 1:
        raise ConfigurationError(f"due_realms: history must be >= 1, got {history}")
    sync: list[DueRealm] = []
    refresh: list[DueRealm] = []
    busy: list[str] = []
    inactive: list[str] = []
    for connection in store.list_connections():
        realm_id = connection.realm_id
        if connection.status is not ConnectionStatus.CONNECTED:
            inactive.append(realm_id)
            continue
        runs = store.list_runs(realm_id=realm_id, limit=history, include_failures=False)
        if direction is not None:
            runs = [r for r in runs if r.direction is direction]
        decision = _sync_decision(runs, now=now, sync_every=sync_every,
                                  stale_run_after=stale_run_after, retry_after=retry_after)
        if decision == "busy":
            busy.append(realm_id)
        elif isinstance(decision, DueRealm):
            sync.append(attrs.evolve(decision, realm_id=realm_id))
        tokens = store.get_tokens(realm_id)
        if tokens is None:
            continue
        last = tokens.updated_at
        if last is None:
            refresh.append(DueRealm(realm_id=realm_id, reason="never_refreshed"))
        elif now - last >= keepalive_after:
            refresh.append(DueRealm(realm_id=realm_id, reason="idle", last=last))
        elif time_left(tokens, now)[0] <= rolling_warning:
            refresh.append(DueRealm(realm_id=realm_id, reason="expiring", last=last))
    return DuePlan(sync=_oldest_first(sync), refresh=_oldest_first(refresh),
                   busy=tuple(busy), inactive=tuple(inactive), now=now)
