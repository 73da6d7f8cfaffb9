"""The QBO API client: :class:`QBOClient`, per-entity services, queries, batch, CDC.

Request building, paging decisions, batch chunking and CDC planning are pure
functions over plain data in this package's private modules; only
:class:`QBOClient` (through its sender) does I/O.
"""

from qbo_sync.client._batch import BATCH_MAX, BatchItemResult, BatchOperation, BatchResult
from qbo_sync.client._cdc import CdcResult
from qbo_sync.client._client import QBOClient
from qbo_sync.client._paging import Page
from qbo_sync.client._query import Query
from qbo_sync.client._request import ApiRequest
from qbo_sync.client._services import (
    EntityService,
    InvoiceService,
    NameListService,
    PaymentService,
    ReadOnlyService,
    SalesDocumentService,
    SalesReceiptService,
    TransactionService,
)
from qbo_sync.client._transport import ApiResponse
from qbo_sync.client._types import Deletion, RequestStats, ResponseInfo

__all__ = [
    "BATCH_MAX",
    "ApiRequest",
    "ApiResponse",
    "BatchItemResult",
    "BatchOperation",
    "BatchResult",
    "CdcResult",
    "Deletion",
    "EntityService",
    "InvoiceService",
    "NameListService",
    "Page",
    "PaymentService",
    "QBOClient",
    "Query",
    "ReadOnlyService",
    "RequestStats",
    "ResponseInfo",
    "SalesDocumentService",
    "SalesReceiptService",
    "TransactionService",
]
