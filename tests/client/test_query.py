"""The query builder renders safe, exact QBO query text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qbo_sync.client import Query
from qbo_sync.client._query import quote_value
from qbo_sync.errors import QueryError

UTC = dt.timezone.utc


def test_issue_example_renders_exactly() -> None:
    """The issue's example escapes the apostrophe and quotes the datetime."""
    since = dt.datetime(2024, 1, 31, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    q = (
        Query("Customer")
        .where(DisplayName="Adam's")
        .where_gt("MetaData.LastUpdatedTime", since)
        .order_by("Id")
    )
    assert q.to_sql() == (
        "SELECT * FROM Customer WHERE DisplayName = 'Adam\\'s' AND "
        "MetaData.LastUpdatedTime > '2024-01-31T10:00:00-08:00' ORDERBY Id ASC"
    )


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("Adam's", "'Adam\\'s'"),
        ("back\\slash", "'back\\\\slash'"),
        ("it\\'s", "'it\\\\\\'s'"),
        ("Zoë & Ünal 株式会社", "'Zoë & Ünal 株式会社'"),
        (True, "true"),
        (False, "false"),
        (42, "'42'"),
        (Decimal("1000.50"), "'1000.50'"),
        (dt.date(2024, 2, 29), "'2024-02-29'"),
        (dt.datetime(2024, 1, 1, 12, 30, 5, 999, tzinfo=UTC), "'2024-01-01T12:30:05+00:00'"),
    ],
)
def test_values_are_quoted_and_escaped(value: object, literal: str) -> None:
    """Strings escape ' and \\ with a backslash; numbers/dates are quoted; booleans bare."""
    assert quote_value(value) == literal


def test_injection_through_a_value_stays_inside_the_literal() -> None:
    """A value that tries to close the quote and add a clause stays one literal."""
    q = Query("Customer").where(DisplayName="x' OR Id > '0")
    assert q.to_sql() == "SELECT * FROM Customer WHERE DisplayName = 'x\\' OR Id > \\'0'"


@pytest.mark.parametrize(
    "field", ["Id; DROP", "Id = '1' OR 1", "", "1abc", "Meta..Data", "Name)", "a b"]
)
def test_bad_field_names_are_refused(field: str) -> None:
    """Field names must look like QBO field paths, so nothing can be smuggled in."""
    with pytest.raises(QueryError, match="invalid query field name"):
        Query("Customer").where(field, "=", "x")


def test_bad_entity_and_order_refused() -> None:
    """Entity names and sort directions are validated too."""
    with pytest.raises(QueryError, match="entity"):
        Query("Customer WHERE 1")
    with pytest.raises(QueryError, match="ASC"):
        Query("Customer").order_by("Id", "DOWN")
    with pytest.raises(QueryError, match="field"):
        Query("Customer").order_by("Id DESC, Name")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "Decimal"),
        (None, "None"),
        (dt.datetime(2024, 1, 1), "time zone"),
        ("bell\x07", "control"),
        (object(), "cannot use"),
    ],
)
def test_unsafe_values_are_refused(value: object, message: str) -> None:
    """Floats, None, naive datetimes, control characters and odd types raise QueryError."""
    with pytest.raises(QueryError, match=message):
        Query("Invoice").where("TotalAmt", ">", value)


def test_operators_in_like_and_shortcuts() -> None:
    """All QBO operators render; lists mean IN; shortcuts cover <, <=, >=, LIKE."""
    q = (
        Query("Invoice")
        .where(Id=["1", "2"])
        .where_in("DocNumber", [1001, 1002])
        .where_like("PrivateNote", "%rush%")
        .where_lt("TotalAmt", Decimal("5"))
        .where_le("Balance", 0)
        .where_ge("TxnDate", dt.date(2024, 1, 1))
        .where("CustomerRef", "=", "58")
        .order_by("TxnDate", "desc")
        .order_by("Id")
    )
    assert q.to_sql(start_position=11, max_results=10) == (
        "SELECT * FROM Invoice WHERE Id IN ('1', '2') AND DocNumber IN ('1001', '1002') "
        "AND PrivateNote LIKE '%rush%' AND TotalAmt < '5' AND Balance <= '0' "
        "AND TxnDate >= '2024-01-01' AND CustomerRef = '58' "
        "ORDERBY TxnDate DESC, Id ASC STARTPOSITION 11 MAXRESULTS 10"
    )


def test_unsupported_operators_and_shapes() -> None:
    """!=, OR, empty IN and non-string LIKE are refused with a clear message."""
    with pytest.raises(QueryError, match="no OR or !="):
        Query("Customer").where("Id", "!=", "1")
    with pytest.raises(QueryError, match="at least one"):
        Query("Customer").where_in("Id", [])
    with pytest.raises(QueryError, match="list of values"):
        Query("Customer").where("Id", "IN", "12")
    with pytest.raises(QueryError, match="string pattern"):
        Query("Customer").where("DisplayName", "LIKE", 5)
    with pytest.raises(QueryError, match="all three"):
        Query("Customer").where("Id", "=")


def test_count_include_inactive_and_immutability() -> None:
    """count_sql keeps the conditions; every builder call returns a new Query."""
    base = Query("Employee")
    inactive = base.include_inactive()
    assert base.to_sql() == "SELECT * FROM Employee"
    assert inactive.count_sql() == "SELECT COUNT(*) FROM Employee WHERE Active IN (true, false)"
    assert str(inactive) == "SELECT * FROM Employee WHERE Active IN (true, false)"


def test_paging_bounds_checked() -> None:
    """STARTPOSITION is 1-based and MAXRESULTS at most 1000."""
    with pytest.raises(QueryError, match="1-based"):
        Query("Item").to_sql(start_position=0)
    with pytest.raises(QueryError, match=r"1\.\.1000"):
        Query("Item").to_sql(start_position=1, max_results=1001)


def test_updated_since_filter() -> None:
    """updated_since is the incremental-sync filter on MetaData.LastUpdatedTime."""
    when = dt.datetime(2025, 5, 1, tzinfo=UTC)
    assert Query("Item").updated_since(when).where_clause() == (
        " WHERE MetaData.LastUpdatedTime > '2025-05-01T00:00:00+00:00'"
    )
