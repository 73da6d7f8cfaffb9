"""What the demo writes: batch operations and entities, built as plain models (no I/O)."""

from __future__ import annotations

from decimal import Decimal

from qbo_sync import models
from qbo_sync.client import BatchOperation

__all__ = [
    "CENT",
    "ITEMS",
    "credit_application",
    "credit_memo",
    "customer_key",
    "invoice",
    "invoice_key",
    "item_key",
    "payment",
    "setup_operations",
]

ITEMS = (
    ("Consulting hour", Decimal("120.00")),
    ("Design review", Decimal("45.50")),
    ("Hosting month", Decimal("9.99")),
)
CENT = Decimal("0.01")


def customer_key(n: int) -> str:
    """The local id (and batch key) of the ``n``-th customer, 1-based: ``"cust-007"``."""
    return f"cust-{n:03d}"


def invoice_key(n: int) -> str:
    """The local id of the ``n``-th invoice, 1-based: ``"inv-003"``."""
    return f"inv-{n:03d}"


def item_key(n: int) -> str:
    """The local id (and batch key) of the ``n``-th item, 1-based."""
    return f"item-{n}"


def setup_operations(customers: int, income_account_id: str) -> list[BatchOperation]:
    """Batch creates of ``customers`` customers and the demo's items."""
    ops = [
        BatchOperation.create(
            models.Customer(
                display_name=f"Customer {n:03d}",
                primary_email_addr=models.EmailAddress(address=f"billing{n:03d}@example.com"),
            ),
            key=customer_key(n),
        )
        for n in range(1, customers + 1)
    ]
    ops += [
        BatchOperation.create(
            models.Item(
                name=name,
                type="Service",
                unit_price=price,
                income_account_ref=models.Ref(value=income_account_id),
            ),
            key=item_key(n),
        )
        for n, (name, price) in enumerate(ITEMS, start=1)
    ]
    return ops


def invoice(n: int, customer: models.Customer, items: list[models.Item]) -> models.Invoice:
    """The ``n``-th invoice (0-based): one or two lines, quantities varying with ``n``."""
    lines: list[models.Line] = []
    for k in range(1 + n % 2):
        item = items[(n + k) % len(items)]
        qty = Decimal(n % 4 + 1) if k == 0 else Decimal(1)
        price = item.unit_price or Decimal(0)
        lines.append(
            models.SalesItemLine(
                amount=(qty * price).quantize(CENT),
                sales_item_line_detail=models.SalesItemLineDetail(
                    item_ref=models.Ref(value=item.id), qty=qty, unit_price=price
                ),
            )
        )
    return models.Invoice(customer_ref=models.Ref(value=customer.id), line=lines)


def payment(invoice: models.Invoice, amount: Decimal) -> models.Payment:
    """A payment of ``amount`` against ``invoice``."""
    return models.Payment(
        customer_ref=invoice.customer_ref,
        total_amt=amount,
        line=[
            models.PaymentLine(
                amount=amount,
                linked_txn=[models.LinkedTxn(txn_id=invoice.id, txn_type="Invoice")],
            )
        ],
    )


def credit_memo(invoice: models.Invoice, item: models.Item, amount: Decimal) -> models.CreditMemo:
    """A credit memo of ``amount`` for the customer of ``invoice``."""
    return models.CreditMemo(
        customer_ref=invoice.customer_ref,
        private_note=f"Goodwill credit on invoice {invoice.doc_number}",
        line=[
            models.SalesItemLine(
                amount=amount,
                sales_item_line_detail=models.SalesItemLineDetail(
                    item_ref=models.Ref(value=item.id)
                ),
            )
        ],
    )


def credit_application(
    invoice: models.Invoice, memo: models.CreditMemo, amount: Decimal
) -> models.Payment:
    """The payment that applies ``memo`` to ``invoice``.

    QBO ties a credit memo to an invoice only through a zero-amount payment
    linking both (one line each, same amount).
    """
    return models.Payment(
        customer_ref=invoice.customer_ref,
        total_amt=Decimal("0"),
        line=[
            models.PaymentLine(
                amount=amount,
                linked_txn=[models.LinkedTxn(txn_id=invoice.id, txn_type="Invoice")],
            ),
            models.PaymentLine(
                amount=amount,
                linked_txn=[models.LinkedTxn(txn_id=memo.id, txn_type="CreditMemo")],
            ),
        ],
    )
