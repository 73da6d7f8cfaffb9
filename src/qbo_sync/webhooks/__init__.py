"""Intuit webhooks: verify the signature, parse either format, drop duplicates.

Pure and framework-agnostic: :class:`WebhookHandler` takes the raw body and
the headers and says which status to answer. See ``docs/webhooks.md``.
"""

from qbo_sync.webhooks._dedup import Deduplicator, MemoryDeduplicator
from qbo_sync.webhooks._events import (
    Operation,
    WebhookEvent,
    WebhookFormat,
    parse_events,
    qbo_entity_name,
)
from qbo_sync.webhooks._handler import HandlerResult, WebhookHandler, find_header
from qbo_sync.webhooks._signature import check_signature, compute_signature, verify_signature

__all__ = [
    "Deduplicator",
    "HandlerResult",
    "MemoryDeduplicator",
    "Operation",
    "WebhookEvent",
    "WebhookFormat",
    "WebhookHandler",
    "check_signature",
    "compute_signature",
    "find_header",
    "parse_events",
    "qbo_entity_name",
    "verify_signature",
]
