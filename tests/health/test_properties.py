"""Property tests: monotonic, capped and deterministic health scores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from qbo_sync.health import (
    ConnectionState,
    HealthInputs,
    HealthPolicy,
    HealthTier,
    compute_health,
)

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
SETTINGS = settings(max_examples=300, deadline=None)

shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
days = st.none() | st.floats(min_value=-1000, max_value=3000, allow_nan=False)
ages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))
lags = st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1))
inputs = st.builds(
    HealthInputs,
    connection=st.sampled_from(ConnectionState),
    refresh_expires_in_days=days,
    hard_expires_in_days=days,
    last_success_at=st.none() | ages.map(lambda age: NOW - age),
    error_rate=shares,
    consecutive_failures=st.integers(0, 20),
    throttled_share=shares,
    webhook_lag=lags,
)
RANK = {tier: tier.dots for tier in HealthTier}


def _not_better(worse: HealthInputs, better: HealthInputs) -> None:
    a = compute_health(worse, now=NOW)
    b = compute_health(better, now=NOW)
    assert a.score <= b.score
    assert RANK[a.tier] <= RANK[b.tier]


@SETTINGS
@given(inputs, shares, shares)
def test_monotonic_in_error_rate(base: HealthInputs, x: float, y: float) -> None:
    """A higher error rate never raises the score or the tier."""
    lo, hi = sorted((x, y))
    _not_better(_with(base, error_rate=hi), _with(base, error_rate=lo))


@SETTINGS
@given(inputs, st.integers(0, 30), st.integers(0, 30))
def test_monotonic_in_consecutive_failures(base: HealthInputs, x: int, y: int) -> None:
    """More failed runs in a row never raise the score or the tier."""
    lo, hi = sorted((x, y))
    _not_better(_with(base, consecutive_failures=hi), _with(base, consecutive_failures=lo))


@SETTINGS
@given(inputs, shares, shares)
def test_monotonic_in_throttle_share(base: HealthInputs, x: float, y: float) -> None:
    """More throttling never raises the score or the tier."""
    lo, hi = sorted((x, y))
    _not_better(_with(base, throttled_share=hi), _with(base, throttled_share=lo))


@SETTINGS
@given(inputs, ages, ages)
def test_monotonic_in_staleness(base: HealthInputs, x: timedelta, y: timedelta) -> None:
    """A longer time since the last success never raises the score or the tier."""
    lo, hi = sorted((x, y))
    _not_better(_with(base, last_success_at=NOW - hi), _with(base, last_success_at=NOW - lo))


@SETTINGS
@given(inputs, ages, ages)
def test_monotonic_in_webhook_lag(base: HealthInputs, x: timedelta, y: timedelta) -> None:
    """More webhook lag never raises the score or the tier."""
    lo, hi = sorted((x, y))
    _not_better(_with(base, webhook_lag=hi), _with(base, webhook_lag=lo))


@SETTINGS
@given(inputs, days, days)
def test_monotonic_in_refresh_expiry(base: HealthInputs, x: float | None, y: float | None) -> None:
    """Fewer days left on the refresh token never raise the score."""
    if x is None or y is None:
        return
    lo, hi = sorted((x, y))
    _not_better(_with(base, refresh_expires_in_days=lo), _with(base, refresh_expires_in_days=hi))


@SETTINGS
@given(
    inputs, st.sampled_from([ConnectionState.DISCONNECTED, ConnectionState.NEEDS_REAUTHORIZATION])
)
def test_broken_connection_never_above_critical(base: HealthInputs, state: ConnectionState) -> None:
    """A disconnected or refused connection is Critical or Disconnected, whatever else holds."""
    report = compute_health(_with(base, connection=state), now=NOW)
    assert report.tier in (HealthTier.CRITICAL, HealthTier.DISCONNECTED)
    assert report.score < HealthPolicy().warning_min
    if state is ConnectionState.DISCONNECTED:
        assert (report.tier, report.score) == (HealthTier.DISCONNECTED, 0)


@SETTINGS
@given(inputs, st.floats(min_value=-5000, max_value=0), st.booleans())
def test_expired_token_always_disconnected(base: HealthInputs, expired: float, hard: bool) -> None:
    """A refresh token at or past either expiry is always Disconnected with score 0."""
    field = "hard_expires_in_days" if hard else "refresh_expires_in_days"
    report = compute_health(_with(base, **{field: expired}), now=NOW)
    assert (report.tier, report.score) == (HealthTier.DISCONNECTED, 0)


@SETTINGS
@given(inputs)
def test_stable_and_consistent(base: HealthInputs) -> None:
    """Equal inputs give equal reports; score, tier and reasons agree with each other."""
    copy = HealthInputs(**_fields(base))  # type: ignore[arg-type]
    first = compute_health(base, now=NOW)
    assert first == compute_health(copy, now=NOW)
    assert 0 <= first.score <= 100
    policy = HealthPolicy()
    if first.tier is HealthTier.EXCELLENT:
        assert first.score >= policy.excellent_min
    assert all(r.points >= 0 for r in first.reasons)
    assert first.score <= max(0, 100 - sum(r.points for r in first.reasons))
    if first.score < 100:
        assert first.reasons


def _fields(inputs: HealthInputs) -> dict[str, object]:
    return attrs.asdict(inputs, recurse=False)


def _with(inputs: HealthInputs, **changes: object) -> HealthInputs:
    return attrs.evolve(inputs, **changes)  # type: ignore[arg-type]
