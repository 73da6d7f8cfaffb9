"""Query pagination: what is requested, when it stops, and that it streams."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from qbo_sync import models
from qbo_sync.client import Query
from qbo_sync.client._paging import next_start_position, parse_query_response
from qbo_sync.errors import PayloadError, QueryError

_PAGE = re.compile(r"STARTPOSITION (\d+) MAXRESULTS (\d+)")


def store_handler(total: int, reply: Callable[..., httpx.Response]) -> Callable[..., Any]:
    """Serve ``total`` customers page by page, like QBO (empty page -> ``{}``)."""

    def handler(request: httpx.Request) -> httpx.Response:
        statement = request.url.params["query"]
        if statement.startswith("SELECT COUNT(*)"):
            return reply({"QueryResponse": {"totalCount": total}})
        match = _PAGE.search(statement)
        assert match, statement
        start, size = int(match[1]), int(match[2])
        rows = [
            {"Id": str(i), "SyncToken": "0", "DisplayName": f"C{i}"}
            for i in range(start, min(total, start + size - 1) + 1)
        ]
        if not rows:
            return reply({"QueryResponse": {}, "time": "2024-01-01T00:00:00-08:00"})
        return reply({"QueryResponse": {"Customer": rows, "startPosition": start,
                                        "maxResults": len(rows)}}, tid=f"tid-{start}")

    return handler


@pytest.mark.parametrize(
    ("start", "size", "received", "expected"),
    [(1, 1000, 1000, 1001), (1, 1000, 999, None), (1, 1000, 0, None), (6, 5, 5, 11), (1, 1, 1, 2)],
)
def test_next_start_position_rule(
    start: int, size: int, received: int, expected: int | None
) -> None:
    """A full page moves on by its length; a short or empty page ends paging."""
    assert next_start_position(start, size, received) == expected


def test_parse_query_response_shapes() -> None:
    """Entity lists, empty pages and counts are read; two lists are refused."""
    page = parse_query_response({"Vendor": [{"Id": "1"}], "startPosition": 1, "maxResults": 1})
    assert (page.entity, len(page.rows), page.start_position) == ("Vendor", 1, 1)
    empty = parse_query_response({})
    assert (empty.entity, empty.rows, empty.total_count) == (None, (), None)
    assert parse_query_response({"totalCount": 41}).total_count == 41
    with pytest.raises(PayloadError, match="more than one"):
        parse_query_response({"A": [], "B": []})
    with pytest.raises(PayloadError, match="expected an object"):
        parse_query_response([1])


@pytest.mark.parametrize(("total", "requests"), [(2500, 3), (2000, 3), (999, 1), (0, 1)])
def test_auto_pagination_stops_on_short_or_empty_page(
    make_client: Any, reply: Any, total: int, requests: int
) -> None:
    """MAXRESULTS 1000 pages; a full last page is followed by one empty ``{}`` page."""
    client, rec = make_client(store_handler(total, reply))
    ids = [c.id for c in client.customers.query()]
    assert ids == [str(i) for i in range(1, total + 1)]
    assert len(rec.requests) == requests
    statements = [r.url.params["query"] for r in rec.requests]
    assert statements[0] == "SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 1000"
    if requests > 1:
        assert statements[1] == "SELECT * FROM Customer STARTPOSITION 1001 MAXRESULTS 1000"


def test_iteration_streams_one_page_at_a_time(make_client: Any, reply: Any) -> None:
    """The iterator is lazy: nothing is sent until iterated, then one page per need."""
    client, rec = make_client(store_handler(25, reply))
    it = client.customers.query(page_size=10)
    assert rec.requests == []
    first = next(it)
    assert isinstance(first, models.Customer)
    assert len(rec.requests) == 1
    for _ in range(10):
        next(it)
    assert len(rec.requests) == 2
    assert len(list(it)) == 14
    assert len(rec.requests) == 3


def test_limit_and_page_size(make_client: Any, reply: Any) -> None:
    """limit stops early and shrinks the page size; page_size is validated."""
    client, rec = make_client(store_handler(50, reply), page_size=20)
    assert [c.id for c in client.query(Query("Customer"), limit=3)] == ["1", "2", "3"]
    assert rec.requests[0].url.params["query"].endswith("MAXRESULTS 3")
    assert len(list(client.query(Query("Customer")))) == 50
    assert len(rec.requests) == 1 + 3
    assert list(client.query(Query("Customer"), limit=0)) == []
    with pytest.raises(QueryError, match=r"1\.\.1000"):
        client.query_page(Query("Customer"), page_size=0)


def test_page_object_gives_control(make_client: Any, reply: Any) -> None:
    """A Page carries position, items, intuit_tid and fetches the next page."""
    client, _ = make_client(store_handler(12, reply))
    page = client.customers.query_page(page_size=5)
    assert (page.start_position, len(page), page.intuit_tid, page.has_more) == (1, 5, "tid-1", True)
    second = page.next_page()
    assert second is not None
    assert (second.start_position, [c.id for c in second]) == (6, ["6", "7", "8", "9", "10"])
    third = second.next_page()
    assert third is not None
    assert (len(third), third.has_more, third.next_page()) == (2, False, None)


def test_raw_statement_paging_and_raw_rows(make_client: Any, reply: Any) -> None:
    """A SELECT string gets paging appended; raw=True yields wire dicts."""
    client, rec = make_client(store_handler(3, reply))
    rows = list(client.query("SELECT * FROM Customer", raw=True))
    assert rows[0] == {"Id": "1", "SyncToken": "0", "DisplayName": "C1"}
    assert rec.last.url.params["query"] == "SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 1000"
    with pytest.raises(QueryError, match="already pages"):
        client.query_page("SELECT * FROM Customer MAXRESULTS 5")


def test_count_and_first(make_client: Any, reply: Any) -> None:
    """count() sends COUNT(*) with the conditions; first() returns one or None."""
    client, rec = make_client(store_handler(41, reply))
    assert client.customers.count(Active=True) == 41
    assert rec.last.url.params["query"] == "SELECT COUNT(*) FROM Customer WHERE Active = true"
    assert client.count("Customer") == 41
    first = client.customers.first(DisplayName="C1")
    assert first is not None
    assert first.display_name == "C1"
    empty_client, _ = make_client(store_handler(0, reply))
    assert empty_client.customers.first() is None


def test_service_refuses_query_on_other_entity(make_client: Any, reply: Any) -> None:
    """A service's query must be on its own entity."""
    client, _ = make_client(store_handler(0, reply))
    with pytest.raises(Exception, match="Customer service got a query on Invoice"):
        client.customers.query(Query("Invoice"))
