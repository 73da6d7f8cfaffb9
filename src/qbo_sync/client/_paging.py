"""Query pages and the pure rules that decide when paging stops.

QBO pages with ``STARTPOSITION`` (1-based) and ``MAXRESULTS`` (at most 1000).
The response's ``maxResults`` is the number of rows *returned*, not the page
size asked for, and an exhausted query answers ``"QueryResponse": {}``. So the
only safe rule is the one node-quickbooks uses: keep asking until a page comes
back shorter than the page size (an empty page is the shortest page).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from qbo_sync.errors import PayloadError

__all__ = [
    "AsyncPage",
    "Page",
    "PageBase",
    "QueryPayload",
    "next_start_position",
    "parse_query_response",
]

T = TypeVar("T")

_META_KEYS = frozenset({"startPosition", "maxResults", "totalCount"})


def next_start_position(start_position: int, page_size: int, received: int) -> int | None:
    """Decide where the next page starts.

    Args:
        start_position: 1-based position of the page just read.
        page_size: The ``MAXRESULTS`` that was asked for.
        received: How many rows came back.

    Returns:
        The next ``STARTPOSITION``, or ``None`` when the page was short or
        empty, which means there is nothing more.
    """
    if received < page_size or received == 0:
        return None
    return start_position + received


@attrs.frozen
class QueryPayload:
    """The parts of one ``QueryResponse`` object.

    Attributes:
        entity: The entity key found (``"Customer"``), or ``None`` for an
            empty page or a count.
        rows: The raw entity dicts, in order.
        start_position: ``startPosition`` as sent by QBO, if present.
        total_count: ``totalCount`` (``COUNT(*)`` queries), if present.
    """

    entity: str | None
    rows: tuple[Mapping[str, Any], ...]
    start_position: int | None
    total_count: int | None


def _int_or_none(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"QueryResponse.{key}: expected an integer, got {value!r}", path=key)
    return value


def parse_query_response(query_response: object) -> QueryPayload:
    """Read a ``QueryResponse`` object (the value, not the envelope).

    Raises:
        PayloadError: When the shape is not a QueryResponse.
    """
    if not isinstance(query_response, Mapping):
        raise PayloadError(
            f"QueryResponse: expected an object, got {type(query_response).__name__}",
            path="QueryResponse",
        )
    entity: str | None = None
    rows: tuple[Mapping[str, Any], ...] = ()
    for key, value in query_response.items():
        if key in _META_KEYS:
            continue
        if isinstance(value, list):
            if entity is not None:
                raise PayloadError(
                    f"QueryResponse: more than one entity list ({entity}, {key})",
                    path="QueryResponse",
                )
            for i, row in enumerate(value):
                if not isinstance(row, Mapping):
                    raise PayloadError(
                        f"QueryResponse.{key}[{i}]: expected an object", entity=key,
                        path=f"{key}[{i}]",
                    )
            entity, rows = key, tuple(value)
    return QueryPayload(
        entity=entity,
        rows=rows,
        start_position=_int_or_none(query_response, "startPosition"),
        total_count=_int_or_none(query_response, "totalCount"),
    )


@attrs.frozen
class PageBase(Generic[T]):
    """What :class:`Page` and :class:`AsyncPage` share: the items and the next-page rule."""

    items: Sequence[T]
    start_position: int
    page_size: int
    intuit_tid: str | None = None
    total_count: int | None = None

    @property
    def next_start_position(self) -> int | None:
        """Where the next page starts, or ``None`` if this is the last page."""
        return next_start_position(self.start_position, self.page_size, len(self.items))

    @property
    def has_more(self) -> bool:
        """Whether another page may exist (this page was full)."""
        return self.next_start_position is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen
class Page(PageBase[T]):
    """One page of query results, for callers who want to drive paging.

    Iterating a page yields its items; :meth:`next_page` fetches the following
    page (or returns ``None`` after a short or empty page).

    Attributes:
        items: The entities on this page.
        start_position: The 1-based ``STARTPOSITION`` this page was asked for.
        page_size: The ``MAXRESULTS`` asked for.
        intuit_tid: Intuit's transaction id of the response.
        total_count: ``totalCount`` if QBO sent one.
    """

    _fetch: Callable[[int], Page[T]] | None = attrs.field(
        default=None, repr=False, eq=False, alias="fetch"
    )

    def next_page(self) -> Page[T] | None:
        """Fetch the next page, or return ``None`` when this one was the last."""
        start = self.next_start_position
        if start is None or self._fetch is None:
            return None
        return self._fetch(start)

    def with_fetch(self, fetch: Callable[[int], Page[T]] | None) -> Page[T]:
        """This page, fetching the next one with ``fetch(start_position)``."""
        return Page(self.items, self.start_position, self.page_size, self.intuit_tid,
                    self.total_count, fetch=fetch)


@attrs.frozen
class AsyncPage(PageBase[T]):
    """One page of query results from :class:`~qbo_sync.AsyncQBOClient`.

    Like :class:`Page`, but ``await page.next_page()`` fetches the next one.

    Attributes:
        items: The entities on this page.
        start_position: The 1-based ``STARTPOSITION`` this page was asked for.
        page_size: The ``MAXRESULTS`` asked for.
        intuit_tid: Intuit's transaction id of the response.
        total_count: ``totalCount`` if QBO sent one.
    """

    _fetch: Callable[[int], Awaitable[AsyncPage[T]]] | None = attrs.field(
        default=None, repr=False, eq=False, alias="fetch"
    )

    @classmethod
    def of(
        cls, page: Page[T], fetch: Callable[[int], Awaitable[AsyncPage[T]]] | None
    ) -> AsyncPage[T]:
        """The async page with ``page``'s content, fetching the next with ``fetch``."""
        return cls(page.items, page.start_position, page.page_size, page.intuit_tid,
                   page.total_count, fetch=fetch)

    async def next_page(self) -> AsyncPage[T] | None:
        """Fetch the next page, or return ``None`` when this one was the last."""
        start = self.next_start_position
        if start is None or self._fetch is None:
            return None
        return await self._fetch(start)
