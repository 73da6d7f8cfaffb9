"""health_for_realm and dashboard_for_realm read a MemoryStore correctly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from qbo_sync.auth import compute_connection_info
from qbo_sync.health import (
    ConnectionState,
    Dashboard,
    DashboardSource,
    EntityFigures,
    FailureGroup,
    HealthPolicy,
    HealthSource,
    HealthTier,
    dashboard_for_realm,
    failure_groups,
    health_for_realm,
    health_inputs_for_realm,
)
from qbo_sync.storage import (
    Connection,
    ConnectionStatus,
    Cursor,
    EntityCounts,
    EntityLink,
    EntitySettings,
    MemoryStore,
    RunRecord,
    RunStatus,
    Settings,
    TokenSet,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
REALM = "9130350000000001"


def make_run(
    run_id: str,
    *,
    hours_ago: float,
    status: str = "success",
    counts: dict[str, EntityCounts] | None = None,
    requests: int = 0,
    throttled: int = 0,
    realm_id: str = REALM,
) -> RunRecord:
    """A run that started ``hours_ago`` before NOW and took a minute."""
    started = NOW - timedelta(hours=hours_ago)
    return RunRecord(
        run_id=run_id,
        realm_id=realm_id,
        kind="full",
        direction="push",
        started_at=started,
        finished_at=None if status == "running" else started + timedelta(minutes=1),
        status=status,
        counts=counts or {},
        requests=requests,
        throttled_requests=throttled,
    )


def make_tokens(*, refresh_days: float = 90, hard_days: float | None = 1500) -> TokenSet:
    """Tokens whose refresh token expires the given number of days after NOW."""
    return TokenSet(
        access_token="access-secret",
        refresh_token="refresh-secret",
        access_expires_at=NOW + timedelta(hours=1),
        refresh_expires_at=NOW + timedelta(days=refresh_days),
        refresh_hard_expires_at=None if hard_days is None else NOW + timedelta(days=hard_days),
    )


def link(entity: str, local_id: str, status: str = "synced", **kwargs: object) -> EntityLink:
    """A link of REALM."""
    return EntityLink(
        realm_id=REALM,
        entity_type=entity,
        local_id=local_id,
        status=status,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def store() -> MemoryStore:
    """A connected realm with healthy tokens and no history."""
    memory = MemoryStore(clock=lambda: NOW)
    memory.save_connection(
        Connection(realm_id=REALM, environment="sandbox", company_name="Craig's Design")
    )
    memory.save_tokens(REALM, make_tokens())
    return memory


def test_memory_store_satisfies_the_read_protocols(store: MemoryStore) -> None:
    """MemoryStore is a HealthSource and a DashboardSource."""
    assert isinstance(store, HealthSource)
    assert isinstance(store, DashboardSource)


def test_healthy_realm_is_excellent(store: MemoryStore) -> None:
    """A realm synced an hour ago without errors scores 100."""
    store.save_run(make_run("r1", hours_ago=1, counts={"Invoice": EntityCounts(created=5)}))
    report = health_for_realm(store, REALM, now=NOW)
    assert (report.score, report.tier, report.reasons) == (100, HealthTier.EXCELLENT, ())


def test_unknown_realm_is_disconnected(store: MemoryStore) -> None:
    """A realm the store has never seen is Disconnected."""
    report = health_for_realm(store, "unknown-realm", now=NOW)
    assert report.tier is HealthTier.DISCONNECTED
    assert report.actions[0] == "Reconnect QuickBooks"


@pytest.mark.parametrize(
    ("status", "tier"),
    [
        (ConnectionStatus.DISCONNECTED, HealthTier.DISCONNECTED),
        (ConnectionStatus.NEEDS_REAUTHORIZATION, HealthTier.CRITICAL),
    ],
)
def test_stored_connection_status(
    store: MemoryStore, status: ConnectionStatus, tier: HealthTier
) -> None:
    """The stored connection status drives the tier."""
    store.save_run(make_run("r1", hours_ago=1))
    store.save_connection(Connection(realm_id=REALM, environment="sandbox", status=status))
    assert health_for_realm(store, REALM, now=NOW).tier is tier


def test_missing_tokens_are_disconnected(store: MemoryStore) -> None:
    """Connected on paper but without tokens is Disconnected, as OAuthManager says."""
    store.delete_tokens(REALM)
    inputs = health_inputs_for_realm(store, REALM, now=NOW)
    assert inputs.connection is ConnectionState.DISCONNECTED
    assert inputs.refresh_expires_in_days is None
    report = health_for_realm(store, REALM, now=NOW)
    assert report.tier is HealthTier.DISCONNECTED
    assert report.actions[0] == "Reconnect QuickBooks"


@pytest.mark.parametrize(
    ("refresh_days", "hard_days", "state"),
    [
        (90, 1500, ConnectionState.CONNECTED),
        (10, 1500, ConnectionState.EXPIRING_SOON),
        (90, 30, ConnectionState.EXPIRING_SOON),
        (-1, 1500, ConnectionState.NEEDS_REAUTHORIZATION),
        (90, None, ConnectionState.CONNECTED),
    ],
)
def test_health_and_oauth_agree_on_the_state(
    store: MemoryStore, refresh_days: float, hard_days: float | None, state: ConnectionState
) -> None:
    """The health input and OAuth's connection info come from one rule and one enum."""
    store.save_tokens(REALM, make_tokens(refresh_days=refresh_days, hard_days=hard_days))
    inputs = health_inputs_for_realm(store, REALM, now=NOW)
    info = compute_connection_info(
        REALM, store.get_connection(REALM), store.get_tokens(REALM), now=NOW
    )
    assert inputs.connection is info.state is state


def test_policy_windows_decide_expiring_soon(store: MemoryStore) -> None:
    """HealthPolicy's warning days are the windows of the EXPIRING_SOON state."""
    store.save_tokens(REALM, make_tokens(refresh_days=20))
    assert health_inputs_for_realm(store, REALM, now=NOW).connection is ConnectionState.CONNECTED
    wide = HealthPolicy(refresh_warn_days=30)
    inputs = health_inputs_for_realm(store, REALM, now=NOW, policy=wide)
    assert inputs.connection is ConnectionState.EXPIRING_SOON


def test_token_expiries_are_read_as_days(store: MemoryStore) -> None:
    """Refresh and hard expiries become days left; an expired one is Disconnected."""
    store.save_tokens(REALM, make_tokens(refresh_days=3.5, hard_days=40))
    inputs = health_inputs_for_realm(store, REALM, now=NOW)
    assert inputs.refresh_expires_in_days == pytest.approx(3.5)
    assert inputs.hard_expires_in_days == pytest.approx(40)
    store.save_tokens(REALM, make_tokens(refresh_days=-1))
    assert health_for_realm(store, REALM, now=NOW).tier is HealthTier.DISCONNECTED


def test_runs_give_rates_streak_and_last_success(store: MemoryStore) -> None:
    """Error rate, throttle share, failure streak and last success come from recent runs."""
    store.save_run(
        make_run(
            "old-ok",
            hours_ago=50,
            counts={"Invoice": EntityCounts(created=6, failed=2, skipped=10)},
            requests=80,
            throttled=4,
        )
    )
    store.save_run(make_run("fail-1", hours_ago=20, status="failed", requests=15, throttled=1))
    store.save_run(make_run("fail-2", hours_ago=10, status="failed", requests=5))
    store.save_run(make_run("now", hours_ago=0.1, status="running"))
    inputs = health_inputs_for_realm(store, REALM, now=NOW)
    assert inputs.consecutive_failures == 2
    assert inputs.error_rate == pytest.approx(2 / 8)
    assert inputs.throttled_share == pytest.approx(5 / 100)
    assert inputs.last_success_at == NOW - timedelta(hours=50) + timedelta(minutes=1)
    codes = {r.code for r in health_for_realm(store, REALM, now=NOW).reasons}
    assert {"stale", "error_rate", "consecutive_failures", "throttled"} <= codes


def test_last_success_found_beyond_the_recent_window(store: MemoryStore) -> None:
    """If every recent run failed, the last success is looked up further back."""
    store.save_run(make_run("ok", hours_ago=100))
    for i in range(5):
        store.save_run(make_run(f"f{i}", hours_ago=10 - i, status="failed"))
    inputs = health_inputs_for_realm(store, REALM, now=NOW, recent_runs=3)
    assert inputs.consecutive_failures == 3
    assert inputs.last_success_at == NOW - timedelta(hours=100) + timedelta(minutes=1)


def test_no_runs_means_never_synced(store: MemoryStore) -> None:
    """Without runs the report asks for a first sync."""
    assert health_for_realm(store, REALM, now=NOW).actions == ["Run a first sync"]


def test_failed_links_grouped_into_actions(store: MemoryStore) -> None:
    """Failing links become per-entity, per-error groups and 'Fix ...' actions."""
    store.save_run(make_run("r1", hours_ago=1))
    msg = "missing income account"
    store.save_links(
        [
            link("Invoice", "1", "failed", last_error_code="6000", last_error=msg),
            link("Invoice", "2", "failed", last_error_code="6000", last_error=f"{msg} (line 2)"),
            link("Invoice", "3", "failed", last_error_code="6000", last_error=msg),
            link("Invoice", "4", "failed", last_error=None, last_error_code=None),
            link("Customer", "c1", "failed", last_error_code="6240", last_error="duplicate name"),
            link("Customer", "c2"),
        ]
    )
    groups = sorted(failure_groups(store, REALM), key=lambda g: (g.entity, -g.count))
    assert groups == [
        FailureGroup(entity="Customer", count=1, reason="duplicate name", code="6240"),
        FailureGroup(entity="Invoice", count=3, reason=msg, code="6000"),
        FailureGroup(entity="Invoice", count=1, reason="unknown error", code=None),
    ]
    report = health_for_realm(store, REALM, now=NOW)
    assert f"Fix 3 invoices that failed: {msg}" in report.actions
    assert "Fix 1 customer that failed: duplicate name" in report.actions
    assert report.score == 95


def test_webhook_lag_is_passed_through(store: MemoryStore) -> None:
    """Storage holds no webhook lag; a measured one is taken into account."""
    store.save_run(make_run("r1", hours_ago=1))
    report = health_for_realm(store, REALM, now=NOW, webhook_lag=timedelta(hours=3))
    assert [r.code for r in report.reasons] == ["webhook_lag"]


def test_dashboard_figures(store: MemoryStore) -> None:
    """Per-entity counts, last sync times and 24-hour activity come from storage."""
    store.save_links(
        [
            link("Invoice", "1"),
            link("Invoice", "2"),
            link("Invoice", "3", "pending", pending_request_id="req-3"),
            link("Invoice", "4", "failed", last_error="missing income account"),
            link("Customer", "c1"),
        ]
    )
    store.save_run(
        make_run("yesterday", hours_ago=30, counts={"Customer": EntityCounts(created=1)})
    )
    store.save_run(
        make_run(
            "morning",
            hours_ago=5,
            status="partial",
            counts={"Invoice": EntityCounts(created=2, updated=1, failed=1, skipped=4)},
        )
    )
    store.save_run(
        make_run("broken", hours_ago=2, status="failed", counts={"Payment": EntityCounts(failed=2)})
    )
    store.save_cursor(
        Cursor(
            realm_id=REALM,
            entity_type="Item",
            changed_since=NOW,
            updated_at=NOW - timedelta(hours=1),
        )
    )
    store.save_settings(
        REALM,
        Settings(
            entities={"CreditMemo": EntitySettings(), "Estimate": EntitySettings(enabled=False)}
        ),
    )
    board = dashboard_for_realm(store, REALM, now=NOW, entities=["Vendor"])
    assert isinstance(board, Dashboard)
    assert [row.entity for row in board.entities] == [
        "CreditMemo", "Customer", "Invoice", "Item", "Payment", "Vendor",
    ]  # fmt: skip
    assert board.entity("Invoice") == EntityFigures(
        entity="Invoice",
        synced=2,
        pending=1,
        failed=1,
        last_synced_at=NOW - timedelta(hours=5) + timedelta(minutes=1),
    )
    assert board.entity("Invoice").total == 4
    assert board.entity("Customer").last_synced_at == NOW - timedelta(hours=30) + timedelta(
        minutes=1
    )
    assert board.entity("Item").last_synced_at == NOW - timedelta(hours=1)
    assert board.entity("Payment").last_synced_at is None
    assert board.entity("Nothing") == EntityFigures(entity="Nothing")
    recent = board.recent
    assert (recent.runs, recent.failed_runs, recent.records, recent.failures, recent.skipped) == (
        2, 1, 3, 3, 4,
    )  # fmt: skip
    assert recent.since == NOW - timedelta(hours=24)
    assert (board.last_run_at, board.last_run_status) == (
        NOW - timedelta(hours=2),
        RunStatus.FAILED,
    )
    assert (board.company_name, board.connection_status) == (
        "Craig's Design",
        ConnectionStatus.CONNECTED,
    )
    assert board.computed_at == NOW


def test_dashboard_of_unknown_realm_is_empty(store: MemoryStore) -> None:
    """An unknown realm gives an empty, well-formed dashboard."""
    board = dashboard_for_realm(store, "nobody", now=NOW)
    assert (board.entities, board.connection_status, board.last_run_at) == ((), None, None)
    assert board.recent.runs == 0


def test_other_realms_are_not_counted(store: MemoryStore) -> None:
    """Runs and links of another realm never leak into a realm's figures."""
    store.save_run(make_run("other", hours_ago=1, status="failed", realm_id="other-realm"))
    store.save_links(
        [EntityLink(realm_id="other-realm", entity_type="Invoice", local_id="1", status="failed")]
    )
    assert health_inputs_for_realm(store, REALM, now=NOW).consecutive_failures == 0
    assert dashboard_for_realm(store, REALM, now=NOW).entities == ()
