"""Real and virtual time for the fake QBO (and for the client's pacer and retry).

A :class:`FakeClock` lets a test or benchmark cover an hour of QBO traffic in
seconds: every ``sleep()`` advances virtual time instead of waiting, so a pacer
or a retry policy given ``clock.monotonic`` and ``clock.sleep`` runs at full
speed while the fake's rate limits, token lifetimes and timestamps all see the
same virtual time.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from qbo_sync.errors import ConfigurationError

__all__ = ["Clock", "FakeClock", "RealClock"]

#: Where a FakeClock starts when no start time is given: a fixed, recent instant,
#: so recorded timestamps are reproducible from run to run.
DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)


@runtime_checkable
class Clock(Protocol):
    """What the fake (and qbo_sync's pacer and retry) need from a clock."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def monotonic(self) -> float:
        """A clock that never goes backwards, in seconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (really or virtually) for ``seconds``."""
        ...


class RealClock:
    """Wall-clock time; ``sleep`` really sleeps. The fake's default."""

    def now(self) -> datetime:
        """The current UTC instant."""
        return datetime.now(timezone.utc)

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        return _time.time()

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return _time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)``."""
        if seconds > 0:
            _time.sleep(seconds)

    def __repr__(self) -> str:
        return "RealClock()"


class FakeClock:
    """Virtual time: it only moves when told to (``advance`` or ``sleep``).

    Thread-safe. Pass ``clock.monotonic`` / ``clock.sleep`` (or the clock
    itself) to anything that paces or backs off, and the same clock to
    ``FakeQBO(clock=...)``, so waiting costs no wall time.

    Args:
        start: The initial instant (naive datetimes are taken as UTC), or
            seconds since the epoch. Defaults to 2026-01-05T09:00:00Z.

    Raises:
        ConfigurationError: If ``start`` is neither a datetime nor a number.
    """

    def __init__(self, start: datetime | float | None = None) -> None:
        if start is None:
            start = DEFAULT_START
        if isinstance(start, datetime):
            if start.tzinfo is None:
                start = start.replace(tzinfo=timezone.utc)
            epoch = start.timestamp()
        elif isinstance(start, (int, float)):
            epoch = float(start)
        else:
            raise ConfigurationError(
                f"FakeClock start must be a datetime or epoch seconds, got {type(start).__name__}"
            )
        self._start = epoch
        self._now = epoch
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current virtual instant (UTC)."""
        return datetime.fromtimestamp(self.time(), timezone.utc)

    def time(self) -> float:
        """Virtual seconds since the Unix epoch."""
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """Same as :meth:`time`: virtual time never goes backwards."""
        return self.time()

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the clock was created."""
        with self._lock:
            return self._now - self._start

    def advance(self, seconds: float | timedelta) -> None:
        """Move virtual time forward.

        Args:
            seconds: How far, in seconds or as a timedelta.

        Raises:
            ConfigurationError: If ``seconds`` is negative (time never goes back).
        """
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        if step < 0:
            raise ConfigurationError(f"FakeClock cannot go backwards (advance({step}))")
        with self._lock:
            self._now += step

    def sleep(self, seconds: float) -> None:
        """Advance virtual time by ``seconds`` at once (negative waits are no-ops)."""
        if seconds > 0:
            self.advance(seconds)

    def __call__(self) -> float:
        """Let the clock itself stand in for a ``() -> float`` time function."""
        return self.time()

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now().isoformat()})"
