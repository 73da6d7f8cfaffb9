"""RetryPolicy: what is retried, how long it waits, and that tests never wait."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

import attrs
import pytest

from qbo_sync.errors import (
    AuthError,
    DuplicateDocNumberError,
    DuplicateNameError,
    NotFoundError,
    QBOError,
    ServerError,
    StaleObjectError,
    ThrottledError,
    TransportError,
    ValidationError,
)
from qbo_sync.http import RetryEvent, RetryPolicy, backoff_disabled, disable_backoff


class Recorder:
    """An injectable sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def failing(errors: list[BaseException], result: str = "ok") -> Callable[[], str]:
    """A callable raising each error in turn, then returning `result`."""
    queue = list(errors)
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if queue:
            raise queue.pop(0)
        return result

    fn.calls = calls  # type: ignore[attr-defined]
    return fn


def policy(**kwargs: object) -> tuple[RetryPolicy, Recorder]:
    sleep = Recorder()
    return RetryPolicy(sleep=sleep, rng=random.Random(7), **kwargs), sleep  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        TransportError("connection reset"),
        ThrottledError("throttled", status=429, code="3001"),
        ServerError("bad gateway", status=502),
        ServerError("unavailable", status=503),
        ServerError("gateway timeout", status=504),
        ServerError("system fault", code="10000"),
    ],
)
def test_retryable_errors_are_retried(error: QBOError) -> None:
    """Transport, throttle, 502/503/504 and status-less server faults are retried until success."""
    p, sleep = policy(max_attempts=4)
    fn = failing([error, error])
    assert p.call(fn) == "ok"
    assert fn.calls["n"] == 3  # type: ignore[attr-defined]
    assert len(sleep.calls) == 2
    assert all(s > 0 for s in sleep.calls)


@pytest.mark.parametrize(
    "error",
    [
        ValidationError("bad", status=400, code="2010"),
        AuthError("expired", status=401, code="3200"),
        StaleObjectError("stale", status=400, code="5010"),
        NotFoundError("gone", status=400, code="610"),
        DuplicateNameError("dup", status=400, code="6240"),
        DuplicateDocNumberError("dup doc", status=400, code="6140"),
        ServerError("odd redirect", status=302),
    ],
)
def test_never_retried(error: QBOError) -> None:
    """Validation, auth, stale, not-found and duplicate errors fail at the first attempt."""
    p, sleep = policy(max_attempts=5)
    fn = failing([error])
    with pytest.raises(type(error)) as info:
        p.call(fn)
    assert info.value is error
    assert fn.calls["n"] == 1  # type: ignore[attr-defined]
    assert sleep.calls == []


def test_non_qbo_exceptions_propagate_at_once() -> None:
    """A bug (KeyError) is never retried."""
    p, sleep = policy()
    fn = failing([KeyError("x")])
    with pytest.raises(KeyError):
        p.call(fn)
    assert fn.calls["n"] == 1  # type: ignore[attr-defined]
    assert sleep.calls == []


def test_http_500_retried_once_by_default() -> None:
    """HTTP 500 is resubmitted once (Intuit's advice), then raised."""
    p, sleep = policy(max_attempts=5)
    err = ServerError("boom", status=500)
    fn = failing([err, err, err])
    with pytest.raises(ServerError):
        p.call(fn)
    assert fn.calls["n"] == 2  # type: ignore[attr-defined]
    assert len(sleep.calls) == 1


def test_http_500_retries_configurable() -> None:
    """retry_http_500=0 never retries a 500; =2 retries it twice."""
    p0, _ = policy(retry_http_500=0)
    fn0 = failing([ServerError("boom", status=500)])
    with pytest.raises(ServerError):
        p0.call(fn0)
    assert fn0.calls["n"] == 1  # type: ignore[attr-defined]
    p2, _ = policy(retry_http_500=2)
    err = ServerError("boom", status=500)
    fn2 = failing([err, err])
    assert p2.call(fn2) == "ok"
    assert fn2.calls["n"] == 3  # type: ignore[attr-defined]


def test_max_attempts_then_last_error() -> None:
    """After max_attempts the last error is raised unchanged."""
    p, sleep = policy(max_attempts=3)
    errors = [TransportError(f"drop {i}") for i in range(5)]
    fn = failing(list(errors))
    with pytest.raises(TransportError) as info:
        p.call(fn)
    assert info.value is errors[2]
    assert len(sleep.calls) == 2


def test_retry_after_honoured() -> None:
    """A throttle with retry_after waits that long (plus at most 1 s of jitter)."""
    p, sleep = policy()
    fn = failing([ThrottledError("slow", status=429, retry_after=17.0)])
    assert p.call(fn) == "ok"
    assert len(sleep.calls) == 1
    assert 17.0 <= sleep.calls[0] <= 18.0


def test_retry_after_clamped() -> None:
    """An absurd Retry-After is clamped to max_retry_after."""
    p, sleep = policy(max_retry_after=120.0)
    fn = failing([ThrottledError("slow", status=429, retry_after=86_400.0)])
    p.call(fn)
    assert 120.0 <= sleep.calls[0] <= 121.0


def test_throttle_backs_off_towards_60s() -> None:
    """Without Retry-After, throttle waits double from 15 s and settle near 60 s."""
    p, sleep = policy(max_attempts=6)
    fn = failing([ThrottledError("slow", status=429) for _ in range(5)])
    assert p.call(fn) == "ok"
    bases = [15.0, 30.0, 60.0, 60.0, 60.0]
    assert len(sleep.calls) == 5
    for got, base in zip(sleep.calls, bases, strict=True):
        assert base <= got <= base * 1.1
    assert len(set(sleep.calls)) == 5  # jitter makes every wait different


def test_server_backoff_exponential_capped() -> None:
    """5xx/transport waits grow exponentially with jitter and never pass max_delay."""
    p, sleep = policy(max_attempts=12, base_delay=1.0, max_delay=8.0)
    fn = failing([ServerError("x", status=503) for _ in range(11)])
    p.call(fn)
    for attempt, got in enumerate(sleep.calls, start=1):
        step = min(8.0, 2.0 ** (attempt - 1))
        assert step / 2 <= got <= step
    assert max(sleep.calls) <= 8.0
    assert sleep.calls[-1] >= 4.0


def test_same_seed_same_delays() -> None:
    """With an injected seeded rng the delays are reproducible."""
    runs = []
    for _ in range(2):
        p, sleep = policy(max_attempts=4)
        p.call(failing([TransportError("x")] * 3))
        runs.append(sleep.calls)
    assert runs[0] == runs[1]


def test_on_retry_hook_and_log(caplog: pytest.LogCaptureFixture) -> None:
    """on_retry sees each retry; the log line names the error and intuit_tid, never a token."""
    events: list[RetryEvent] = []
    p, _ = policy()
    err = ThrottledError(
        "Token expired: [REDACTED]", status=429, code="3001", intuit_tid="1-abc", retry_after=2.0
    )
    with caplog.at_level(logging.INFO, logger="qbo_sync.http.retry"):
        p.call(failing([err]), on_retry=events.append)
    assert len(events) == 1
    assert events[0].attempt == 1
    assert events[0].error is err
    assert 2.0 <= events[0].delay <= 3.0
    assert "ThrottledError" in caplog.text
    assert "intuit_tid=1-abc" in caplog.text
    assert "AB0160" not in caplog.text


def test_disable_backoff_skips_sleep() -> None:
    """Inside disable_backoff() retries happen without calling sleep; the hook sees 0 s."""
    events: list[RetryEvent] = []
    p, sleep = policy(max_attempts=4)
    assert not backoff_disabled()
    with disable_backoff():
        assert backoff_disabled()
        assert (
            p.call(failing([ThrottledError("t", status=429)] * 3), on_retry=events.append) == "ok"
        )
    assert not backoff_disabled()
    assert sleep.calls == []
    assert [e.delay for e in events] == [0.0, 0.0, 0.0]


def test_disable_backoff_is_context_local() -> None:
    """disable_backoff() in one thread does not affect another thread's policy."""
    p, sleep = policy(max_attempts=2)
    seen: list[bool] = []
    ready = threading.Event()
    done = threading.Event()

    def other() -> None:
        ready.wait()
        seen.append(backoff_disabled())
        p.call(failing([TransportError("x")]))
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with disable_backoff():
        ready.set()
        done.wait(timeout=10)
    thread.join()
    assert seen == [False]
    assert len(sleep.calls) == 1


def test_disable_backoff_nests() -> None:
    """Nested blocks restore the outer state on exit."""
    with disable_backoff():
        with disable_backoff():
            assert backoff_disabled()
        assert backoff_disabled()
    assert not backoff_disabled()


def test_is_retryable_predicate_directly() -> None:
    """The one predicate, including the HTTP 500 budget."""
    p = RetryPolicy()
    err500 = ServerError("x", status=500)
    assert p.is_retryable(err500, http_500_retries=0)
    assert not p.is_retryable(err500, http_500_retries=1)
    assert p.is_retryable(TransportError("x"))
    assert not p.is_retryable(ValueError("x"))


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_attempts", 0), ("base_delay", -1.0), ("throttle_max_delay", -5.0)],
)
def test_bad_configuration_rejected(field: str, value: float) -> None:
    """Nonsense settings fail at construction, naming the field."""
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]


def test_keyword_only() -> None:
    """The constructor takes keywords only."""
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[call-arg]


def test_policy_is_immutable() -> None:
    """A policy shared by clients cannot be changed under them."""
    p = RetryPolicy()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        p.max_attempts = 9  # type: ignore[misc]
    assert attrs.evolve(p, max_attempts=9).max_attempts == 9


@pytest.mark.parametrize("value", [-1, -5])
def test_negative_http_500_retries_are_refused(value: int) -> None:
    """A negative retry count is a configuration mistake, not a silent zero."""
    with pytest.raises(ValueError, match="retry_http_500"):
        RetryPolicy(retry_http_500=value)
