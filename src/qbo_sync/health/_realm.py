"""Health of one realm, from what storage remembers (read only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from qbo_sync.health._policy import HealthPolicy
from qbo_sync.health._score import FailureGroup, HealthInputs, HealthReport, compute_health
from qbo_sync.storage import (
    ConnectionStore,
    EntityLink,
    LinkStatus,
    LinkStore,
    RunRecord,
    RunStatus,
    RunStore,
    TokenStore,
)
from qbo_sync.storage._state import classify_connection, time_left

__all__ = ["HealthSource", "failure_groups", "health_for_realm", "health_inputs_for_realm"]

_DAY = timedelta(days=1)
#: Run outcomes that count as a sync that reached QuickBooks (partial included).
COMPLETED = (RunStatus.SUCCESS, RunStatus.PARTIAL)
_LOOKBACK_RUNS = 500


@runtime_checkable
class HealthSource(ConnectionStore, TokenStore, RunStore, LinkStore, Protocol):
    """The part of :class:`qbo_sync.storage.Store` the health calculator reads."""


def health_inputs_for_realm(
    store: HealthSource,
    realm_id: str,
    *,
    now: datetime | None = None,
    policy: HealthPolicy | None = None,
    recent_runs: int = 20,
    max_failed_links: int = 1000,
    webhook_lag: timedelta | None = None,
) -> HealthInputs:
    """Gather the health facts of one realm from storage.

    Args:
        store: Any store (only read).
        realm_id: The QBO company.
        now: The current time (aware; default: now, UTC).
        policy: Its ``refresh_warn_days`` and ``hard_warn_days`` decide when
            the connection is ``EXPIRING_SOON`` (default :class:`HealthPolicy`).
        recent_runs: How many of the newest finished runs the error rate,
            throttle share and consecutive failures are computed over.
        max_failed_links: How many failing links are read to group failures.
        webhook_lag: Measured webhook lag, if the product measures it
            (storage does not hold it).

    Returns:
        The inputs :func:`compute_health` takes.

    Raises:
        StorageError: The store failed (including tokens that cannot be
            decrypted).
    """
    now = now if now is not None else datetime.now(timezone.utc)
    policy = policy if policy is not None else HealthPolicy()
    tokens = store.get_tokens(realm_id)
    # The same rules as OAuthManager.connection_info, with the policy's windows.
    state, _ = classify_connection(
        store.get_connection(realm_id),
        tokens,
        now=now,
        rolling_warning=policy.refresh_warn_days * _DAY,
        hard_warning=policy.hard_warn_days * _DAY,
    )
    refresh_days = hard_days = None
    if tokens is not None:
        rolling, hard = time_left(tokens, now)
        refresh_days = rolling / _DAY
        hard_days = None if hard is None else hard / _DAY
    # Over-fetch a little: runs still RUNNING are skipped.
    runs = [
        run
        for run in store.list_runs(realm_id=realm_id, limit=recent_runs + 5, include_failures=False)
        if run.status is not RunStatus.RUNNING
    ][:recent_runs]
    return HealthInputs(
        connection=state,
        refresh_expires_in_days=refresh_days,
        hard_expires_in_days=hard_days,
        last_success_at=_last_success(store, realm_id, runs),
        error_rate=_error_rate(runs),
        consecutive_failures=_consecutive_failures(runs),
        throttled_share=_throttled_share(runs),
        webhook_lag=webhook_lag,
        failures=failure_groups(store, realm_id, limit=max_failed_links),
    )


def health_for_realm(
    store: HealthSource,
    realm_id: str,
    *,
    now: datetime | None = None,
    policy: HealthPolicy | None = None,
    recent_runs: int = 20,
    webhook_lag: timedelta | None = None,
) -> HealthReport:
    """Compute the health report of one realm from storage.

    Reads the connection, the tokens' expiries, the recent runs and the
    failing links, then calls :func:`compute_health`.

    Args:
        store: Any store (only read).
        realm_id: The QBO company.
        now: The current time (aware; default: now, UTC).
        policy: Weights and thresholds (default :class:`HealthPolicy`).
        recent_runs: How many newest finished runs to judge by.
        webhook_lag: Measured webhook lag, if known.

    Returns:
        The report. A realm the store does not know is Disconnected.

    Raises:
        StorageError: The store failed.
    """
    now = now if now is not None else datetime.now(timezone.utc)
    inputs = health_inputs_for_realm(
        store, realm_id, now=now, policy=policy, recent_runs=recent_runs, webhook_lag=webhook_lag
    )
    return compute_health(inputs, now=now, policy=policy)


def failure_groups(store: LinkStore, realm_id: str, *, limit: int = 1000) -> list[FailureGroup]:
    """Group a realm's failing links by entity type and error.

    Links are grouped by ``last_error_code`` when set (messages often name
    the record, codes do not), else by message; the group's reason is the
    first message seen. At most ``limit`` failing links are read.
    """
    counts: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], EntityLink] = {}
    for link in store.list_links(realm_id, status=LinkStatus.FAILED, limit=limit):
        key = (link.entity_type, link.last_error_code or link.last_error or "")
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, link)
    return [
        FailureGroup(
            entity=key[0],
            count=count,
            reason=first[key].last_error or first[key].last_error_code or "unknown error",
            code=first[key].last_error_code,
        )
        for key, count in counts.items()
    ]


def _last_success(store: RunStore, realm_id: str, runs: Sequence[RunRecord]) -> datetime | None:
    at = _newest_completion(runs)
    if at is None and runs:
        # Nothing completed recently: look further back once, with a bounded read.
        older = store.list_runs(realm_id=realm_id, limit=_LOOKBACK_RUNS, include_failures=False)
        at = _newest_completion(older)
    return at


def _newest_completion(runs: Sequence[RunRecord]) -> datetime | None:
    """When the first successful or partial run of ``runs`` (newest first) ended."""
    return next((completed_at(run) for run in runs if run.status in COMPLETED), None)


def completed_at(run: RunRecord) -> datetime:
    """When ``run`` ended (its start if no end was recorded)."""
    return run.finished_at or run.started_at


def _error_rate(runs: Sequence[RunRecord]) -> float:
    failed = processed = 0
    for run in runs:
        for counts in run.counts.values():
            failed += counts.failed
            processed += counts.created + counts.updated + counts.failed
    return failed / processed if processed else 0.0


def _consecutive_failures(runs: Sequence[RunRecord]) -> int:
    streak = 0
    for run in runs:
        if run.status is not RunStatus.FAILED:
            break
        streak += 1
    return streak


def _throttled_share(runs: Sequence[RunRecord]) -> float:
    requests = sum(run.requests for run in runs)
    throttled = sum(run.throttled_requests for run in runs)
    return min(1.0, throttled / requests) if requests else 0.0
