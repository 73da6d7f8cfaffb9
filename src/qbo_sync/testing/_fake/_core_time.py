"""Timestamps as QBO writes them, and the date/time values queries and CDC accept.

QBO writes ``MetaData`` times in US Pacific time with the offset
(``2020-09-29T05:58:07-07:00``) whatever the company's own zone, and the
envelope ``time`` with milliseconds (``2020-09-29T05:58:07.300-07:00``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

__all__ = ["meta_time", "pacific", "parse_instant", "response_time", "today"]

_PACIFIC = ZoneInfo("America/Los_Angeles")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def pacific(moment: datetime) -> datetime:
    """``moment`` (aware; naive is taken as UTC) in US Pacific time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_PACIFIC)


def _offset(local: datetime) -> str:
    text = local.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def meta_time(moment: datetime) -> str:
    """A ``MetaData`` timestamp: seconds precision, Pacific offset."""
    local = pacific(moment)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + _offset(local)


def response_time(moment: datetime) -> str:
    """The envelope ``time``: milliseconds, Pacific offset."""
    local = pacific(moment)
    millis = local.microsecond // 1000
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}" + _offset(local)


def today(moment: datetime) -> date:
    """The Pacific calendar date of ``moment`` (QBO's default ``TxnDate``)."""
    return pacific(moment).date()


def parse_instant(text: str) -> datetime | None:
    """Read a date or date-time as QBO accepts them in queries and CDC.

    A bare date means midnight Pacific; a date-time without offset is Pacific;
    ``Z`` or ``+hh:mm`` offsets are honoured.

    Returns:
        The aware instant, or None if ``text`` is neither.
    """
    text = text.strip()
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=_PACIFIC)
        candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_PACIFIC)
    return moment
