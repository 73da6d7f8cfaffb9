"""Fault injection: make the fake fail the way QBO and networks do.

Two sources of faults, checked in this order for every request:

* scheduled rules, ``fake.faults.fail_next(2, status=503, path="/invoice")``:
  the next N matching requests get the fault, then the rule is spent;
* random faults, ``fake.faults.random(0.05, kinds=[...])``: each matching
  request fails with that probability, drawn from a seeded generator so a
  failing run can be replayed.

A ``drop`` fault commits the write in the ledger and then breaks the
connection: the client cannot tell whether it happened, which is exactly the
case where a write without ``requestid`` makes a duplicate.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Sequence
from typing import Literal

import attrs

from qbo_sync.errors import ConfigurationError

__all__ = ["Fault", "FaultInjector", "FaultKind", "FaultRule"]

FaultKind = Literal["error", "throttle", "timeout", "drop", "latency"]
_KINDS = ("error", "throttle", "timeout", "drop", "latency")


@attrs.frozen(kw_only=True)
class Fault:
    """One thing to do to a request.

    Attributes:
        kind: ``error`` (an HTTP ``status`` 500/502/503/504), ``throttle``
            (429 with the real 3001 fault), ``timeout`` (the client sees
            ``httpx.ReadTimeout``), ``drop`` (the connection breaks: in process
            ``httpx.RemoteProtocolError``), ``latency`` (the request takes
            ``seconds`` longer, then succeeds).
        status: HTTP status for ``error``.
        seconds: Added latency for ``latency``; for ``timeout`` over real HTTP,
            how long the server holds the answer (exceed the client's timeout).
        commit: For ``timeout``: let the request reach the ledger first (a write
            happens, the answer is lost). ``drop`` always commits.
    """

    kind: FaultKind
    status: int = 503
    seconds: float = 0.0
    commit: bool = False

    def __attrs_post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ConfigurationError(f"unknown fault kind {self.kind!r}; use one of {_KINDS}")
        if self.kind == "error" and self.status not in (500, 502, 503, 504):
            raise ConfigurationError(f"error faults use status 500/502/503/504, not {self.status}")
        if self.seconds < 0:
            raise ConfigurationError(f"fault seconds must be >= 0, got {self.seconds}")


@attrs.define(kw_only=True)
class FaultRule:
    """A scheduled fault: applies to the next ``remaining`` matching requests.

    Attributes:
        fault: What happens.
        remaining: How many more requests it hits (None: every one, until cleared).
        method: Only this HTTP method (None: any).
        path: Regular expression searched in the request path (None: any
            Accounting API request, i.e. paths under ``/v3/``).
        realm_id: Only this company (None: any).
        hits: How many requests it has hit so far.
    """

    fault: Fault
    remaining: int | None
    method: str | None = None
    path: str | None = None
    realm_id: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str, realm_id: str | None) -> bool:
        """Whether this rule applies to the request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.realm_id is not None and self.realm_id != realm_id:
            return False
        if self.path is None:
            return path.startswith("/v3/")
        return re.search(self.path, path) is not None


class FaultInjector:
    """Holds the fault rules of one fake. Reach it as ``fake.faults``. Thread-safe.

    Args:
        seed: Seed for random faults (None: unpredictable).
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random: list[tuple[float, tuple[Fault, ...], FaultRule]] = []
        self._rng = random.Random(seed)
        self.injected = 0

    def schedule(
        self,
        fault: Fault,
        count: int | None = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        realm_id: str | None = None,
    ) -> FaultRule:
        """Apply ``fault`` to the next ``count`` matching requests (None: all of them).

        Returns:
            The rule; read ``rule.hits`` to see how often it fired.

        Raises:
            ConfigurationError: If ``count`` is below 1 or ``path`` is not a valid regex.
        """
        if count is not None and count < 1:
            raise ConfigurationError(f"fault count must be >= 1 or None, got {count}")
        _check_pattern(path)
        rule = FaultRule(fault=fault, remaining=count, method=method, path=path, realm_id=realm_id)
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        method: str | None = None,
        path: str | None = None,
        realm_id: str | None = None,
    ) -> FaultRule:
        """The next ``count`` matching requests get HTTP ``status`` (500/502/503/504)."""
        return self.schedule(
            Fault(kind="error", status=status), count, method=method, path=path, realm_id=realm_id
        )

    def throttle_next(
        self,
        count: int = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        realm_id: str | None = None,
    ) -> FaultRule:
        """The next ``count`` matching requests get 429 ThrottleExceeded."""
        return self.schedule(
            Fault(kind="throttle"), count, method=method, path=path, realm_id=realm_id
        )

    def timeout_next(
        self,
        count: int = 1,
        *,
        commit: bool = False,
        seconds: float = 35.0,
        method: str | None = None,
        path: str | None = None,
        realm_id: str | None = None,
    ) -> FaultRule:
        """The next ``count`` matching requests time out (``httpx.ReadTimeout``).

        Args:
            count: How many requests.
            commit: Run the request in the ledger before timing out.
            seconds: Over real HTTP, how long the server holds the answer.
            method: Only this method.
            path: Only paths matching this regex.
            realm_id: Only this company.
        """
        fault = Fault(kind="timeout", commit=commit, seconds=seconds)
        return self.schedule(fault, count, method=method, path=path, realm_id=realm_id)

    def drop_after_commit(
        self,
        count: int = 1,
        *,
        method: str | None = "POST",
        path: str | None = None,
        realm_id: str | None = None,
    ) -> FaultRule:
        """The next ``count`` matching requests are committed, then the connection drops."""
        return self.schedule(Fault(kind="drop"), count, method=method, path=path, realm_id=realm_id)

    def add_latency(
        self,
        seconds: float,
        count: int | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        realm_id: str | None = None,
    ) -> FaultRule:
        """Matching requests take ``seconds`` longer (virtual time on a FakeClock)."""
        fault = Fault(kind="latency", seconds=seconds)
        return self.schedule(fault, count, method=method, path=path, realm_id=realm_id)

    def random(
        self,
        probability: float,
        *,
        kinds: Sequence[Fault] | None = None,
        method: str | None = None,
        path: str | None = None,
        realm_id: str | None = None,
    ) -> FaultRule:
        """Each matching request fails with ``probability``, picking one of ``kinds``.

        Args:
            probability: Between 0 and 1.
            kinds: Faults to choose from uniformly (default: 500, 502, 503 and 429).
            method: Only this method.
            path: Only paths matching this regex.
            realm_id: Only this company.

        Returns:
            A rule whose ``hits`` counts the faults it caused.

        Raises:
            ConfigurationError: If ``probability`` is outside [0, 1] or ``kinds`` is empty.
        """
        if not 0.0 <= probability <= 1.0:
            raise ConfigurationError(f"fault probability must be within [0, 1], got {probability}")
        choices = (
            tuple(kinds)
            if kinds is not None
            else (
                Fault(kind="error", status=500),
                Fault(kind="error", status=502),
                Fault(kind="error", status=503),
                Fault(kind="throttle"),
            )
        )
        if not choices:
            raise ConfigurationError("random faults need at least one kind")
        _check_pattern(path)
        rule = FaultRule(
            fault=choices[0], remaining=None, method=method, path=path, realm_id=realm_id
        )
        with self._lock:
            self._random.append((probability, choices, rule))
        return rule

    def clear(self) -> None:
        """Remove every scheduled and random fault."""
        with self._lock:
            self._rules.clear()
            self._random.clear()

    def pick(self, method: str, path: str, realm_id: str | None) -> Fault | None:
        """The fault for this request, if any (spends one use of a scheduled rule)."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, realm_id):
                    rule.hits += 1
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining == 0:
                            self._rules.remove(rule)
                    self.injected += 1
                    return rule.fault
            for probability, choices, rule in self._random:
                if rule.matches(method, path, realm_id) and self._rng.random() < probability:
                    rule.hits += 1
                    self.injected += 1
                    return self._rng.choice(choices)
        return None


def _check_pattern(path: str | None) -> None:
    if path is None:
        return
    try:
        re.compile(path)
    except re.error as exc:
        raise ConfigurationError(
            f"fault path {path!r} is not a valid regular expression: {exc}"
        ) from exc
