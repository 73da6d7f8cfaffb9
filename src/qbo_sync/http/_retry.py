"""Retries with backoff, built on tenacity.

Decide once, loop twice: :meth:`RetryPolicy.next_wait` is the one pure step
that decides, after a failed attempt, whether to retry and how long to wait
first. :meth:`RetryPolicy.call` (threads) and :meth:`RetryPolicy.acall`
(asyncio) only drive that step, each with its own sleep.

One predicate (:meth:`RetryPolicy.is_retryable`) decides what is retried:

- :class:`~qbo_sync.errors.TransportError` (the request got no answer);
- :class:`~qbo_sync.errors.ThrottledError` (429 / 3001);
- :class:`~qbo_sync.errors.ServerError` with HTTP 502, 503 or 504, or with
  no status (a SystemFault);
- :class:`~qbo_sync.errors.ServerError` with HTTP 500 at most
  ``retry_http_500`` times per call (Intuit: "resubmit once").

Nothing else is retried: validation, auth, stale object, not found and
duplicate errors would fail the same way again. Writes are safe to retry
only because the client fixes the ``requestid`` before the first attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import attrs
import tenacity

from qbo_sync.errors import QBOError, ServerError, ThrottledError, TransportError

__all__ = ["RetryEvent", "RetryPolicy", "RetryState", "backoff_disabled", "disable_backoff"]

T = TypeVar("T")

_log = logging.getLogger("qbo_sync.http.retry")
_NO_BACKOFF: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "qbo_sync_no_backoff", default=False
)


@contextlib.contextmanager
def disable_backoff() -> Iterator[None]:
    """Within this block, retries happen at once, without sleeping.

    For tests. The switch lives in a :mod:`contextvars` variable, so it is
    scoped to the current thread / asyncio task and never leaks into other
    tests running at the same time; a thread started inside the block does
    not inherit it unless run through ``contextvars.copy_context()``.
    """
    token = _NO_BACKOFF.set(True)
    try:
        yield
    finally:
        _NO_BACKOFF.reset(token)


def backoff_disabled() -> bool:
    """Return whether :func:`disable_backoff` is active in this context."""
    return _NO_BACKOFF.get()


@attrs.frozen
class RetryEvent:
    """What the ``on_retry`` hook is told before a retry.

    Attributes:
        attempt: The attempt that just failed (1 for the first call).
        delay: Seconds the policy will wait (0 when backoff is disabled).
        error: The error that will be retried (its text is already redacted).
    """

    attempt: int
    delay: float
    error: QBOError


@attrs.define
class RetryState:
    """What one call's failed attempts so far add up to (fed to :meth:`RetryPolicy.next_wait`).

    Attributes:
        attempts: Attempts that failed so far.
        http_500: Of those, HTTP 500s that were retried.
        throttles: Of those, throttles (the throttle backoff doubles with each).
    """

    attempts: int = 0
    http_500: int = 0
    throttles: int = 0


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"RetryPolicy.{attribute.name} must be >= 0, got {value!r}")


def _at_least_one(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"RetryPolicy.{attribute.name} must be >= 1, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How failed requests are retried.

    Attributes:
        max_attempts: Attempts per call, the first included (1 = never retry).
        retry_http_500: How many times an HTTP 500 is retried per call
            (default 1: Intuit says "resubmit once"; 0 turns it off).
        base_delay: First backoff for server and transport errors, seconds.
        max_delay: Cap of the server/transport backoff, seconds.
        throttle_base_delay: First backoff after a throttle without
            ``Retry-After``; it doubles towards ``throttle_max_delay``.
        throttle_max_delay: Cap of the throttle backoff (Intuit: wait 60 s).
        max_retry_after: A server ``Retry-After`` above this is clamped to it.
        jitter: Fraction of randomness added to delays (0 disables it).
        sleep: Called with the delay in seconds (inject a fake in tests).
        async_sleep: Awaited with the delay by :meth:`acall` (default
            :func:`asyncio.sleep`; inject a fake in tests).
        rng: Source of jitter (inject a seeded one for reproducible delays).
    """

    max_attempts: int = attrs.field(default=5, validator=_at_least_one)
    retry_http_500: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    base_delay: float = attrs.field(default=0.5, validator=_positive)
    max_delay: float = attrs.field(default=30.0, validator=_positive)
    throttle_base_delay: float = attrs.field(default=15.0, validator=_positive)
    throttle_max_delay: float = attrs.field(default=60.0, validator=_positive)
    max_retry_after: float = attrs.field(default=300.0, validator=_positive)
    jitter: float = attrs.field(default=0.1, validator=_positive)
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=asyncio.sleep, repr=False
    )
    rng: random.Random = attrs.field(factory=random.Random, repr=False)

    def is_retryable(self, error: BaseException, *, http_500_retries: int = 0) -> bool:
        """The one predicate: may this error be retried?

        Args:
            error: What the attempt raised.
            http_500_retries: How many HTTP 500s this call already retried.

        Returns:
            ``True`` for transport errors, throttling, 502/503/504 and status-less
            server faults, and HTTP 500 while fewer than ``retry_http_500``
            retries were spent on it; ``False`` for everything else.
        """
        if isinstance(error, TransportError | ThrottledError):
            return True
        if isinstance(error, ServerError):
            if error.status == 500:
                return http_500_retries < self.retry_http_500
            return error.status is None or error.status in (502, 503, 504)
        return False

    def delay_for(self, error: BaseException, *, attempt: int, throttles: int = 1) -> float:
        """Seconds to wait before retrying after ``error``.

        Args:
            error: The retryable error.
            attempt: The attempt that failed (1-based).
            throttles: How many throttle errors this call has met, this one
                included (the throttle backoff doubles with each).

        Returns:
            ``Retry-After`` (clamped to ``max_retry_after``) plus up to one
            second of jitter when the server said how long; otherwise an
            exponential delay with jitter, capped.
        """
        if isinstance(error, ThrottledError):
            if error.retry_after is not None:
                wait = min(error.retry_after, self.max_retry_after)
                # A little jitter so workers told the same moment do not stampede.
                return float(wait + self.rng.random() * min(1.0, self.jitter * 10))
            base = min(self.throttle_max_delay, self.throttle_base_delay * 2.0 ** (throttles - 1))
            return float(base * (1 + self.jitter * self.rng.random()))
        base = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        # Equal jitter: never less than half the step, never above the cap.
        return min(self.max_delay, base / 2 + self.rng.random() * base / 2)

    def next_wait(self, state: RetryState, error: BaseException) -> float | None:
        """The one retry step: after a failed attempt, retry (after how long) or give up?

        Pure apart from the jitter drawn from ``rng``; both retry loops drive it.

        Args:
            state: This call's state; updated with the failure.
            error: What the attempt raised.

        Returns:
            Seconds to wait before the next attempt (0 inside
            :func:`disable_backoff`), or ``None`` to give up and raise ``error``:
            it is not retryable, or the attempts are spent.
        """
        state.attempts += 1
        if not self.is_retryable(error, http_500_retries=state.http_500):
            return None
        if isinstance(error, ServerError) and error.status == 500:
            state.http_500 += 1
        if isinstance(error, ThrottledError):
            state.throttles += 1
        if state.attempts >= self.max_attempts:
            return None
        if backoff_disabled():
            return 0.0
        return self.delay_for(error, attempt=state.attempts, throttles=max(1, state.throttles))

    def _announce(
        self, state: RetryState, delay: float, error: BaseException | None,
        on_retry: Callable[[RetryEvent], None] | None,
    ) -> None:
        assert isinstance(error, QBOError)
        _log.info(
            "retrying after %s (attempt %d of %d, code=%s, status=%s, intuit_tid=%s) in %.2fs",
            type(error).__name__,
            state.attempts,
            self.max_attempts,
            error.code,
            error.status,
            error.intuit_tid,
            delay,
        )
        if on_retry is not None:
            on_retry(RetryEvent(attempt=state.attempts, delay=delay, error=error))

    def _tenacity_options(
        self, on_retry: Callable[[RetryEvent], None] | None
    ) -> dict[str, Any]:
        # tenacity runs the loop; every decision is next_wait's.
        state = RetryState()
        planned: list[float] = [0.0]

        def retry(call_state: tenacity.RetryCallState) -> bool:
            outcome = call_state.outcome
            if outcome is None or not outcome.failed:
                return False
            error = outcome.exception()
            wait = None if error is None else self.next_wait(state, error)
            if wait is None:
                return False
            planned[0] = wait
            return True

        def before_sleep(call_state: tenacity.RetryCallState) -> None:
            assert call_state.outcome is not None
            self._announce(state, planned[0], call_state.outcome.exception(), on_retry)

        return {
            "stop": tenacity.stop_never,
            "retry": retry,
            "wait": lambda _: planned[0],
            "before_sleep": before_sleep,
            "reraise": True,
        }

    def call(
        self,
        fn: Callable[[], T],
        *,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> T:
        """Run ``fn``, retrying it as this policy says.

        Args:
            fn: The attempt; it raises :class:`~qbo_sync.errors.QBOError`
                subclasses on failure. Every attempt must be safe to repeat
                (reuse the same ``requestid``).
            on_retry: Called before each retry (for logging/metrics).

        Returns:
            What ``fn`` returned on the first successful attempt.

        Raises:
            QBOError: The last error, when it is not retryable or the attempts
                are spent. Any other exception propagates at once.
        """

        def sleep(seconds: float) -> None:
            if seconds > 0 and not backoff_disabled():
                self.sleep(seconds)

        retrying = tenacity.Retrying(sleep=sleep, **self._tenacity_options(on_retry))
        return retrying(fn)

    async def acall(
        self,
        fn: Callable[[], Awaitable[T]],
        *,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> T:
        """The asyncio twin of :meth:`call`: same decisions, waits with ``async_sleep``.

        Args:
            fn: Returns a new awaitable attempt each time it is called.
            on_retry: Called before each retry (for logging/metrics).

        Returns:
            What the first successful attempt returned.

        Raises:
            QBOError: The last error, when it is not retryable or the attempts
                are spent. Any other exception propagates at once.
        """

        async def sleep(seconds: float) -> None:
            if seconds > 0 and not backoff_disabled():
                await self.async_sleep(seconds)

        async def attempt() -> T:
            # A coroutine function, so tenacity awaits it (fn may be a lambda).
            return await fn()

        retrying = tenacity.AsyncRetrying(sleep=sleep, **self._tenacity_options(on_retry))
        result: T = await retrying(attempt)
        return result
