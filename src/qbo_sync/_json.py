"""JSON that keeps money exact.

QBO sends amounts as JSON numbers (``337.50``). Reading them as ``float``
loses the text and invites rounding errors, so every JSON document qbo_sync
reads goes through :func:`loads`, which turns numbers with a fraction or an
exponent into :class:`decimal.Decimal` (``Decimal("337.50")`` keeps its two
places), and every document it writes goes through :func:`dumps`, which
writes a ``Decimal`` back as the same text.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

__all__ = ["dumps", "loads"]


def loads(data: str | bytes | bytearray) -> Any:
    """Parse JSON, reading non-integer numbers as ``Decimal``.

    A UTF-8 byte-order mark at the start is ignored (Intuit's own fixtures
    carry one).
    """
    if isinstance(data, bytes | bytearray):
        text = bytes(data).decode("utf-8-sig")
    else:
        text = data[1:] if data.startswith("\ufeff") else data
    return json.loads(text, parse_float=Decimal)


def dumps(obj: Any) -> bytes:
    """Serialise to compact UTF-8 JSON, writing ``Decimal`` as its own text.

    Raises:
        TypeError: For values JSON cannot hold, or a NaN/infinite Decimal.
    """
    parts: list[str] = []
    _encode(obj, parts.append)
    return "".join(parts).encode("utf-8")


def _encode(obj: Any, emit: Any) -> None:
    # Hand-rolled because the stdlib encoder cannot write a Decimal as a raw
    # number: a float subclass's repr is ignored by the C encoder.
    if isinstance(obj, str):
        emit(encode_basestring_ascii(obj))
    elif obj is None:
        emit("null")
    elif obj is True:
        emit("true")
    elif obj is False:
        emit("false")
    elif isinstance(obj, int):
        emit(int.__repr__(obj))
    elif isinstance(obj, Decimal):
        if not obj.is_finite():
            raise TypeError(f"cannot write {obj!r} as JSON: not a finite number")
        emit(str(obj))
    elif isinstance(obj, float):
        if not math.isfinite(obj):
            raise TypeError(f"cannot write {obj!r} as JSON: not a finite number")
        emit(float.__repr__(obj))
    elif isinstance(obj, dict):
        emit("{")
        first = True
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}")
            if not first:
                emit(",")
            first = False
            emit(encode_basestring_ascii(key))
            emit(":")
            _encode(value, emit)
        emit("}")
    elif isinstance(obj, list | tuple):
        emit("[")
        for i, value in enumerate(obj):
            if i:
                emit(",")
            _encode(value, emit)
        emit("]")
    else:
        raise TypeError(f"cannot write {type(obj).__name__} as JSON")
