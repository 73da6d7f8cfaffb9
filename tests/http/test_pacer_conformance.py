"""RealmPacer and RedisPacer behave alike: one conformance suite runs both.

Time is virtual (:class:`qbo_sync.testing.FakeClock`) except where real
threads must overlap; RedisPacer runs against the real Redis of
``scripts/start-redis.sh`` under a fresh key prefix per test.
"""

from __future__ import annotations

import bisect
import heapq
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbo_sync.errors import ConfigurationError
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


#: One request of a simulated workload: (seconds its slot is held, batch or not).
Job = tuple[float, bool]
#: What the simulation saw of one request: (slot taken, slot released, batch or not).
Sent = tuple[float, float, bool]


def simulate(pacer: Any, clock: FakeClock, jobs: Sequence[Job], *,
             concurrency: int = 1000) -> list[Sent]:
    """Send ``jobs`` in order, each as soon as ``pacer`` allows, on virtual time.

    Up to ``concurrency`` requests are held at once; a request's slot is
    taken with ``try_acquire`` and released its latency later (releases due
    go first at any instant). Virtual time jumps to the next retry or
    release, whichever comes first.
    """
    sent: list[Sent] = []
    held: list[tuple[float, int]] = []  # heap of (release time, job index)
    taken: dict[int, float] = {}
    index = 0
    for _ in range(1_000_000):
        now = clock.monotonic()
        while held and held[0][0] <= now:
            _, j = heapq.heappop(held)
            pacer.release("r1")
            sent.append((taken[j], now, jobs[j][1]))
        if index == len(jobs) and not held:
            return sorted(sent)
        wait = math.inf
        if index < len(jobs) and len(held) < concurrency:
            wait = pacer.try_acquire("r1", batch=jobs[index][1])
            if wait <= 0:
                taken[index] = now
                heapq.heappush(held, (now + jobs[index][0], index))
                index += 1
                continue
        next_release = held[0][0] if held else math.inf
        step = min(now + wait, next_release) - now
        assert step < math.inf, "nothing can move: the pacer waits for a release never coming"
        clock.advance(step)
    raise AssertionError("the simulation did not finish")


def most_arrivals(sent: Sequence[Sent], span: float, *, batch_only: bool = False) -> int:
    """The most requests that can arrive at QBO in one window ``[a, a + span)``.

    A request arrives at some time in [taken, released]; an adversarial
    network can put every request sent before ``a + span`` and released at
    or after ``a`` inside the window. The count is checked with ``a`` at
    each release time and just past each send time minus ``span``.
    """
    rows = [(s, r) for s, r, batch in sent if batch or not batch_only]
    starts = sorted(s for s, _ in rows)
    ends = sorted(r for _, r in rows)
    edges = ends + [s - span + 1e-9 for s in starts]
    return max(
        (bisect.bisect_left(starts, a + span) - bisect.bisect_left(ends, a) for a in edges),
        default=0,
    )


def most_in_flight(sent: Sequence[Sent]) -> int:
    """The most requests held at once (a slot is held over [taken, released))."""
    events = sorted([(r, -1) for _, r, _ in sent] + [(s, 1) for s, _, _ in sent])
    most = current = 0
    for _, change in events:
        current += change
        most = max(most, current)
    return most


def test_arrival_helpers_count() -> None:
    """The test's own arrival counters are right (so the pacer tests can fail)."""
    # Sent at 0, held 30 s: it may arrive with the ones sent at 59.
    sent = [(0.0, 30.0, False), (10.0, 10.0, True), (59.0, 59.0, False), (89.0, 89.0, True)]
    assert most_arrivals(sent, 60.0) == 3
    assert most_arrivals(sent, 60.0, batch_only=True) == 1
    assert most_arrivals([(0.0, 0.0, False), (60.0, 60.0, False)], 60.0) == 1
    assert most_arrivals([(0.0, 0.0, False), (59.9, 60.0, False)], 60.0) == 2
    assert most_in_flight([(0.0, 2.0, False), (1.0, 3.0, False), (2.0, 2.5, False)]) == 2


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

    with pytest.raises(ConfigurationError, match=f"^RealmPacer: {limit} must be >= 1"):
        RealmPacer(**{limit: 0})
    with pytest.raises(ConfigurationError, match=f"^RedisPacer: {limit} must be >= 1"):
        RedisPacer(redis=None, **{limit: 0})  # type: ignore[arg-type]


def _assert_arrival_safe(sent: Sequence[Sent], *, per_minute: int = 500,
                         per_second: int | None = 10, batch_per_minute: int = 40,
                         max_in_flight: int | None = 10) -> None:
    assert most_arrivals(sent, 60.0) <= per_minute
    if per_second is not None:
        assert most_arrivals(sent, 1.0) <= per_second
    assert most_arrivals(sent, 60.0, batch_only=True) <= batch_per_minute
    if max_in_flight is not None:
        assert most_in_flight(sent) <= max_in_flight


#: The workloads that broke the send-time pacer: one request held long (it
#: may arrive late), then a burst that fills the window it arrives in.
LATE_FIRST = {
    "minute": ([(30.0, False)] + [(0.0, False)] * 599, 60.0, False, 500),
    "second": ([(0.9, False)] + [(0.0, False)] * 30, 1.0, False, 10),
    "batch": ([(30.0, True)] + [(0.0, True)] * 60, 60.0, True, 40),
}


@pytest.mark.parametrize("window", sorted(LATE_FIRST))
def test_late_first_request_then_a_burst_stays_under_at_arrival(
    make_pacer: PacerFactory, window: str
) -> None:
    """A request held long, then a burst: arrivals never exceed the minute, second or batch limit.

    The send-time pacer let 501 (minute), 11 (second) and 41 (batch) arrive
    in one window here: the first request, sent early, could arrive with
    the requests sent a window later.
    """
    jobs, span, batch_only, limit = LATE_FIRST[window]
    clock = FakeClock(start=0.0)
    sent = simulate(make_pacer(clock=clock.monotonic, sleep=clock.sleep), clock, jobs)
    assert len(sent) == len(jobs)
    assert most_arrivals(sent, span, batch_only=batch_only) == limit
    _assert_arrival_safe(sent)


def _mixed_jobs() -> list[Job]:
    latencies = [0.0, 0.0, 0.05, 0.0, 0.0, 0.1, 0.0, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0, 30.0]
    return [(latencies[i % len(latencies)], i % 13 == 0) for i in range(700)]


def test_varied_latencies_same_grants_and_arrival_safe(make_pacer: PacerFactory) -> None:
    """700 requests held 0 to 30 s, every 13th a batch: RealmPacer's grants, safe at arrival."""
    reference_clock = FakeClock(start=0.0)
    expected = simulate(
        RealmPacer(clock=reference_clock.monotonic, sleep=reference_clock.sleep),
        reference_clock, _mixed_jobs())
    clock = FakeClock(start=0.0)
    sent = simulate(make_pacer(clock=clock.monotonic, sleep=clock.sleep), clock, _mixed_jobs())
    assert [s for s, _, _ in sent] == pytest.approx([s for s, _, _ in expected], abs=1e-6)
    _assert_arrival_safe(sent)
    # The budget is used, not just respected: the second and in-flight limits bind.
    assert most_arrivals(sent, 1.0) == 10
    assert most_in_flight(sent) == 10


def test_held_slot_counts_until_a_minute_after_release(make_pacer: PacerFactory) -> None:
    """acquire/release: a slot held from 0 to 30 s counts until 90 s (send-time counting: 60 s)."""
    clock = FakeClock(start=0.0)
    pacer = make_pacer(per_minute=2, per_second=None, clock=clock.monotonic, sleep=clock.sleep)
    assert pacer.acquire("r1") == 0.0
    with pacer.slot("r1"):
        pass
    clock.advance(30.0)
    pacer.release("r1")
    with pacer.slot("r1"):
        assert clock.monotonic() == pytest.approx(60.0)  # the one released at 0 aged out
    with pacer.slot("r1"):
        assert clock.monotonic() == pytest.approx(90.0)  # the one released at 30 did too


def test_zero_latency_burst_keeps_its_throughput(make_pacer: PacerFactory) -> None:
    """1,000 requests released at once take 109 s of virtual time, as with send-time counting."""
    clock = FakeClock(start=0.0)
    pacer = make_pacer(clock=clock.monotonic, sleep=clock.sleep)
    times = []
    for _ in range(1000):
        with pacer.slot("r1"):
            times.append(clock.monotonic())
    assert times[499] == pytest.approx(49.0)
    assert times[500] == pytest.approx(60.0)
    assert times[-1] == pytest.approx(109.0)
    assert max_in_window(times, 60.0) == 500


def test_expired_lease_counts_as_released_at_expiry(redis_prefix: tuple[str, str]) -> None:
    """A dead holder's slot counts as released at its lease's end; a slow one's at its release."""
    url, prefix = redis_prefix
    clock = FakeClock(start=0.0)
    options: dict[str, Any] = {"prefix": prefix, "per_minute": 2, "per_second": None,
                               "lease": 5.0, "clock": clock.monotonic, "sleep": clock.sleep}
    dead = RedisPacer(redis=redis.Redis.from_url(url), **options)
    live = RedisPacer(redis=redis.Redis.from_url(url), **options)
    assert dead.acquire("r1") == 0.0
    with live.slot("r1"):
        pass
    # The dead slot (in flight, then released at its lease expiry, 5 s) and the one
    # released at 0 fill the window until 60 s; then the dead one's release counts.
    assert live.try_acquire("r1") == pytest.approx(60.0)
    assert live.acquire("r1") == pytest.approx(60.0)
    live.release("r1")
    assert live.acquire("r1") == pytest.approx(65.0)
    live.release("r1")
    # A holder slower than its lease: released at 210 s, its lease ran out at 205 s.
    slow = RedisPacer(redis=redis.Redis.from_url(url), **options)
    clock.advance(135.0)
    assert slow.acquire("r1") == pytest.approx(200.0)
    clock.advance(10.0)
    with live.slot("r1"):
        assert clock.monotonic() == pytest.approx(210.0)  # the slow one counts from 205 s
    slow.release("r1")
    assert live.acquire("r1") == pytest.approx(270.0)  # not 265: it counts from 210 s
    live.release("r1")


def test_release_gives_back_a_plain_slot_first(make_pacer: PacerFactory) -> None:
    """release() does not say which slot: with both kinds held, the batch stays in flight (safe)."""
    clock = FakeClock(start=0.0)
    pacer = make_pacer(batch_per_minute=1, per_second=None, clock=clock.monotonic,
                       sleep=clock.sleep)
    assert pacer.try_acquire("r1", batch=True) == 0.0
    assert pacer.try_acquire("r1") == 0.0
    clock.advance(5.0)
    pacer.release("r1")  # whichever finished: the batch still counts as in flight
    assert pacer.try_acquire("r1", batch=True) == pacer.poll_interval
    clock.advance(5.0)
    pacer.release("r1")
    assert pacer.in_flight("r1") == 0
    assert pacer.try_acquire("r1", batch=True) == pytest.approx(60.0)


@settings(max_examples=150, deadline=None)
@given(
    jobs=st.lists(st.tuples(st.sampled_from([0.0, 0.01, 0.2, 0.7, 1.5, 4.0, 30.0, 70.0]),
                            st.booleans()), min_size=1, max_size=80),
    per_minute=st.integers(1, 25),
    per_second=st.one_of(st.none(), st.integers(1, 6)),
    batch_per_minute=st.integers(1, 6),
    max_in_flight=st.one_of(st.none(), st.integers(1, 8)),
    concurrency=st.integers(1, 30),
)
def test_random_latencies_never_exceed_a_limit_at_arrival(
    jobs: list[Job], per_minute: int, per_second: int | None, batch_per_minute: int,
    max_in_flight: int | None, concurrency: int,
) -> None:
    """RealmPacer, random latencies and limits: all requests sent, none over a limit at arrival."""
    clock = FakeClock(start=0.0)
    pacer = RealmPacer(per_minute=per_minute, per_second=per_second,
                       batch_per_minute=batch_per_minute, max_in_flight=max_in_flight,
                       clock=clock.monotonic, sleep=clock.sleep)
    sent = simulate(pacer, clock, jobs, concurrency=concurrency)
    assert len(sent) == len(jobs)
    assert pacer.in_flight("r1") == 0
    _assert_arrival_safe(sent, per_minute=per_minute, per_second=per_second,
                         batch_per_minute=batch_per_minute, max_in_flight=max_in_flight)
