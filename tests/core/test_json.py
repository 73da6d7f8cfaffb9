"""The JSON codec keeps money exact and refuses what JSON cannot hold."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qbo_sync import _json


def test_decimal_text_survives_a_round_trip() -> None:
    """`337.50` is read as Decimal('337.50') and written back as `337.50`, not 337.5."""
    doc = _json.loads(b'{"Amount":337.50,"Qty":4.5,"UnitPrice":75,"Balance":0}')
    assert doc["Amount"] == Decimal("337.50")
    assert str(doc["Amount"]) == "337.50"
    assert doc["UnitPrice"] == 75
    assert isinstance(doc["UnitPrice"], int)
    assert _json.dumps(doc) == b'{"Amount":337.50,"Qty":4.5,"UnitPrice":75,"Balance":0}'


def test_utf8_bom_is_ignored() -> None:
    """Intuit's own fixtures start with a byte-order mark; it must not break parsing."""
    assert _json.loads("\ufeff{}".encode()) == {}
    assert _json.loads("\ufeff[1]") == [1]


def test_strings_are_escaped_like_the_stdlib() -> None:
    """Quotes, backslashes, control characters and non-ASCII text are escaped correctly."""
    value = {"Name": 'Adam\'s "Candy"\\Shop\n\u00e9\u2603'}
    assert json.loads(_json.dumps(value)) == value


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("inf")])
def test_non_finite_numbers_are_refused(bad: object) -> None:
    """NaN and infinities are not JSON; writing them is a TypeError, not invalid output."""
    with pytest.raises(TypeError, match="finite"):
        _json.dumps({"Amount": bad})


def test_unknown_types_and_keys_are_refused() -> None:
    """Objects JSON cannot hold, and non-string keys, raise TypeError naming the type."""
    with pytest.raises(TypeError, match="set"):
        _json.dumps({"a": {1, 2}})
    with pytest.raises(TypeError, match="keys must be strings"):
        _json.dumps({1: "a"})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_dumps_then_loads_is_identity(value: object) -> None:
    """Anything made of JSON types survives dumps/loads unchanged (Decimals compared by value)."""
    assert _json.loads(_json.dumps(value)) == value


@given(json_values)
def test_dumps_is_valid_json_for_the_stdlib(value: object) -> None:
    """What dumps writes is JSON any other parser accepts."""
    json.loads(_json.dumps(value))
