"""The decisions both clients share, tested as plain data: no client, no I/O.

The retry step, the pacer's non-blocking ask, the page cursor, and the flows
(driven here by hand with canned responses, as either client would drive them).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from qbo_sync import _json, models
from qbo_sync.client import ApiRequest, BatchOperation, Page, ResponseInfo, _calls, _entity_ops
from qbo_sync.client._core import ApiResponse
from qbo_sync.errors import (
    AuthError,
    QBOError,
    ServerError,
    ThrottledError,
    TransportError,
    ValidationError,
)
from qbo_sync.http import RealmPacer, RetryPolicy, RetryState, disable_backoff
from qbo_sync.testing import FakeClock


def answer(data: Any, tid: str = "tid") -> ApiResponse:
    """A canned 200 answer carrying ``data`` as JSON."""
    info = ResponseInfo(intuit_tid=tid, status=200, method="GET", path="x")
    return ApiResponse(status=200, headers={}, content=_json.dumps(data), intuit_tid=tid,
                       info=info)


# -- the retry step ----------------------------------------------------------------------


def test_next_wait_decides_retry_or_give_up() -> None:
    """Retryable errors get a wait until attempts run out; others give up at once."""
    policy = RetryPolicy(max_attempts=3, rng=random.Random(1))
    state = RetryState()
    first = policy.next_wait(state, TransportError("reset"))
    second = policy.next_wait(state, ServerError("busy", status=503))
    assert first is not None
    assert second is not None
    assert 0 < first <= policy.base_delay
    assert policy.next_wait(state, TransportError("reset")) is None  # third attempt was the last
    assert state.attempts == 3
    assert RetryPolicy().next_wait(RetryState(), AuthError("no", status=401)) is None
    assert RetryPolicy().next_wait(RetryState(), ValueError("not ours")) is None


def test_next_wait_counts_500s_and_throttles() -> None:
    """HTTP 500 is retried once per call; throttle waits double; Retry-After leads."""
    policy = RetryPolicy(max_attempts=9, jitter=0.0, rng=random.Random(1))
    state = RetryState()
    assert policy.next_wait(state, ServerError("x", status=500)) is not None
    assert policy.next_wait(state, ServerError("x", status=500)) is None
    state = RetryState()
    waits = [policy.next_wait(state, ThrottledError("t", status=429)) for _ in range(3)]
    assert waits == [15.0, 30.0, 60.0]
    told = policy.next_wait(RetryState(), ThrottledError("t", status=429, retry_after=7.0))
    assert told == 7.0
    with disable_backoff():
        assert policy.next_wait(RetryState(), TransportError("x")) == 0.0


def test_call_and_acall_make_the_same_decisions() -> None:
    """The blocking and the async loop drive one step: same attempts, same waits."""
    def script() -> list[QBOError]:
        return [ThrottledError("t", status=429, retry_after=3.0), ServerError("x", status=502)]

    sync_waits: list[float] = []
    async_waits: list[float] = []

    async def record(seconds: float) -> None:
        async_waits.append(seconds)

    policy = RetryPolicy(rng=random.Random(5), sleep=sync_waits.append, async_sleep=record)
    errors = script()

    def attempt() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    assert policy.call(attempt) == "ok"
    twin = RetryPolicy(rng=random.Random(5), sleep=sync_waits.append, async_sleep=record)
    errors = script()

    async def attempt_async() -> str:
        return attempt()

    assert asyncio.run(twin.acall(attempt_async)) == "ok"
    assert sync_waits == async_waits
    assert len(sync_waits) == 2


# -- the pacer's non-blocking ask ----------------------------------------------------------


def test_try_acquire_answers_the_wait_acquire_would_sleep() -> None:
    """try_acquire takes a slot or says how long to wait; it never sleeps."""
    clock = FakeClock(start=0.0)

    def no_sleep(seconds: float) -> None:
        raise AssertionError("try_acquire must not sleep")

    pacer = RealmPacer(per_minute=None, batch_per_minute=None, per_second=2, max_in_flight=None,
                       clock=clock.monotonic, sleep=no_sleep)
    assert pacer.try_acquire("r") == 0.0
    assert pacer.try_acquire("r") == 0.0
    # Two in flight fill the 2/s window (they may yet arrive together): only a release helps.
    assert pacer.try_acquire("r") == pacer.poll_interval
    assert pacer.in_flight("r") == 2
    pacer.release("r")
    pacer.release("r")
    assert pacer.try_acquire("r") == pytest.approx(1.0)
    clock.advance(1.0)
    assert pacer.try_acquire("r") == 0.0
    pacer.release("r")
    assert pacer.in_flight("r") == 0


def test_try_acquire_polls_when_only_in_flight_is_full() -> None:
    """With the in-flight limit full, the answer is the poll interval, and nothing is taken."""
    pacer = RealmPacer(per_minute=None, batch_per_minute=None, per_second=None, max_in_flight=1,
                       poll_interval=0.02)
    assert pacer.try_acquire("r") == 0.0
    assert pacer.try_acquire("r") == 0.02
    pacer.release("r")
    assert pacer.try_acquire("r") == 0.0
    with pytest.raises(ValueError, match="poll_interval"):
        RealmPacer(poll_interval=0)


# -- paging --------------------------------------------------------------------------


def test_page_cursor_applies_limit_and_next_page_rule() -> None:
    """Full pages go on, a short page stops, and a limit cuts the last page."""
    full = Page(items=(1, 2, 3), start_position=1, page_size=3)
    short = Page(items=(4,), start_position=4, page_size=3)
    cursor = _calls.PageCursor(None)
    assert cursor.take(full) == ((1, 2, 3), True)
    assert cursor.take(short) == ((4,), False)
    limited = _calls.PageCursor(4)
    assert limited.take(full) == ((1, 2, 3), True)
    assert limited.take(Page(items=(4, 5, 6), start_position=4, page_size=3)) == ((4,), False)
    assert limited.done
    assert _calls.PageCursor(0).done
    assert _calls.iteration_size(1000, 5) == 5
    assert _calls.iteration_size(10, None) == 10


# -- flows: what a client sends, decided without sending --------------------------------


def test_batch_flow_chunks_and_names_request_ids() -> None:
    """65 operations: three batch requests with prefix-n ids; results assembled by key."""
    ops = [BatchOperation.create(models.Customer(display_name=f"C{i}"), key=f"k{i}")
           for i in range(65)]
    flow = _calls.batch(ops, size=30, request_id="imp")
    sent: list[ApiRequest] = []
    request = next(flow)
    try:
        while True:
            sent.append(request)
            items = _json.loads(request.body or b"")["BatchItemRequest"]
            reply = {"BatchItemResponse": [
                {"bId": item["bId"], "Customer": {"Id": item["bId"][1:], **item["Customer"]}}
                for item in items
            ]}
            request = flow.send(answer(reply))
    except StopIteration as done:
        result = done.value
    assert [r.request_id for r in sent] == ["imp-1", "imp-2", "imp-3"]
    assert [r.batch for r in sent] == [True, True, True]
    assert len(result) == 65
    assert result["k64"].entity.id == "64"


def test_bad_arguments_fail_before_the_first_request() -> None:
    """Flows check their arguments before yielding anything."""
    with pytest.raises(ValidationError):
        next(_calls.batch([], size=31, request_id=None))
    with pytest.raises(ValidationError):
        next(_calls.batch([object()], size=1, request_id=None))  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        _entity_ops.get("Customer", "1; DROP")
    with pytest.raises(ValidationError):
        next(_entity_ops.send("Invoice", "1", "not an address", None))


def test_delete_flow_reads_the_deletion_from_its_own_answer() -> None:
    """A delete is one POST ?operation=delete; the Deletion carries that answer's intuit_tid."""
    flow = _entity_ops.delete("Invoice", {"Id": "9", "SyncToken": "2"}, "rid-1")
    request = next(flow)
    assert (request.method, request.path, request.request_id) == ("POST", "invoice", "rid-1")
    assert ("operation", "delete") in request.params
    with pytest.raises(StopIteration) as done:
        flow.send(answer({"Invoice": {"Id": "9", "status": "Deleted"}}, tid="tid-del"))
    deletion = done.value.value
    assert (deletion.entity, deletion.id, deletion.intuit_tid) == ("Invoice", "9", "tid-del")
