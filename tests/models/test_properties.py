"""Property tests: generated entities round-trip, and to_qbo writes only what was set."""

from __future__ import annotations

import types
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbo_sync import _json
from qbo_sync.models import (
    Customer,
    Invoice,
    Line,
    Model,
    Payment,
    from_qbo,
    to_qbo,
)

_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_money = st.decimals(
    allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9
)
_offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(
    lambda q: timezone(timedelta(minutes=15 * q))
)
_datetimes = st.one_of(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=_offsets
    ),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)
# No None here: extra values are sent back verbatim, so a null in them would be QBO's own.
_json_scalars = st.one_of(st.booleans(), st.integers(), _money, st.text(max_size=8))
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
# Unknown keys never collide with a modelled wire key.
_extra = st.dictionaries(
    st.text(min_size=1, max_size=6).map(lambda s: "Zz" + s), _json_values, max_size=2
)

_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: st.text(max_size=12),
    bool: st.booleans(),
    int: st.integers(min_value=-(2**40), max_value=2**40),
    Decimal: _money,
    date: st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    datetime: _datetimes,
}


def _for_type(tp: Any, depth: int) -> st.SearchStrategy[Any]:
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) < len(get_args(tp)):  # Optional
            if depth > 2:
                return st.none()
            return st.none() | _for_type(args[0] if len(args) == 1 else Union[tuple(args)], depth)  # noqa: UP007
        return st.one_of([_for_type(a, depth) for a in args])
    if origin is list:
        (elem,) = get_args(tp)
        return st.lists(_for_type(elem, depth + 1), max_size=2 if depth else 3)
    if isinstance(tp, type) and attrs.has(tp):
        return models_of(tp, depth + 1)
    raise AssertionError(f"no strategy for {tp!r}")


def models_of(cls: type[Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Objects of a model class with a random subset of fields set."""
    attrs.resolve_types(cls)
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        if not field.init:
            continue
        kwargs[field.alias] = _extra if field.name == "extra" else _for_type(field.type, depth)
    return st.builds(cls, **kwargs)


def _no_none(value: Any, path: str = "$") -> None:
    assert value is not None, f"None written at {path}"
    if isinstance(value, dict):
        for key, item in value.items():
            _no_none(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_none(item, f"{path}[{i}]")


def _check_round_trip(entity: Any) -> None:
    wire = to_qbo(entity)
    again = from_qbo(type(entity).QBO_NAME, wire)
    assert again == entity
    assert to_qbo(again) == wire
    through_text = from_qbo(type(entity), _json.loads(_json.dumps(wire)))
    assert through_text == entity


def _check_only_set_fields(obj: Model, wire: dict[str, Any]) -> None:
    """Top-level and nested: keys written == fields set + extra keys."""
    names = {f.name: f for f in attrs.fields(type(obj))}
    expected: set[str] = set(obj.extra)
    for name, field in names.items():
        if name in ("extra", "_qbo_original") or getattr(obj, name) is None:
            continue
        key = field.metadata.get("wire") or "".join(p[:1].upper() + p[1:] for p in name.split("_"))
        expected.add(key)
        value = getattr(obj, name)
        if isinstance(value, Model):
            _check_only_set_fields(value, wire[key])
    assert set(wire) == expected


@_SETTINGS
@given(models_of(Customer))
def test_customer_round_trips(customer: Customer) -> None:
    """Any Customer survives to_qbo -> from_qbo, also through JSON text."""
    _check_round_trip(customer)


@_SETTINGS
@given(models_of(Invoice))
def test_invoice_round_trips(invoice: Invoice) -> None:
    """Any Invoice, with any mix of line kinds and unknown keys, survives the round trip."""
    _check_round_trip(invoice)


@_SETTINGS
@given(models_of(Payment))
def test_payment_round_trips(payment: Payment) -> None:
    """Any Payment with linked transactions survives the round trip."""
    _check_round_trip(payment)


@_SETTINGS
@given(st.one_of(models_of(Customer), models_of(Invoice), models_of(Payment)))
def test_to_qbo_writes_only_what_was_set(entity: Any) -> None:
    """to_qbo never writes None and never writes a field the caller left at its default."""
    wire = to_qbo(entity)
    _no_none(wire)
    _check_only_set_fields(entity, wire)


@_SETTINGS
@given(st.lists(_for_type(Line, 1), min_size=1, max_size=4))
def test_line_kinds_survive_the_round_trip(lines: list[Any]) -> None:
    """Every line kind keeps its class and DetailType through the wire."""
    invoice = Invoice(line=lines)
    again = from_qbo(Invoice, to_qbo(invoice))
    assert again.line is not None
    assert [type(x) for x in again.line] == [type(x) for x in lines]
    assert again == invoice
