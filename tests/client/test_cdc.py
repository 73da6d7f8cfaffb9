"""Change data capture: parameters, look-back guard, deletions, and window splitting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from qbo_sync import models
from qbo_sync.client import Deletion
from qbo_sync.client._cdc import CdcAccumulator, split_point
from qbo_sync.errors import QBOError, ValidationError

PT = dt.timezone(dt.timedelta(hours=-7))
NOW = dt.datetime(2024, 6, 30, 12, 0, tzinfo=dt.timezone.utc)
T0 = dt.datetime(2024, 6, 29, 0, 0, tzinfo=PT)


def ts(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def cdc_server(reply: Any, objects: dict[str, list[dict[str, Any]]], cap: int) -> Any:
    """A CDC endpoint like QBO's: ascending by LastUpdatedTime, deletions last, capped."""

    def handler(request: httpx.Request) -> httpx.Response:
        since = dt.datetime.fromisoformat(request.url.params["changedSince"])
        blocks = []
        for name in request.url.params["entities"].split(","):
            rows = [o for o in objects.get(name, []) if
                    dt.datetime.fromisoformat(o["MetaData"]["LastUpdatedTime"]) >= since]
            rows.sort(key=lambda o: (o.get("status") == "Deleted",
                                     o["MetaData"]["LastUpdatedTime"]))
            blocks.append({name: rows[:cap], "startPosition": 1, "maxResults": len(rows[:cap])})
        return reply({"CDCResponse": [{"QueryResponse": blocks}],
                      "time": "2024-06-30T05:00:00.000-07:00"}, tid=f"tid-{since.minute}")

    return handler


def customer(i: int, minute: int, **extra: Any) -> dict[str, Any]:
    return {"Id": str(i), "SyncToken": "0", "DisplayName": f"C{i}",
            "MetaData": {"LastUpdatedTime": ts(minute)}, **extra}


def test_request_parameters_and_parsing(make_client: Any, reply: Any) -> None:
    """One GET cdc?entities=A,B&changedSince=<offset datetime> returns models and deletions."""
    objects = {
        "Customer": [customer(1, 5), customer(2, 6)],
        "Invoice": [{"Id": "40", "SyncToken": "1", "MetaData": {"LastUpdatedTime": ts(7)}},
                    {"status": "Deleted", "domain": "QBO", "Id": "41",
                     "MetaData": {"LastUpdatedTime": ts(8)}}],
    }
    client, rec = make_client(cdc_server(reply, objects, cap=1000), clock=lambda: NOW)
    result = client.cdc(["Customer", "Invoice"], T0)
    assert len(rec.requests) == 1
    assert rec.last.url.path.endswith("/cdc")
    assert rec.last.url.params["entities"] == "Customer,Invoice"
    assert rec.last.url.params["changedSince"] == "2024-06-29T00:00:00-07:00"
    assert [c.id for c in result.changed["Customer"]] == ["1", "2"]
    assert isinstance(result.changed["Customer"][0], models.Customer)
    assert [i.id for i in result.changed["Invoice"]] == ["40"]
    assert result.deleted == (Deletion("Invoice", "41", T0 + dt.timedelta(minutes=8)),)
    assert result.deleted[0].intuit_tid == "tid-0"
    assert result.next_changed_since == dt.datetime(2024, 6, 30, 5, 0, tzinfo=PT)
    assert (result.capped, result.requests, len(result)) == (frozenset(), 1, 4)


def test_capped_entity_window_is_split_until_complete(make_client: Any, reply: Any) -> None:
    """An entity at the cap is re-asked alone from where its answer stopped; nothing is lost."""
    objects = {
        "Customer": [customer(i, i) for i in range(1, 9)],
        "Item": [{"Id": "77", "SyncToken": "0", "MetaData": {"LastUpdatedTime": ts(1)}}],
    }
    client, rec = make_client(cdc_server(reply, objects, cap=3), clock=lambda: NOW)
    result = client.cdc(["Customer", "Item"], T0, cap=3)
    assert sorted(int(c.id) for c in result.changed["Customer"]) == list(range(1, 9))
    assert [i.id for i in result.changed["Item"]] == ["77"]
    assert result.capped == frozenset({"Customer"})
    params = [(r.url.params["entities"], r.url.params["changedSince"]) for r in rec.requests]
    assert params == [
        ("Customer,Item", ts(0)),
        ("Customer", ts(3)),
        ("Customer", ts(5)),
        ("Customer", ts(7)),
    ]
    assert result.requests == 4


def test_split_keeps_newest_version_and_deletions(make_client: Any, reply: Any) -> None:
    """Objects seen in two windows are merged by Id; a later deletion replaces the object."""
    acc = CdcAccumulator(["Customer"])
    acc.add("Customer", [customer(1, 1), customer(2, 2, DisplayName="old")], "t1")
    acc.add("Customer", [customer(2, 4, DisplayName="new"),
                         {"status": "Deleted", "Id": "1",
                          "MetaData": {"LastUpdatedTime": ts(5)}}], "t2")
    acc.add("Customer", [customer(2, 3, DisplayName="stale")], "t3")
    result = acc.result(lambda e, r: r["DisplayName"], next_changed_since=None, capped=(),
                        intuit_tids=["t1", "t2", "t3"])
    assert result.changed["Customer"] == ("new",)
    assert [(d.id, d.intuit_tid) for d in result.deleted] == [("1", "t2")]


def test_window_that_cannot_advance_raises() -> None:
    """cap objects with one timestamp cannot be split: a clear error, not silent loss."""
    rows = [customer(i, 0) for i in range(3)]
    with pytest.raises(QBOError, match="cannot be split"):
        split_point("Customer", T0, rows, cap=3)
    assert split_point("Customer", T0, rows[:2], cap=3) is None
    assert split_point("Customer", T0, [customer(1, 0), customer(2, 9)], cap=2) == (
        T0 + dt.timedelta(minutes=9))


def test_lookback_guard_and_validation(make_client: Any, reply: Any) -> None:
    """Older than 30 days, naive datetimes, unsupported or no entities: refused, nothing sent."""
    client, rec = make_client(cdc_server(reply, {}, cap=1000), clock=lambda: NOW)
    with pytest.raises(ValidationError, match="more than 30 days ago"):
        client.cdc(["Customer"], NOW - dt.timedelta(days=30, seconds=1))
    with pytest.raises(ValidationError, match="time zone"):
        client.cdc(["Customer"], dt.datetime(2024, 6, 29))
    with pytest.raises(ValidationError, match="does not serve TaxCode"):
        client.cdc(["Customer", "TaxCode"], T0)
    with pytest.raises(ValidationError, match="at least one"):
        client.cdc([], T0)
    with pytest.raises(ValidationError, match="invalid entity"):
        client.cdc(["Customer,Invoice"], T0)
    assert rec.requests == []
    client.cdc(["Customer"], NOW - dt.timedelta(days=29))
    assert len(rec.requests) == 1


def test_lookback_configurable(make_client: Any, reply: Any) -> None:
    """cdc_max_lookback on the client, or max_lookback per call, changes the guard."""
    client, rec = make_client(cdc_server(reply, {}, cap=1000), clock=lambda: NOW,
                              cdc_max_lookback=dt.timedelta(days=7))
    with pytest.raises(ValidationError, match="more than 7 days"):
        client.cdc(["Customer"], NOW - dt.timedelta(days=8))
    client.cdc(["Customer"], NOW - dt.timedelta(days=400), max_lookback=None)
    assert len(rec.requests) == 1


def test_raw_mode_returns_wire_dicts(make_client: Any, reply: Any) -> None:
    """raw=True keeps the wire dicts."""
    client, _ = make_client(cdc_server(reply, {"Customer": [customer(1, 1)]}, cap=1000),
                            clock=lambda: NOW)
    result = client.cdc(["Customer"], T0, raw=True)
    assert result.changed["Customer"][0]["DisplayName"] == "C1"
