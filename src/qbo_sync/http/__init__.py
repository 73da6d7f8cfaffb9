"""The HTTP layer under :class:`qbo_sync.QBOClient`: faults, tokens, retries, pacing.

Everything here is usable on its own and, except the pacer's waiting and
the retry loop, free of I/O:

- :func:`error_from_response` / :func:`error_from_fault` turn QBO answers
  into :mod:`qbo_sync.errors` classes;
- :class:`TokenProvider` is where the client gets bearer tokens;
- :class:`RetryPolicy` retries what is safe to retry, with backoff;
- :class:`Pacer` / :class:`RealmPacer` keep each realm under QBO's limits,
  counted as QBO counts them (on arrival: a request counts until a window
  after its response is back);
  :class:`RedisPacer` shares that budget across processes (``qbo-sync[redis]``);
  :class:`PollingPacer` and :func:`async_slot` pace asyncio code without
  blocking the event loop.
"""

from qbo_sync.http._faults import (
    error_class_for,
    error_from_fault,
    error_from_response,
    parse_fault,
)
from qbo_sync.http._headers import intuit_tid_from, retry_after_from
from qbo_sync.http._pacing import Pacer, PollingPacer, RealmPacer, async_slot
from qbo_sync.http._redact import redact
from qbo_sync.http._redis_pacer import RedisPacer
from qbo_sync.http._retry import (
    RetryEvent,
    RetryPolicy,
    RetryState,
    backoff_disabled,
    disable_backoff,
)
from qbo_sync.http._tokens import StaticTokenProvider, TokenProvider

__all__ = [
    "Pacer",
    "PollingPacer",
    "RealmPacer",
    "RedisPacer",
    "RetryEvent",
    "RetryPolicy",
    "RetryState",
    "StaticTokenProvider",
    "TokenProvider",
    "async_slot",
    "backoff_disabled",
    "disable_backoff",
    "error_class_for",
    "error_from_fault",
    "error_from_response",
    "intuit_tid_from",
    "parse_fault",
    "redact",
    "retry_after_from",
]
