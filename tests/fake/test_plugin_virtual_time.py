"""The pytest plugin's fixtures run on virtual time: they never really sleep."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import pytest

from qbo_sync.errors import AuthError
from qbo_sync.testing import FakeClock, FakeQBO


@pytest.fixture
def no_real_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make any real ``time.sleep`` looked up at call time fail the test, and record it."""
    calls: list[float] = []

    def refuse(seconds: float) -> None:
        calls.append(seconds)
        raise AssertionError(f"time.sleep({seconds}) called: the fixtures must not really wait")

    monkeypatch.setattr(time, "sleep", refuse)
    return calls


def test_fixtures_share_one_virtual_clock(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_client: Any
) -> None:
    """fake_qbo and qbo_client run on the qbo_clock FakeClock, not on real time."""
    assert fake_qbo.clock is qbo_clock
    before = qbo_clock.time()
    # What the client reads was stamped on the virtual clock, not the wall clock.
    info = qbo_client.company_info()
    assert info.meta_data is not None
    assert info.meta_data.create_time == datetime.fromtimestamp(before, timezone.utc)
    qbo_clock.advance(3600)
    assert fake_qbo.clock.time() == before + 3600
    # An hour of virtual time is the access token's whole life.
    with pytest.raises(AuthError, match="Token expired"):
        qbo_client.company_info()


def test_700_requests_through_qbo_client_never_sleep_for_real(
    no_real_sleep: list[float],
    qbo_client: Any,
    fake_qbo: FakeQBO,
    qbo_clock: FakeClock,
    qbo_realm_id: str,
) -> None:
    """700 requests exceed QBO's 500/minute: the client's pacer must wait a minute, and it
    does so on the virtual clock (which moves past 60 s) without one real sleep or one 429."""
    qbo_clock.advance(60)  # start on a fresh minute of budget
    start = qbo_clock.elapsed
    for _ in range(700):
        assert qbo_client.company_info().company_name == "Fake Company"
    assert qbo_clock.elapsed - start >= 60  # the pacer waited (virtually) for the next minute
    assert fake_qbo.stats.throttled == 0
    assert fake_qbo.stats.requests["read"] == 700
    assert no_real_sleep == []
    assert fake_qbo.ledger.stats(qbo_realm_id).requests == 700


def test_qbo_client_retry_backoff_waits_on_the_virtual_clock(
    no_real_sleep: list[float], qbo_client: Any, fake_qbo: FakeQBO, qbo_clock: FakeClock
) -> None:
    """A 503 then a 429 are retried after backoffs that advance qbo_clock, not real time."""
    fake_qbo.faults.fail_next(1, status=503)
    fake_qbo.faults.throttle_next()
    start = qbo_clock.elapsed
    assert qbo_client.company_info().company_name == "Fake Company"
    assert fake_qbo.stats.faults_injected == 2
    assert qbo_clock.elapsed - start > 0  # the backoff was served by the virtual clock
    assert no_real_sleep == []
