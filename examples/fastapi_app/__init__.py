"""A FastAPI app with a QuickBooks Online integration page, built on qbo_sync.

``python -m examples.fastapi_app`` runs it against the bundled fake QBO; see
``examples/fastapi_app/README.md``.
"""

from .app import Integration, create_app
from .product import ProductDB, ProductSink

__all__ = ["Integration", "ProductDB", "ProductSink", "create_app"]
