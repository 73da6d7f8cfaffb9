"""``due_realms``: which realms a periodic scheduler enqueues, read from a real SQLite file."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qbo_sync.errors import ConfigurationError
from qbo_sync.storage import (
    Connection,
    ConnectionStatus,
    RunDirection,
    RunRecord,
    RunStatus,
    SQLiteStore,
    TokenCipher,
    TokenSet,
)
from qbo_sync.sync import DuePlan, due_realms

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
KEY = "mJ0uYj3Ck3Q2m2cJxQ3Q9n9mP5v7o4m0b2x6yX1J3hM="


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "schedule.sqlite3", encryption=TokenCipher([KEY]))
    yield opened
    opened.close()


def _connect(store: SQLiteStore, realm: str, *, refreshed: dt.timedelta | None = None,
             rolling_left: dt.timedelta = dt.timedelta(days=90),
             status: ConnectionStatus = ConnectionStatus.CONNECTED) -> None:
    store.save_connection(Connection(realm_id=realm, environment="sandbox", status=status))
    store.save_tokens(realm, TokenSet(
        access_token=f"access-{realm}", refresh_token=f"refresh-{realm}",
        access_expires_at=NOW + dt.timedelta(minutes=30),
        refresh_expires_at=NOW + rolling_left,
        updated_at=None if refreshed is None else NOW - refreshed,
    ))


def _run(store: SQLiteStore, realm: str, ago: dt.timedelta, status: RunStatus,
         *, direction: RunDirection = RunDirection.PUSH) -> None:
    started = NOW - ago
    store.save_run(RunRecord(
        run_id=uuid.uuid4().hex, realm_id=realm, kind="full", direction=direction,
        started_at=started, status=status,
        finished_at=None if status is RunStatus.RUNNING else started + dt.timedelta(seconds=30),
    ))


def _plan(store: SQLiteStore, **options: object) -> DuePlan:
    return due_realms(store, now=NOW, sync_every=dt.timedelta(minutes=15),
                      keepalive_after=dt.timedelta(days=30), **options)  # type: ignore[arg-type]


def test_sync_due_when_never_run_or_interval_elapsed(store: SQLiteStore) -> None:
    """Never synced and synced 20 min ago are due (never first); synced 5 min ago is not."""
    for realm in ("r-never", "r-old", "r-fresh", "r-partial-old"):
        _connect(store, realm, refreshed=dt.timedelta(days=1))
    _run(store, "r-old", dt.timedelta(minutes=20), RunStatus.SUCCESS)
    _run(store, "r-fresh", dt.timedelta(minutes=5), RunStatus.SUCCESS)
    _run(store, "r-fresh", dt.timedelta(minutes=40), RunStatus.SUCCESS)
    _run(store, "r-partial-old", dt.timedelta(minutes=60), RunStatus.PARTIAL)
    plan = _plan(store)
    assert plan.sync_ids == ["r-never", "r-partial-old", "r-old"]
    reasons = {d.realm_id: (d.reason, d.last) for d in plan.sync}
    assert reasons["r-never"] == ("never_synced", None)
    assert reasons["r-old"] == ("interval_elapsed", NOW - dt.timedelta(minutes=20))
    assert plan.refresh == ()
    assert plan.busy == plan.inactive == ()


def test_fresh_running_run_makes_a_realm_busy_a_stale_one_does_not(store: SQLiteStore) -> None:
    """A run ``running`` for 10 min: busy, not due. Running for 3 h (died): due again."""
    _connect(store, "r-running", refreshed=dt.timedelta(days=1))
    _connect(store, "r-dead", refreshed=dt.timedelta(days=1))
    _run(store, "r-running", dt.timedelta(minutes=10), RunStatus.RUNNING)
    _run(store, "r-running", dt.timedelta(hours=1), RunStatus.SUCCESS)
    _run(store, "r-dead", dt.timedelta(hours=3), RunStatus.RUNNING)
    _run(store, "r-dead", dt.timedelta(hours=4), RunStatus.SUCCESS)
    plan = _plan(store)
    assert plan.busy == ("r-running",)
    assert plan.sync_ids == ["r-dead"]
    assert plan.sync[0].reason == "interval_elapsed"


def test_failed_run_holds_back_for_retry_after_then_is_due(store: SQLiteStore) -> None:
    """A run failed 2 min ago: not due (retry_after 5 min). Failed 10 min ago: due, and says so."""
    _connect(store, "r-just-failed", refreshed=dt.timedelta(days=1))
    _connect(store, "r-failed", refreshed=dt.timedelta(days=1))
    _run(store, "r-just-failed", dt.timedelta(minutes=2), RunStatus.FAILED)
    _run(store, "r-failed", dt.timedelta(minutes=10), RunStatus.FAILED)
    _run(store, "r-failed", dt.timedelta(hours=2), RunStatus.SUCCESS)
    plan = _plan(store)
    assert plan.sync_ids == ["r-failed"]
    assert plan.sync[0].reason == "failed_before"
    assert plan.sync[0].last == NOW - dt.timedelta(hours=2)
    assert _plan(store, retry_after=dt.timedelta(0)).sync_ids == ["r-just-failed", "r-failed"]


def test_only_connected_realms_get_work(store: SQLiteStore) -> None:
    """Realms needing reauthorization or disconnected are listed as inactive, never due."""
    _connect(store, "r-reauth", status=ConnectionStatus.NEEDS_REAUTHORIZATION)
    _connect(store, "r-gone", status=ConnectionStatus.DISCONNECTED)
    _connect(store, "r-ok", refreshed=dt.timedelta(days=1))
    plan = _plan(store)
    assert plan.sync_ids == ["r-ok"]
    assert sorted(plan.inactive) == ["r-gone", "r-reauth"]
    assert plan.refresh == ()


def test_keepalive_due_when_idle_or_rolling_expiry_near(store: SQLiteStore) -> None:
    """Idle 31 days, never saved with a time, or 10 days to rolling expiry: due; 2 days: not."""
    _connect(store, "r-idle", refreshed=dt.timedelta(days=31))
    _connect(store, "r-unknown", refreshed=None)
    _connect(store, "r-expiring", refreshed=dt.timedelta(days=2),
             rolling_left=dt.timedelta(days=10))
    _connect(store, "r-recent", refreshed=dt.timedelta(days=2))
    for realm in ("r-idle", "r-unknown", "r-expiring", "r-recent"):
        _run(store, realm, dt.timedelta(minutes=1), RunStatus.SUCCESS)
    plan = _plan(store)
    assert plan.sync == ()
    assert plan.refresh_ids == ["r-unknown", "r-idle", "r-expiring"]
    assert [d.reason for d in plan.refresh] == ["never_refreshed", "idle", "expiring"]
    assert plan.refresh[1].last == NOW - dt.timedelta(days=31)


def test_direction_filter_counts_only_those_runs(store: SQLiteStore) -> None:
    """A recent pull does not make a realm's push current when ``direction=PUSH``."""
    _connect(store, "r-pulled", refreshed=dt.timedelta(days=1))
    _run(store, "r-pulled", dt.timedelta(minutes=1), RunStatus.SUCCESS,
         direction=RunDirection.PULL)
    assert _plan(store).sync_ids == []
    assert _plan(store, direction=RunDirection.PUSH).sync_ids == ["r-pulled"]


def test_reads_through_a_second_handle_and_rejects_naive_now(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """Another process's handle on the file sees the same plan; a naive ``now`` is refused."""
    _connect(store, "r-1", refreshed=dt.timedelta(days=40))
    other = SQLiteStore(tmp_path / "schedule.sqlite3", encryption=TokenCipher([KEY]))
    try:
        plan = _plan(other)
    finally:
        other.close()
    assert plan.sync_ids == ["r-1"]
    assert plan.refresh_ids == ["r-1"]
    assert plan.now == NOW
    with pytest.raises(ConfigurationError, match="aware"):
        due_realms(store, now=NOW.replace(tzinfo=None))
