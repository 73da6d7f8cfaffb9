"""Timestamps as Intuit writes them, in API bodies and in webhook bodies.

Seen in real traffic and Intuit's samples: ``2020-09-29T05:58:07-07:00``,
``2020-09-29T05:58:07.300-07:00``, ``2016-10-05T03:09:04.000Z``,
``2015-10-05T14:42:19-0700`` (offset without a colon) and
``2025-10-07T19:59:07.034359333Z`` (nanoseconds). ``datetime.fromisoformat``
on Python 3.10 reads only some of these, so every part of qbo_sync that reads
a timestamp (models, client, webhooks) uses this one parser. The fake QBO
keeps its own on purpose: it is an independent check of the client.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

__all__ = ["parse_timestamp"]

_TIMESTAMP = re.compile(
    r"""
    (?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
    [Tt ]
    (?P<hour>\d{2}):(?P<minute>\d{2})
    (?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,12}))?)?
    (?P<offset>[Zz]|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?
    """,
    re.VERBOSE | re.ASCII,
)


def parse_timestamp(text: str, *, naive_as: tzinfo | None = timezone.utc) -> datetime:
    """Read an ISO 8601 timestamp into a datetime.

    Fractions beyond microseconds are truncated. A timestamp without an
    offset is read in ``naive_as`` (UTC by default: Intuit's timestamps are
    UTC or carry an offset); ``naive_as=None`` keeps it naive, as the models
    do so that a naive value a caller set survives a round trip.

    Raises:
        ValueError: If ``text`` is not such a timestamp or names an
            impossible date or time.
    """
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {text[:40]!r}")
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    tz: tzinfo | None = naive_as if match["offset"] is None else timezone.utc
    if match["sign"]:
        delta = timedelta(hours=int(match["oh"]), minutes=int(match["om"] or 0))
        if delta >= timedelta(hours=24):
            raise ValueError(f"offset out of range in timestamp {text[:40]!r}")
        tz = timezone(-delta if match["sign"] == "-" else delta)
    return datetime(
        int(match["year"]),
        int(match["month"]),
        int(match["day"]),
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        int(fraction),
        tzinfo=tz,
    )
