"""'Disconnect and void': void in QBO every invoice the product synced."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Protocol

from qbo_sync.errors import NotFoundError, QBOError, StaleObjectError, StorageError
from qbo_sync.storage._protocol import LinkStore

from ._results import VoidFailure

if TYPE_CHECKING:
    from qbo_sync.client import QBOClient

__all__ = ["void_synced_invoices"]

_log = logging.getLogger("qbo_sync.auth")
_NAMESPACE = uuid.UUID("6f1c5b0e-52a4-4d0c-9a57-0b1f3b7c2d11")


class _ClientFactory(Protocol):
    def client(self, realm_id: str) -> QBOClient: ...


def void_synced_invoices(
    factory: _ClientFactory, realm_id: str, *, store: LinkStore
) -> tuple[tuple[str, ...], tuple[VoidFailure, ...]]:
    """Void every invoice linked in storage for ``realm_id``.

    Every ``Invoice`` link with a QBO id is voided, one request each; a
    failure on one invoice never stops the others. A stale ``SyncToken``
    (fault 5010) is answered by reading the invoice and voiding once more.
    The ``requestid`` is derived from realm and local id, so running the
    disconnect twice never voids anything twice by accident.

    Args:
        factory: Makes the API client (the OAuth manager).
        realm_id: The company.
        store: Where the links are.

    Returns:
        The local ids voided, and the failures.
    """
    links = [
        link
        for link in store.list_links(realm_id, entity_type="Invoice")
        if link.qbo_id is not None
    ]
    if not links:
        return (), ()
    voided: list[str] = []
    failures: list[VoidFailure] = []
    with factory.client(realm_id) as client:
        for link in links:
            assert link.qbo_id is not None
            request_id = str(uuid.uuid5(_NAMESPACE, f"{realm_id}/Invoice/{link.local_id}/void"))
            try:
                try:
                    client.invoices.void(
                        {"Id": link.qbo_id, "SyncToken": link.sync_token or "0"},
                        request_id=request_id,
                    )
                except StaleObjectError:
                    current = client.invoices.get(link.qbo_id)
                    client.invoices.void(current, request_id=request_id + "-r")
            except StorageError:
                raise
            except NotFoundError as exc:
                failures.append(_failure(link.local_id, link.qbo_id, "not_found", exc))
            except QBOError as exc:
                failures.append(_failure(link.local_id, link.qbo_id, exc.code or "error", exc))
            else:
                voided.append(link.local_id)
    _log.info("realm %s: voided %d invoice(s), %d failed", realm_id, len(voided), len(failures))
    return tuple(voided), tuple(failures)


def _failure(local_id: str, qbo_id: str, reason: str, exc: QBOError) -> VoidFailure:
    return VoidFailure(local_id=local_id, qbo_id=qbo_id, reason=reason, message=str(exc))
