"""Simulated process deaths, for testing that a sync resumes without duplicates.

A real crash cannot be caught; these raise :class:`SimulatedCrash`, which is
not a :class:`~qbo_sync.errors.QBOError`, so nothing in qbo_sync catches it and
the run stops where it is, as if the process had died. Build a new client and
engine on the same store afterwards: that is the restarted process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

import httpx

if TYPE_CHECKING:
    from qbo_sync.storage import EntityLink, LinkStore

__all__ = ["CrashPoint", "CrashingTransport", "SimulatedCrash"]

T = TypeVar("T")


class SimulatedCrash(Exception):  # noqa: N818 - it stands for the process dying
    """The simulated process died (qbo_sync never catches it)."""


class CrashPoint:
    """Dies at the ``at``-th call it sees, before or after running it; every later call dies too.

    Share one between a transport and a store to crash at the n-th of either
    (``CrashingTransport(..., point=point)`` and ``with point.saves_of(store):``).

    Args:
        at: Which call dies (1: the first).
        after: Run that call first (QBO committed, the answer is lost), then die.
    """

    def __init__(self, at: int = 1, *, after: bool = False) -> None:
        if at < 1:
            raise ValueError(f"CrashPoint: at must be >= 1, got {at}")
        self.left = at
        self.after = after
        self.dead = False

    def around(self, call: Callable[[], T]) -> T:
        """Run ``call``, or die instead of (or right after) it."""
        if self.dead:
            raise SimulatedCrash("the process is dead")
        self.left -= 1
        if self.left > 0:
            return call()
        self.dead = True
        if not self.after:
            raise SimulatedCrash("died before the call")
        call()
        raise SimulatedCrash("died after the call")

    @contextlib.contextmanager
    def saves_of(self, store: LinkStore) -> Iterator[None]:
        """Inside the block, each ``store.save_links`` call counts toward this point.

        Dying "before" loses the links of that batch; "after" saves them and
        dies before the engine goes on. The store's own ``save_links`` is back
        after the block (a restarted process has a working store).
        """
        save = store.save_links

        def dying_save(links: Iterable[EntityLink]) -> None:
            batch = list(links)
            self.around(lambda: save(batch))

        store.save_links = dying_save  # type: ignore[method-assign]
        try:
            yield
        finally:
            vars(store).pop("save_links", None)


class CrashingTransport(httpx.BaseTransport):
    """An ``httpx`` transport that dies at the first request ``when`` accepts.

    Example: die right after QBO committed the first batch write::

        crash = CrashingTransport(fake.transport(), lambda r: r.url.path.endswith("/batch"),
                                  after=True)

    Args:
        inner: The real transport (``fake.transport()``).
        when: Which requests count toward the crash (default: every one).
        after: Let the fatal request reach QBO, then die (a lost answer).
        point: A :class:`CrashPoint` to use (shared with other wrappers);
            default ``CrashPoint(1, after=after)``.

    Attributes:
        seen: Every request, as ``(method, path, requestid)``.
    """

    def __init__(self, inner: httpx.BaseTransport,
                 when: Callable[[httpx.Request], bool] | None = None, *,
                 after: bool = False, point: CrashPoint | None = None) -> None:
        self.inner = inner
        self.when = when
        self.point = point if point is not None else CrashPoint(1, after=after)
        self.seen: list[tuple[str, str, str | None]] = []

    @property
    def fired(self) -> bool:
        """Whether the process has died."""
        return self.point.dead

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send, or die."""
        self.seen.append((request.method, request.url.path, request.url.params.get("requestid")))
        if self.when is None or self.when(request):
            response: httpx.Response = self.point.around(
                lambda: self.inner.handle_request(request))
            return response
        if self.point.dead:
            raise SimulatedCrash("the process is dead")
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()
