"""The QBO API clients: :class:`QBOClient`, :class:`AsyncQBOClient`, services, queries, batch, CDC.

Request building, paging decisions, batch chunking and CDC planning are pure
functions over plain data in this package's private modules, written as
flows that both clients drive (``_calls``, ``_entity_ops``); the sending
rules (auth, 401 refresh, fault mapping, counting) are ``_core``'s. Only the
two senders do I/O: ``_transport`` blocking, ``_async_transport`` on asyncio.
"""

from qbo_sync.client._async_client import AsyncQBOClient
from qbo_sync.client._async_services import (
    AsyncEntityService,
    AsyncInvoiceService,
    AsyncNameListService,
    AsyncPaymentService,
    AsyncReadOnlyService,
    AsyncSalesDocumentService,
    AsyncSalesReceiptService,
    AsyncTransactionService,
)
from qbo_sync.client._batch import BATCH_MAX, BatchItemResult, BatchOperation, BatchResult
from qbo_sync.client._cdc import CdcResult
from qbo_sync.client._client import QBOClient
from qbo_sync.client._paging import AsyncPage, Page
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
    "AsyncEntityService",
    "AsyncInvoiceService",
    "AsyncNameListService",
    "AsyncPage",
    "AsyncPaymentService",
    "AsyncQBOClient",
    "AsyncReadOnlyService",
    "AsyncSalesDocumentService",
    "AsyncSalesReceiptService",
    "AsyncTransactionService",
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
