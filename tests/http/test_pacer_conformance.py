"""RealmPacer and RedisPacer behave alike: one conformance suite runs both.

Time is virtual (:class:`qbo_sync.testing.FakeClock`) except where real
threads must overlap; RedisPacer runs against the real Redis of
``scripts/start-redis.sh`` under a fresh key prefix per test.
"""

from __future__ import annotations

import bisect
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from qbo_sync.http import Pacer, RealmPacer, RedisPacer
from qbo_sync.testing import FakeClock

redis = pytest.importorskip("redis")

PacerFactory = Callable[..., Any]


def max_in_window(times: Sequence[float], span: float) -> int:
    """The most timestamps falling in any half-open window [t, t + span)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + span) - i for i, t in enumerate(ordered)), default=0
    )


def _flush(client: Any, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[tuple[str, str]]:
    """A key prefix of this test's own, emptied before and after it."""
    prefix = f"qbo_sync:test:pacer:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    _flush(client, prefix)
    try:
        yield redis_url, prefix
    finally:
        _flush(client, prefix)
        client.close()


@pytest.fixture(params=["realm", "redis"])
def make_pacer(request: pytest.FixtureRequest) -> Iterator[PacerFactory]:
    """Build the pacer under test (same options for both implementations)."""
    if request.param == "realm":
        yield RealmPacer
        return
    url, prefix = request.getfixturevalue("redis_prefix")
    client = redis.Redis.from_url(url)

    def build(**options: Any) -> RedisPacer:
        return RedisPacer(redis=client, prefix=prefix, **options)

    yield build
    client.close()


def _workload(pacer: Pacer, clock: FakeClock) -> tuple[list[float], list[float]]:
    """600 sequential requests, every fifteenth a batch; the grant times of each kind."""
    times: list[float] = []
    batches: list[float] = []
    for i in range(600):
        batch = i % 15 == 0
        with pacer.slot("r1", batch=batch):
            times.append(clock.monotonic())
            if batch:
                batches.append(clock.monotonic())
    return times, batches


def test_window_helper_counts() -> None:
    """The test's own window counter is right (so the pacer tests can fail)."""
    assert max_in_window([0.0, 0.5, 59.9, 60.0], 60.0) == 3
    assert max_in_window([0.0, 1.0, 1.5], 1.0) == 2
    assert max_in_window([], 60.0) == 0


def test_is_a_pacer(make_pacer: PacerFactory) -> None:
    """Both implementations satisfy the Pacer protocol."""
    assert isinstance(make_pacer(), Pacer)


def test_same_workload_same_virtual_time(make_pacer: PacerFactory) -> None:
    """600 requests: same grant times as RealmPacer, never over 500/min, 40 batch/min, 10/s."""
    reference_clock = FakeClock(start=0.0)
    reference = RealmPacer(clock=reference_clock.monotonic, sleep=reference_clock.sleep)
    expected, _ = _workload(reference, reference_clock)

    clock = FakeClock(start=0.0)
    times, batches = _workload(make_pacer(clock=clock.monotonic, sleep=clock.sleep), clock)

    assert times == pytest.approx(expected, abs=1e-6)
    assert times[-1] >= 60.0
    assert max_in_window(times, 60.0) == 500
    assert max_in_window(batches, 60.0) <= 40
    assert max_in_window(times, 1.0) == 10
    assert len(batches) == 40
    # 10/s for 50 s uses the minute's 500; request 501 waits for the first to age out.
    assert times[499] == pytest.approx(49.0)
    assert times[500] == pytest.approx(60.0)


def test_batch_budget_same_as_realm_pacer(make_pacer: PacerFactory) -> None:
    """100 batch requests: 40 a minute, granted at the same times as RealmPacer."""
    options: dict[str, Any] = {"per_second": None}
    reference_clock = FakeClock(start=0.0)
    reference = RealmPacer(clock=reference_clock.monotonic, sleep=reference_clock.sleep, **options)
    clock = FakeClock(start=0.0)
    pacer = make_pacer(clock=clock.monotonic, sleep=clock.sleep, **options)
    expected: list[float] = []
    times: list[float] = []
    for _ in range(100):
        with reference.slot("r1", batch=True):
            expected.append(reference_clock.monotonic())
        with pacer.slot("r1", batch=True):
            times.append(clock.monotonic())
    assert times == pytest.approx(expected, abs=1e-6)
    assert max_in_window(times, 60.0) == 40
    assert times[39] == 0.0
    assert times[40] == pytest.approx(60.0)
    assert times[80] == pytest.approx(120.0)


def test_in_flight_limit_holds_across_threads(make_pacer: PacerFactory) -> None:
    """Six real threads, max_in_flight=2: never more than two slots held at once."""
    pacer = make_pacer(per_minute=None, per_second=None, batch_per_minute=None, max_in_flight=2)
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "done": 0}
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                with pacer.slot("r1"):
                    with lock:
                        state["now"] += 1
                        state["max"] = max(state["max"], state["now"])
                    time.sleep(0.02)
                    with lock:
                        state["now"] -= 1
                        state["done"] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not errors
    assert state["done"] == 18
    assert state["max"] == 2
    assert pacer.in_flight("r1") == 0


def test_note_throttled_holds_every_caller(make_pacer: PacerFactory) -> None:
    """A throttle holds the realm (not others) back; a shorter one never shortens it."""
    clock = FakeClock(start=0.0)
    pacer = make_pacer(throttle_pause=3.0, clock=clock.monotonic, sleep=clock.sleep)
    pacer.note_throttled("r1", 7.0)
    pacer.note_throttled("r1", 1.0)
    with pacer.slot("r2"):
        assert clock.monotonic() == 0.0
    for _ in range(3):
        with pacer.slot("r1"):
            assert clock.monotonic() == pytest.approx(7.0)
    pacer.note_throttled("r1", None)
    with pacer.slot("r1", batch=True):
        assert clock.monotonic() == pytest.approx(10.0)


def test_dead_holder_slot_frees_after_lease(redis_prefix: tuple[str, str]) -> None:
    """A slot taken by a worker that died (never released) frees once its lease ends."""
    url, prefix = redis_prefix
    clock = FakeClock(start=0.0)
    options: dict[str, Any] = {
        "prefix": prefix,
        "max_in_flight": 1,
        "lease": 5.0,
        "clock": clock.monotonic,
        "sleep": clock.sleep,
    }
    dead = RedisPacer(redis=redis.Redis.from_url(url), **options)
    live = RedisPacer(redis=redis.Redis.from_url(url), **options)
    assert dead.acquire("r1") == 0.0
    assert live.in_flight("r1") == 1
    granted = live.acquire("r1")
    assert 5.0 <= granted < 5.0 + live.poll_interval + 1e-6
    assert live.in_flight("r1") == 1
    live.release("r1")
    assert live.in_flight("r1") == 0
    with pytest.raises(RuntimeError):
        live.release("r1")


def test_two_instances_share_one_budget(redis_prefix: tuple[str, str]) -> None:
    """Two instances on two clients ("two processes") share one realm's windows."""
    url, prefix = redis_prefix
    clock = FakeClock(start=0.0)
    options: dict[str, Any] = {
        "prefix": prefix,
        "per_minute": 5,
        "per_second": None,
        "clock": clock.monotonic,
        "sleep": clock.sleep,
    }
    first = RedisPacer(redis=redis.Redis.from_url(url), **options)
    second = RedisPacer(redis=redis.Redis.from_url(url), **options)
    for _ in range(5):
        with first.slot("r1"):
            pass
    with second.slot("r1"):
        assert clock.monotonic() == pytest.approx(60.0)
    first.note_throttled("r1", 4.0)
    with second.slot("r1"):
        assert clock.monotonic() == pytest.approx(64.0)


def test_idle_realm_keys_expire(redis_prefix: tuple[str, str]) -> None:
    """Every key a realm uses carries a TTL, so an idle realm leaves nothing behind."""
    url, prefix = redis_prefix
    client = redis.Redis.from_url(url)
    pacer = RedisPacer(redis=client, prefix=prefix, lease=30.0)
    with pacer.slot("r1", batch=True):
        pass
    pacer.note_throttled("r1", 1.0)
    keys = {key.decode().rsplit(":", 1)[1] for key in client.scan_iter(match=f"{prefix}:*")}
    # The released slot's in-flight set emptied, and Redis dropped it.
    assert keys == {"minute", "second", "batches", "blocked_until"}
    for key in client.scan_iter(match=f"{prefix}:*"):
        assert 0 < client.pttl(key) <= 120_000


@pytest.mark.parametrize("limit", ["per_minute", "batch_per_minute", "per_second",
                                   "max_in_flight"])
def test_bad_limits_are_refused_naming_the_pacer(limit: str) -> None:
    """Both pacers check limits with one rule, and the error names the pacer actually built."""
    from qbo_sync.http import RealmPacer, RedisPacer

    with pytest.raises(ValueError, match=f"^RealmPacer: {limit} must be >= 1"):
        RealmPacer(**{limit: 0})
    with pytest.raises(ValueError, match=f"^RedisPacer: {limit} must be >= 1"):
        RedisPacer(redis=None, **{limit: 0})  # type: ignore[arg-type]
