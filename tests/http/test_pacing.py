"""RealmPacer keeps each realm under QBO's budget, using a virtual clock."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Sequence

import pytest

from qbo_sync.errors import ConfigurationError
from qbo_sync.http import Pacer, RealmPacer


class VirtualClock:
    """A thread-safe clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self._now = 0.0
        self._lock = threading.Lock()
        self.sleeps = 0

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._lock:
            self.sleeps += 1
            self._now += seconds


def max_in_window(times: Sequence[float], span: float) -> int:
    """The most timestamps falling in any half-open window [t, t + span)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + span) - i for i, t in enumerate(ordered)), default=0
    )


def test_window_helper_counts() -> None:
    """The test's own window counter is right (so the pacer tests can fail)."""
    assert max_in_window([0.0, 0.5, 59.9, 60.0], 60.0) == 3
    assert max_in_window([0.0, 1.0, 1.5], 1.0) == 2
    assert max_in_window([], 60.0) == 0


def test_sequential_minute_budget() -> None:
    """1,000 back-to-back requests: never more than 500 in any 60 s window."""
    clock = VirtualClock()
    pacer = RealmPacer(per_second=None, max_in_flight=None, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(1000):
        times.append(pacer.acquire("r1"))
        pacer.release("r1")
    assert max_in_window(times, 60.0) == 500
    assert times[499] == 0.0
    assert times[500] == pytest.approx(60.0)
    assert times[-1] >= 60.0


def test_threads_respect_every_limit() -> None:
    """1,000 acquisitions from 20 threads: <=500/60 s, <=10/s, <=10 in flight."""
    clock = VirtualClock()
    pacer = RealmPacer(clock=clock, sleep=clock.sleep)
    times: list[float] = []
    lock = threading.Lock()
    state = {"now": 0, "max": 0}
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(50):
                granted = pacer.acquire("realm")
                with lock:
                    times.append(granted)
                    state["now"] += 1
                    state["max"] = max(state["max"], state["now"])
                time.sleep(0)  # let other threads in while this slot is held
                with lock:
                    state["now"] -= 1
                pacer.release("realm")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(times) == 1000
    assert max_in_window(times, 60.0) <= 500
    assert max_in_window(times, 1.0) <= 10
    assert 1 <= state["max"] <= 10
    assert pacer.in_flight("realm") == 0
    # 10/s binds: 1,000 requests need at least 99 virtual seconds.
    assert max(times) >= 99.0


def test_concurrency_cap_blocks_the_eleventh() -> None:
    """With 10 slots held, further callers wait until one is released."""
    pacer = RealmPacer(per_second=None)
    release = threading.Event()
    entered = threading.Semaphore(0)
    inside = {"n": 0, "max": 0}
    lock = threading.Lock()

    def worker() -> None:
        with pacer.slot("r"):
            with lock:
                inside["n"] += 1
                inside["max"] = max(inside["max"], inside["n"])
            entered.release()
            release.wait(timeout=30)
            with lock:
                inside["n"] -= 1

    threads = [threading.Thread(target=worker) for _ in range(15)]
    for t in threads:
        t.start()
    for _ in range(10):
        assert entered.acquire(timeout=30)
    # The other five cannot get in while the ten hold their slots.
    assert not entered.acquire(timeout=0.2)
    assert pacer.in_flight("r") == 10
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert inside["max"] == 10
    assert pacer.in_flight("r") == 0


def test_batch_budget_and_batches_count_as_requests() -> None:
    """<=40 batch requests per 60 s; each batch also spends the 500/min budget."""
    clock = VirtualClock()
    pacer = RealmPacer(per_minute=50, per_second=None, clock=clock, sleep=clock.sleep)
    batch_times = []
    all_times = []
    for i in range(120):
        is_batch = i % 2 == 0
        granted = pacer.acquire("r", batch=is_batch)
        pacer.release("r")
        all_times.append(granted)
        if is_batch:
            batch_times.append(granted)
    assert max_in_window(batch_times, 60.0) <= 40
    assert max_in_window(all_times, 60.0) <= 50
    assert all_times[50] == pytest.approx(60.0)  # the 51st request (batch or not) waited


def test_only_batches_hit_batch_limit() -> None:
    """41 batch requests in a row: the 41st waits a minute; plain requests do not."""
    clock = VirtualClock()
    pacer = RealmPacer(per_second=None, max_in_flight=None, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(41):
        times.append(pacer.acquire("r", batch=True))
        pacer.release("r")
    assert times[39] == 0.0
    assert times[40] == pytest.approx(60.0)
    plain = RealmPacer(per_second=None, clock=clock, sleep=clock.sleep)
    start = clock()
    for _ in range(41):
        plain.acquire("r")
        plain.release("r")
    assert clock() == start


def test_batches_in_flight_hold_the_batch_window() -> None:
    """40 batches still in flight fill the batch window; it frees a minute after they come back."""
    clock = VirtualClock()
    pacer = RealmPacer(per_second=None, max_in_flight=None, clock=clock, sleep=clock.sleep)
    for _ in range(40):
        assert pacer.try_acquire("r", batch=True) == 0.0
    # Only a release can make room for a 41st batch; a plain request still fits.
    assert pacer.try_acquire("r", batch=True) == pacer.poll_interval
    assert pacer.try_acquire("r") == 0.0
    clock.sleep(10.0)
    pacer.release("r")  # the plain one (a plain slot is given back first)
    assert pacer.try_acquire("r", batch=True) == pacer.poll_interval
    for _ in range(40):
        pacer.release("r")
    assert pacer.acquire("r", batch=True) == pytest.approx(70.0)
    pacer.release("r")


def test_realms_are_independent() -> None:
    """A realm at its limit does not delay another realm."""
    clock = VirtualClock()
    pacer = RealmPacer(per_minute=5, per_second=None, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        pacer.acquire("busy")
        pacer.release("busy")
    before = clock.sleeps
    for _ in range(5):
        pacer.acquire("quiet")
        pacer.release("quiet")
    assert clock.sleeps == before
    pacer.acquire("busy")
    pacer.release("busy")
    assert clock.sleeps > before


def test_note_throttled_holds_realm_back() -> None:
    """After a throttle every new request for that realm waits retry_after (or the default)."""
    clock = VirtualClock()
    pacer = RealmPacer(clock=clock, sleep=clock.sleep, throttle_pause=10.0)
    pacer.note_throttled("r", 30.0)
    assert pacer.acquire("r") == pytest.approx(30.0)
    pacer.release("r")
    pacer.note_throttled("r", None)
    assert pacer.acquire("r") == pytest.approx(40.0)
    pacer.release("r")
    assert pacer.acquire("other") == pytest.approx(40.0)  # no wait for another realm
    pacer.release("other")


def test_slot_releases_on_exception() -> None:
    """A failing request still gives its slot back."""
    pacer = RealmPacer()
    seen: list[int] = []

    def fail() -> None:
        with pacer.slot("r"):
            seen.append(pacer.in_flight("r"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert seen == [1]
    assert pacer.in_flight("r") == 0


def test_release_without_acquire() -> None:
    """An unmatched release is a programming error, reported clearly."""
    pacer = RealmPacer()
    with pytest.raises(RuntimeError, match="without acquire"):
        pacer.release("r")


@pytest.mark.parametrize("field", ["per_minute", "batch_per_minute", "per_second", "max_in_flight"])
def test_bad_limits_rejected(field: str) -> None:
    """A zero limit is rejected at construction, naming the option."""
    with pytest.raises(ConfigurationError, match=field):
        RealmPacer(**{field: 0})  # type: ignore[arg-type]


def test_realm_pacer_is_a_pacer() -> None:
    """RealmPacer satisfies the Pacer protocol (what the client accepts)."""
    pacer: Pacer = RealmPacer()
    assert isinstance(pacer, Pacer)
    assert "per_minute=500" in repr(pacer)
