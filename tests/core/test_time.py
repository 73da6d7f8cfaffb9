"""One timestamp parser serves models, client and webhooks, on every supported Python."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from qbo_sync import models
from qbo_sync._time import parse_timestamp
from qbo_sync.client._types import parse_qbo_datetime
from qbo_sync.errors import PayloadError

PACIFIC = timezone(timedelta(hours=-7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-09-29T05:58:07-07:00", datetime(2020, 9, 29, 5, 58, 7, tzinfo=PACIFIC)),
        ("2020-09-29T05:58:07.300-07:00", datetime(2020, 9, 29, 5, 58, 7, 300000, tzinfo=PACIFIC)),
        ("2015-10-05T14:42:19-0700", datetime(2015, 10, 5, 14, 42, 19, tzinfo=PACIFIC)),
        ("2016-10-05T03:09:04.000Z", datetime(2016, 10, 5, 3, 9, 4, tzinfo=timezone.utc)),
        (
            "2025-10-07T19:59:07.034359333Z",
            datetime(2025, 10, 7, 19, 59, 7, 34359, tzinfo=timezone.utc),
        ),
        ("2020-09-29T05:58:07.3-07:00", datetime(2020, 9, 29, 5, 58, 7, 300000, tzinfo=PACIFIC)),
        ("2020-09-29T05:58:07", datetime(2020, 9, 29, 5, 58, 7, tzinfo=timezone.utc)),
    ],
)
def test_every_form_intuit_writes_is_read(text: str, expected: datetime) -> None:
    """Offsets with and without a colon, Z, and 1 to 9 fraction digits all parse, aware."""
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()
    assert parse_qbo_datetime(text) == expected


def test_models_keep_a_timestamp_they_would_write_differently() -> None:
    """A MetaData time in a form Python would not reproduce is read and sent back verbatim."""
    wire = {
        "DisplayName": "Clock",
        "MetaData": {
            "CreateTime": "2015-10-05T14:42:19-0700",
            "LastUpdatedTime": "2016-10-05T03:09:04.000Z",
        },
    }
    customer = models.from_qbo("Customer", wire)
    assert customer.meta_data is not None
    assert customer.meta_data.create_time == datetime(2015, 10, 5, 14, 42, 19, tzinfo=PACIFIC)
    assert models.to_qbo(customer)["MetaData"] == wire["MetaData"]


@pytest.mark.parametrize("text", ["yesterday", "2020-13-01T00:00:00Z", "2020-09-29T05:58:07+25:00"])
def test_bad_timestamps_are_typed_errors(text: str) -> None:
    """Nonsense is a ValueError from the parser, and a PayloadError naming the field elsewhere."""
    with pytest.raises(ValueError, match=r"timestamp|range|month"):
        parse_timestamp(text)
    with pytest.raises(PayloadError, match="CDC time"):
        parse_qbo_datetime(text, where="CDC time")
    with pytest.raises(PayloadError, match=r"Customer\.MetaData\.CreateTime"):
        models.from_qbo("Customer", {"MetaData": {"CreateTime": text}})
