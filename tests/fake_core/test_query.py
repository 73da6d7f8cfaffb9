"""The query language: a table of query strings and what they return, and bad queries."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def books(api: Any) -> Any:
    """Five customers (one inactive) and three invoices."""
    for name in (
        "Amy's Bird Sanctuary",
        "Bill's Windsurf Shop",
        "Cool Cars",
        "Diego Rodriguez",
        "Robertson & Associates",
    ):
        api.customer(name)
    inactive = api.query("SELECT * FROM Customer WHERE DisplayName = 'Diego Rodriguez'")
    api.create(
        "Customer",
        {"Id": inactive["Customer"][0]["Id"], "SyncToken": "0", "sparse": True, "Active": False},
    )
    api.invoice("1", "100.00")
    api.clock.advance(days=1)
    api.invoice("2", "300.00")
    api.invoice("2", "337.50")
    return api


CASES = [
    ("SELECT * FROM Customer", ["1", "2", "3", "5"]),
    ("select * from customer", ["1", "2", "3", "5"]),
    ("SELECT * FROM Customer WHERE DisplayName = 'Amy\\'s Bird Sanctuary'", ["1"]),
    ("SELECT * FROM Customer WHERE DisplayName = 'amy\\'s bird sanctuary'", ["1"]),
    ("SELECT * FROM Customer WHERE DisplayName = 'Robertson & Associates'", ["5"]),
    ("SELECT * FROM Customer WHERE DisplayName LIKE 'B%'", ["2"]),
    ("SELECT * FROM Customer WHERE DisplayName LIKE '%Ca%'", ["3"]),
    ("SELECT * FROM Customer WHERE Id IN ('1', '3', '4')", ["1", "3"]),
    ("SELECT * FROM Customer WHERE Active IN (true, false)", ["1", "2", "3", "4", "5"]),
    ("SELECT * FROM Customer WHERE Active = false", ["4"]),
    ("SELECT * FROM Customer WHERE Active IN ( true, false ) AND Id > '3'", ["4", "5"]),
    ("SELECT * FROM Customer ORDERBY DisplayName DESC", ["5", "3", "2", "1"]),
    ("SELECT * FROM Customer ORDER BY Id DESC MAXRESULTS 2", ["5", "3"]),
    ("SELECT * FROM Customer STARTPOSITION 2 MAXRESULTS 2", ["2", "3"]),
    ("SELECT * FROM Customer MAXRESULTS 2 STARTPOSITION 4", ["5"]),
    ("SELECT * FROM Customer STARTPOSITION 9", []),
    ("SELECT * FROM Invoice WHERE TotalAmt > '300.00'", ["3"]),
    ("SELECT * FROM Invoice WHERE TotalAmt >= '300.00' ORDERBY TotalAmt DESC", ["3", "2"]),
    ("SELECT * FROM Invoice WHERE CustomerRef = '2'", ["2", "3"]),
    (
        "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '2026-01-05T10:00:00-08:00'",
        ["2", "3"],
    ),
    ("SELECT * FROM Invoice WHERE MetaData.CreateTime < '2026-01-06'", ["1"]),
    ("SELECT * FROM Invoice WHERE TxnDate = '2026-01-06' AND CustomerRef = '2'", ["2", "3"]),
    ("SELECT * FROM Invoice WHERE DocNumber = '1002'", ["2"]),
    ("SELECT * FROM Invoice WHERE Balance < '200' ORDERBY Id", ["1"]),
    ("SELECT *, Sku FROM Item", ["1"]),
]


@pytest.mark.parametrize(("text", "ids"), CASES)
def test_query_table(books: Any, text: str, ids: list[str]) -> None:
    """Each query returns exactly the expected ids, in order."""
    response = books.query(text)
    if not ids:
        assert response == {}
        return
    entity = next(key for key in response if key not in ("startPosition", "maxResults"))
    assert [row["Id"] for row in response[entity]] == ids
    assert response["maxResults"] == len(ids)


def test_start_position_is_echoed(books: Any) -> None:
    """QueryResponse echoes startPosition and counts returned rows in maxResults."""
    response = books.query("SELECT * FROM Customer STARTPOSITION 3 MAXRESULTS 1")
    assert (response["startPosition"], response["maxResults"]) == (3, 1)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("SELECT COUNT(*) FROM Customer", 4),
        ("select count(*) from Customer where Active in (true,false)", 5),
        ("SELECT COUNT(*) FROM Invoice WHERE CustomerRef = '2' MAXRESULTS 1", 2),
        ("SELECT COUNT(*) FROM Payment", 0),
    ],
)
def test_count(books: Any, text: str, count: int) -> None:
    """COUNT(*) answers totalCount only, ignoring paging."""
    assert books.query(text) == {"totalCount": count}


def test_projection_returns_sparse_rows(books: Any) -> None:
    """SELECT Id, DisplayName returns only those properties, marked sparse."""
    rows = books.query("SELECT Id, DisplayName FROM Customer WHERE Id = '1'")["Customer"]
    assert rows == [
        {"domain": "QBO", "sparse": True, "Id": "1", "DisplayName": "Amy's Bird Sanctuary"}
    ]


def test_default_page_is_100(api: Any) -> None:
    """Without MAXRESULTS a query returns at most 100 rows."""
    for n in range(105):
        api.ledger.seed(api.realm, "Vendor", {"DisplayName": f"Vendor {n:03d}"})
    assert api.query("SELECT * FROM Vendor")["maxResults"] == 100
    assert api.query("SELECT * FROM Vendor MAXRESULTS 1000")["maxResults"] == 105


def test_post_query_with_application_text(books: Any) -> None:
    """POST query with the statement as an application/text body works like GET."""
    data = books.ok("POST", "query", {}, "SELECT * FROM Customer WHERE Id = '2'")
    assert data["QueryResponse"]["Customer"][0]["DisplayName"] == "Bill's Windsurf Shop"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT * FROM Custmoer", "4001"),
        ("SELECT * FROM Customer MAXRESULTS 1001", "4001"),
        ("SELECT * FROM Customer WHERE Nonsense = '1'", "4001"),
        ("SELECT * FROM Customer MAXRESULTS 0", "4001"),
        ("SELECT Bogus FROM Customer", "4001"),
        ("SELECT * FROM Customer WHERE DisplayName = 'a' OR Id = '1'", "4000"),
        ("SELECT * FROM Customer WHERE DisplayName = 'unterminated", "4000"),
        ("SELECT * FROM Customer WHERE", "4000"),
        ("SELECT * FROM Customer WHERE Id IN ('1'", "4000"),
        ("SELECT * FROM Customer WHERE Id ~ '1'", "4000"),
        ("SELECT * FROM Customer MAXRESULTS ten", "4000"),
        ("SELECT * FROM Customer GARBAGE", "4000"),
        ("SELECT COUNT(Id) FROM Customer", "4000"),
        ("DELETE FROM Customer", "4000"),
        ("SELECT * Customer", "4000"),
    ],
)
def test_bad_queries(books: Any, text: str, code: str) -> None:
    """Unparseable queries are 4000, invalid ones 4001 (as error/400.yml records)."""
    error = books.fault("GET", "query", {"query": text})
    assert error["code"] == code
    assert error["Message"] == ("Invalid query" if code == "4001" else "Error parsing query")
