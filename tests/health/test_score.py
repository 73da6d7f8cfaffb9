"""The pure health calculator: tiers, reasons, actions and the policy table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from qbo_sync.errors import ConfigurationError
from qbo_sync.health import (
    ConnectionState,
    FailureGroup,
    HealthInputs,
    HealthPolicy,
    HealthReport,
    HealthTier,
    compute_health,
)
from qbo_sync.storage import ConnectionStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
FRESH = NOW - timedelta(hours=1)


def _health(**kwargs: object) -> HealthReport:
    kwargs.setdefault("last_success_at", FRESH)
    return compute_health(HealthInputs(**kwargs), now=NOW)  # type: ignore[arg-type]


def test_perfect_connection_is_excellent_100() -> None:
    """A connected realm synced an hour ago with no errors scores 100, Excellent, no reasons."""
    report = _health(refresh_expires_in_days=90, hard_expires_in_days=1000)
    assert (report.score, report.tier, report.reasons, report.actions) == (
        100,
        HealthTier.EXCELLENT,
        (),
        [],
    )
    assert (report.dots, report.color) == (5, "green")
    assert report.computed_at == NOW


@pytest.mark.parametrize(
    ("tier", "dots", "color", "label"),
    [
        (HealthTier.EXCELLENT, 5, "green", "Excellent"),
        (HealthTier.GOOD, 4, "blue", "Good"),
        (HealthTier.WARNING, 3, "yellow", "Warning"),
        (HealthTier.CRITICAL, 2, "red", "Critical"),
        (HealthTier.DISCONNECTED, 1, "grey", "Disconnected"),
    ],
)
def test_tier_presentation(tier: HealthTier, dots: int, color: str, label: str) -> None:
    """Each tier has its dots (5 to 1), colour and label."""
    assert (tier.dots, tier.color, tier.label) == (dots, color, label)


def test_disconnected_is_score_zero_with_reconnect_action() -> None:
    """A disconnected connection is Disconnected, score 0, and says to reconnect."""
    report = _health(connection=ConnectionState.DISCONNECTED)
    assert (report.score, report.tier) == (0, HealthTier.DISCONNECTED)
    assert report.actions[0] == "Reconnect QuickBooks"


@pytest.mark.parametrize(
    ("refresh", "hard", "message"),
    [(0, None, "authorisation has expired"), (-3.5, 400, "authorisation"), (30, 0, "5-year limit")],
)
def test_expired_tokens_are_disconnected(refresh: float, hard: float | None, message: str) -> None:
    """A refresh token past either expiry is Disconnected even if stored as connected."""
    report = _health(refresh_expires_in_days=refresh, hard_expires_in_days=hard)
    assert (report.score, report.tier) == (0, HealthTier.DISCONNECTED)
    assert message in report.reasons[0].message
    assert report.reasons[0].action == "Reconnect QuickBooks"


def test_needs_reauthorization_is_critical() -> None:
    """A refused authorisation caps the tier at Critical and says to reconnect."""
    report = _health(connection="needs_reauthorization")
    assert report.tier is HealthTier.CRITICAL
    assert report.score < HealthPolicy().warning_min
    assert report.reasons[0].code == "needs_reauthorization"
    assert report.reasons[0].action == "Reconnect QuickBooks"


def test_storage_connection_status_converts() -> None:
    """The stored ConnectionStatus enum is accepted as the connection state."""
    inputs = HealthInputs(connection=ConnectionStatus.NEEDS_REAUTHORIZATION)
    assert inputs.connection is ConnectionState.NEEDS_REAUTHORIZATION


def test_expiring_soon_from_days_and_from_state() -> None:
    """Few days left on the refresh token costs points growing as expiry nears."""
    policy = HealthPolicy()
    ten = _health(refresh_expires_in_days=10)
    two = _health(refresh_expires_in_days=2)
    assert 100 > ten.score > two.score
    assert ten.reasons[0].code == "refresh_expiring"
    assert "lapses in 2 days" in two.reasons[0].message
    stated = _health(connection=ConnectionState.EXPIRING_SOON)
    assert stated.score == 100 - policy.expiring_soon_points


def test_hard_expiry_warns_to_reconnect() -> None:
    """Approaching the 5-year cap asks the user to reconnect before it ends."""
    report = _health(hard_expires_in_days=20)
    (reason,) = report.reasons
    assert reason.code == "hard_expiry"
    assert "20 days" in reason.message
    assert reason.action == "Reconnect QuickBooks before the connection expires"


def test_failure_groups_become_actions() -> None:
    """Failure details turn into 'Fix 3 invoices that failed: ...' actions with points."""
    report = _health(
        failures=[
            FailureGroup(entity="Invoice", count=3, reason="missing income account", code="6000"),
            FailureGroup(entity="CreditMemo", count=1, reason="customer inactive"),
            FailureGroup(entity="Class", count=2, reason="duplicate name"),
        ]
    )
    assert report.actions == [
        "Fix 3 invoices that failed: missing income account",
        "Fix 2 classes that failed: duplicate name",
        "Fix 1 credit memo that failed: customer inactive",
    ]
    assert [r.points for r in report.reasons] == [3, 2, 1]
    assert report.score == 94


def test_failure_points_are_capped_but_every_group_keeps_its_action() -> None:
    """Past failed_records_max_points further groups cost nothing but stay listed."""
    policy = HealthPolicy(failed_records_max_points=5)
    report = compute_health(
        HealthInputs(
            last_success_at=FRESH,
            failures=[
                FailureGroup(entity="Invoice", count=4, reason="a"),
                FailureGroup(entity="Payment", count=3, reason="b"),
                FailureGroup(entity="Customer", count=2, reason="c"),
            ],
        ),
        now=NOW,
        policy=policy,
    )
    assert [r.points for r in report.reasons] == [4, 1, 0]
    assert report.score == 95
    assert len(report.actions) == 3


def test_reasons_sorted_by_points_and_explain_the_score() -> None:
    """Reasons come most points first, and the score is 100 minus their points."""
    report = _health(
        last_success_at=NOW - timedelta(days=3),
        error_rate=0.2,
        consecutive_failures=1,
        throttled_share=0.1,
        webhook_lag=timedelta(minutes=40),
    )
    points = [r.points for r in report.reasons]
    assert points == sorted(points, reverse=True)
    assert report.score == 100 - sum(points)
    assert {r.code for r in report.reasons} == {
        "stale",
        "error_rate",
        "consecutive_failures",
        "throttled",
        "webhook_lag",
    }
    assert "3 days ago" in next(r.message for r in report.reasons if r.code == "stale")
    assert all(r.action for r in report.reasons)


def test_never_synced() -> None:
    """Without any successful sync the report asks for a first sync."""
    report = compute_health(HealthInputs(), now=NOW)
    assert report.reasons[0].code == "never_synced"
    assert report.actions == ["Run a first sync"]
    assert report.tier is HealthTier.GOOD


def test_many_consecutive_failures_cap_at_critical() -> None:
    """critical_consecutive_failures failed runs in a row cap the tier at Critical."""
    assert _health(consecutive_failures=4).tier is not HealthTier.CRITICAL
    assert _health(consecutive_failures=5).tier is HealthTier.CRITICAL


def test_custom_policy_changes_the_outcome() -> None:
    """A product can override one weight in the policy table."""
    inputs = HealthInputs(last_success_at=NOW - timedelta(hours=30))
    default = compute_health(inputs, now=NOW)
    strict = compute_health(
        inputs, now=NOW, policy=attrs.evolve(HealthPolicy(), stale_after=timedelta(hours=1))
    )
    assert strict.score < default.score


@pytest.mark.parametrize(
    "changes",
    [
        {"excellent_min": 70},
        {"error_rate_free": 0.6},
        {"stale_after": timedelta(days=8)},
        {"throttle_max_points": -1},
        {"critical_consecutive_failures": 0},
        {"refresh_warn_days": 0},
    ],
)
def test_invalid_policy_is_a_configuration_error(changes: dict[str, object]) -> None:
    """Contradictory or negative policy values are refused, naming the problem."""
    with pytest.raises(ConfigurationError) as info:
        HealthPolicy(**changes)  # type: ignore[arg-type]
    assert info.value.problems


@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_rate": 1.5},
        {"throttled_share": -0.1},
        {"consecutive_failures": -1},
        {"last_success_at": datetime(2026, 1, 1)},
    ],
)
def test_invalid_inputs_are_value_errors(kwargs: dict[str, object]) -> None:
    """Out-of-range inputs and naive datetimes are refused."""
    with pytest.raises(ValueError):
        HealthInputs(**kwargs)  # type: ignore[arg-type]


def test_naive_now_is_refused() -> None:
    """compute_health refuses a naive 'now' instead of guessing its zone."""
    with pytest.raises(ValueError):
        compute_health(HealthInputs(), now=datetime(2026, 1, 1))


def test_future_last_success_counts_as_fresh() -> None:
    """Clock skew (a last success in the future) is not penalised."""
    assert _health(last_success_at=NOW + timedelta(hours=2)).score == 100
