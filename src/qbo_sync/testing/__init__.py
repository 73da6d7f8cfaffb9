"""Test helpers shipped with qbo_sync: a stateful fake QuickBooks Online and friends.

- :class:`FakeQBO`: Accounting API + Intuit OAuth + limits + fault injection
  + webhooks, in process (``fake.transport()``) or over HTTP
  (:class:`FakeQBOServer`, ``python -m qbo_sync.testing serve``);
- :class:`FakeClock`: virtual time for the fake, the pacer and retries;
- :func:`vcr_config` and the ``scrub_*`` hooks: cassettes without secrets;
- :func:`no_backoff`: retries without sleeping;
- :func:`sample_book`: a deterministic book of local records for the sync engine;
- :class:`CrashingTransport`, :class:`CrashPoint`: simulated process deaths;
- :class:`StorageConformance`: the storage conformance suite for your own backend;
- the pytest plugin (``fake_qbo``, ``qbo_realm_id``, ``qbo_client``,
  ``fake_qbo_server``, ``qbo_no_backoff`` fixtures) is registered automatically.

The package imports lazily (PEP 562): ``import qbo_sync.testing`` (which
pytest does for the plugin in every session) costs nothing until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qbo_sync.http import disable_backoff as no_backoff
    from qbo_sync.testing._audit import BookAudit, audit_book, book_baseline
    from qbo_sync.testing._book import SampleBook, sample_book
    from qbo_sync.testing._crash import CrashingTransport, CrashPoint, SimulatedCrash
    from qbo_sync.testing._fake._app import FakeQBO, FakeRequest, FakeStats, Outcome
    from qbo_sync.testing._fake._clock import Clock, FakeClock, RealClock
    from qbo_sync.testing._fake._inject import Fault, FaultInjector, FaultRule
    from qbo_sync.testing._fake._limits import LimitConfig
    from qbo_sync.testing._fake._oauth import OAuthConfig
    from qbo_sync.testing._fake._server import FakeQBOServer, LoopbackServer
    from qbo_sync.testing._fake._webhooks import Delivery, WebhookEmitter, sign
    from qbo_sync.testing._vcr import (
        REALM_PLACEHOLDER,
        SECRET_PLACEHOLDER,
        scrub_request,
        scrub_response,
        scrub_text,
        vcr_config,
    )
    from qbo_sync.testing.storage_conformance import StorageConformance

__all__ = [
    "REALM_PLACEHOLDER",
    "SECRET_PLACEHOLDER",
    "BookAudit",
    "Clock",
    "CrashPoint",
    "CrashingTransport",
    "Delivery",
    "FakeClock",
    "FakeQBO",
    "FakeQBOServer",
    "FakeRequest",
    "FakeStats",
    "Fault",
    "FaultInjector",
    "FaultRule",
    "LimitConfig",
    "LoopbackServer",
    "OAuthConfig",
    "Outcome",
    "RealClock",
    "SampleBook",
    "SimulatedCrash",
    "StorageConformance",
    "WebhookEmitter",
    "audit_book",
    "book_baseline",
    "no_backoff",
    "sample_book",
    "scrub_request",
    "scrub_response",
    "scrub_text",
    "sign",
    "vcr_config",
]

_WHERE = {
    "BookAudit": "qbo_sync.testing._audit",
    "audit_book": "qbo_sync.testing._audit",
    "book_baseline": "qbo_sync.testing._audit",
    "REALM_PLACEHOLDER": "qbo_sync.testing._vcr",
    "SECRET_PLACEHOLDER": "qbo_sync.testing._vcr",
    "Clock": "qbo_sync.testing._fake._clock",
    "CrashPoint": "qbo_sync.testing._crash",
    "CrashingTransport": "qbo_sync.testing._crash",
    "Delivery": "qbo_sync.testing._fake._webhooks",
    "FakeClock": "qbo_sync.testing._fake._clock",
    "FakeQBO": "qbo_sync.testing._fake._app",
    "FakeQBOServer": "qbo_sync.testing._fake._server",
    "FakeRequest": "qbo_sync.testing._fake._app",
    "FakeStats": "qbo_sync.testing._fake._app",
    "Fault": "qbo_sync.testing._fake._inject",
    "FaultInjector": "qbo_sync.testing._fake._inject",
    "FaultRule": "qbo_sync.testing._fake._inject",
    "LimitConfig": "qbo_sync.testing._fake._limits",
    "LoopbackServer": "qbo_sync.testing._fake._server",
    "OAuthConfig": "qbo_sync.testing._fake._oauth",
    "Outcome": "qbo_sync.testing._fake._app",
    "RealClock": "qbo_sync.testing._fake._clock",
    "SampleBook": "qbo_sync.testing._book",
    "SimulatedCrash": "qbo_sync.testing._crash",
    "StorageConformance": "qbo_sync.testing.storage_conformance",
    "WebhookEmitter": "qbo_sync.testing._fake._webhooks",
    "scrub_request": "qbo_sync.testing._vcr",
    "scrub_response": "qbo_sync.testing._vcr",
    "sample_book": "qbo_sync.testing._book",
    "scrub_text": "qbo_sync.testing._vcr",
    "sign": "qbo_sync.testing._fake._webhooks",
    "vcr_config": "qbo_sync.testing._vcr",
}


def __getattr__(name: str) -> Any:
    if name == "no_backoff":
        return importlib.import_module("qbo_sync.http").disable_backoff
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'qbo_sync.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
