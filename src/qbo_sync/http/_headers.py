"""Sans-I/O helpers over response headers."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

__all__ = ["intuit_tid_from", "retry_after_from"]

_TID_NAMES = frozenset({"intuit_tid", "intuit-tid"})


def _get(headers: Mapping[str, str], names: frozenset[str]) -> str | None:
    # A plain dict is case-sensitive; httpx.Headers is not. Scan both ways.
    for name, value in headers.items():
        if name.lower() in names:
            return value
    return None


def intuit_tid_from(headers: Mapping[str, str]) -> str | None:
    """Return Intuit's transaction id from response headers.

    Args:
        headers: Response headers (any mapping; names are matched without
            regard to case, as ``intuit_tid`` or ``Intuit-Tid``).

    Returns:
        The stripped header value, or ``None`` when absent or empty.
    """
    value = _get(headers, _TID_NAMES)
    if value is None:
        return None
    value = value.strip()
    return value or None


def retry_after_from(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Return the ``Retry-After`` header as seconds to wait.

    Args:
        headers: Response headers.
        now: The current Unix time, used for the HTTP-date form (defaults to
            ``time.time()``).

    Returns:
        Seconds (``>= 0``) for ``Retry-After: 120`` or an HTTP date, or
        ``None`` when the header is absent or unreadable.
    """
    raw = _get(headers, frozenset({"retry-after"}))
    if raw is None:
        return None
    raw = raw.strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
