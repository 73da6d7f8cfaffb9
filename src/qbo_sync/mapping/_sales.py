"""Mappers for sales transactions: invoices, credit memos and payments.

Invoices and credit memos are matched by ``DocNumber`` (their number), read
with ``DocNumber IN (...)`` queries of up to 100 numbers each. Payments have
no natural key in QBO, so they are never matched, only created: the engine's
``requestid`` discipline is what keeps them single.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from qbo_sync import models
from qbo_sync.client import Query
from qbo_sync.errors import MappingError
from qbo_sync.mapping._company import TaxPlan, class_ref, department_ref, plan_tax
from qbo_sync.mapping._protocol import (
    BaseMapper,
    Dependency,
    FieldGroup,
    MapContext,
    PullContext,
)
from qbo_sync.mapping._records import (
    LocalCreditMemo,
    LocalInvoice,
    LocalLine,
    LocalPayment,
    LocalPaymentApplication,
)

__all__ = ["CreditMemoMapper", "InvoiceMapper", "PaymentMapper", "is_voided",
           "local_ref",
           "local_tax_code", "tracking_dependencies"]

#: DocNumbers per candidate query (keeps the statement far below QBO's URL limits).
DOC_NUMBERS_PER_QUERY = 100

S = TypeVar("S", LocalInvoice, LocalCreditMemo)
Q = TypeVar("Q", models.Invoice, models.CreditMemo)


def is_voided(entity: Any) -> bool:
    """Whether QBO voided the transaction: amounts zeroed and ``Voided`` noted (facts 5.4)."""
    note = getattr(entity, "private_note", None) or ""
    return note.startswith("Voided") and not getattr(entity, "total_amt", None)


def _ref(value: str | None) -> models.Ref | None:
    return models.Ref(value=value) if value is not None else None


def _sales_classes(
    entity: str, local_id: str, lines: Sequence[LocalLine], ctx: MapContext
) -> tuple[list[models.Ref | None], models.Ref | None]:
    """Class refs per line, or one for the transaction (company's class tracking)."""
    ids = [line.class_id for line in lines]
    if all(i is None for i in ids):
        return [None] * len(ids), None
    if ctx.company().class_tracking == "transaction":
        distinct = sorted({i for i in ids if i is not None})
        if len(distinct) > 1:
            raise MappingError(
                f"{entity} {local_id}: the company tracks one class per transaction, but its "
                f"lines name classes {', '.join(distinct)}", reason="invalid_record",
                entity=entity, local_id=local_id, field="lines.class_id",
            )
        return [None] * len(ids), class_ref(ctx, distinct[0], entity, local_id,
                                            "lines.class_id")
    return [class_ref(ctx, i, entity, local_id, f"lines[{n}].class_id")
            for n, i in enumerate(ids)], None


def _lines_to_qbo(
    entity: str, local_id: str, lines: Sequence[LocalLine], ctx: MapContext
) -> tuple[list[models.Line], TaxPlan, models.Ref | None]:
    """The QBO lines, the transaction's tax fields and its class (per-transaction tracking)."""
    if not lines:
        raise MappingError(
            f"{entity} {local_id} has no lines", reason="invalid_record",
            entity=entity, local_id=local_id, field="lines",
        )
    tax = plan_tax(ctx, entity, local_id, [line.tax_code for line in lines], sales=True,
                   amounts=[line.amount for line in lines])
    classes, txn_class = _sales_classes(entity, local_id, lines, ctx)
    out: list[models.Line] = []
    for n, (line, code, klass) in enumerate(zip(lines, tax.line_codes, classes, strict=True)):
        gross = tax.inclusive[n]
        detail = models.SalesItemLineDetail(
            item_ref=models.Ref(value=ctx.item(line.item_id)),
            qty=line.quantity,
            # Tax-inclusive: the unit price QBO would show is net too.
            unit_price=line.unit_price if gross is None else None,
            tax_code_ref=_ref(code),
            service_date=line.service_date,
            class_ref=klass,
            tax_inclusive_amt=gross,
        )
        out.append(
            models.SalesItemLine(
                amount=tax.amounts[n], description=line.description,
                sales_item_line_detail=detail,
            )
        )
    return out, tax, txn_class


def _lines_from_qbo(lines: Sequence[Any] | None, ctx: PullContext) -> tuple[LocalLine, ...]:
    out: list[LocalLine] = []
    for line in lines or ():
        if not isinstance(line, models.SalesItemLine) or line.amount is None:
            continue  # subtotal, discount and group lines are QBO's own
        detail = line.sales_item_line_detail or models.SalesItemLineDetail()
        item = detail.item_ref.value if detail.item_ref else None
        out.append(
            LocalLine(
                item_id=(ctx.local_id("Item", item) or item) if item else None,
                description=line.description,
                quantity=detail.qty,
                unit_price=detail.unit_price,
                amount=line.amount,
                tax_code=local_tax_code(ctx, detail.tax_code_ref),
                service_date=detail.service_date,
                class_id=local_ref(ctx, "Class", detail.class_ref),
            )
        )
    return tuple(out)


def local_ref(ctx: PullContext, entity: str, ref: models.Ref | None) -> str | None:
    """The product's id for a QBO reference (its QBO id when not linked)."""
    if ref is None or not ref.value:
        return None
    return ctx.local_id(entity, ref.value) or ref.value


def local_tax_code(ctx: PullContext, ref: models.Ref | None) -> str | None:
    """The product's tax code for a line's ``TaxCodeRef`` (QBO's id when not mapped once)."""
    if ref is None or not ref.value:
        return None
    return ctx.local_tax_code(ref.value)


def tracking_dependencies(class_ids: Sequence[str | None],
                          department_id: str | None = None) -> list[Dependency]:
    """The class and location mappings a transaction needs (kept as links)."""
    deps = [Dependency("Class", c) for c in sorted({c for c in class_ids if c is not None})]
    if department_id is not None:
        deps.append(Dependency("Department", department_id))
    return deps


def _line_dependencies(customer_id: str, lines: Sequence[LocalLine],
                       department_id: str | None = None) -> list[Dependency]:
    deps = [Dependency("Customer", customer_id)]
    seen: set[str] = set()
    for line in lines:
        if line.item_id is not None and line.item_id not in seen:
            seen.add(line.item_id)
            deps.append(Dependency("Item", line.item_id))
    deps.extend(tracking_dependencies([line.class_id for line in lines], department_id))
    return deps


def _doc_queries(entity: str, numbers: Sequence[str | None]) -> list[Query]:
    wanted = sorted({n for n in numbers if n})
    return [
        Query(entity).where_in("DocNumber", wanted[i : i + DOC_NUMBERS_PER_QUERY])
        for i in range(0, len(wanted), DOC_NUMBERS_PER_QUERY)
    ]


def _customer_local(entity: Any, ctx: PullContext) -> str:
    ref = entity.customer_ref.value if entity.customer_ref else None
    return (ctx.local_id("Customer", ref) or ref) if ref else "unknown"


_SALES_GROUPS = (
    FieldGroup("customer", ("customer_id",), ("customer_ref",)),
    FieldGroup("lines", ("lines",),
               ("line", "txn_tax_detail", "global_tax_calculation", "class_ref")),
)


class _SalesDocument(BaseMapper[S, Q]):
    """What invoices and credit memos share, and their matching by ``DocNumber``.

    Customer, lines, tax, class and location, number, date and memo.
    """

    def dependencies(self, record: S) -> Sequence[Dependency]:
        """The customer, every item on its lines, and its class and location mappings."""
        return _line_dependencies(record.customer_id, record.lines, record.department_id)

    def _document_to_qbo(self, record: S, ctx: MapContext) -> dict[str, Any]:
        lines, tax, txn_class = _lines_to_qbo(self.entity, record.id, record.lines, ctx)
        return {
            "customer_ref": models.Ref(value=ctx.qbo_id("Customer", record.customer_id)),
            "line": lines,
            "txn_tax_detail": tax.txn_tax_detail,
            "global_tax_calculation": tax.global_tax_calculation,
            "class_ref": txn_class,
            "department_ref": department_ref(ctx, record.department_id, self.entity, record.id),
            "doc_number": record.number,
            "txn_date": record.date,
            "customer_memo": models.MemoRef(value=record.memo) if record.memo else None,
        }

    def _document_from_qbo(self, entity: Q, ctx: PullContext) -> dict[str, Any]:
        qbo_id = entity.id or ""
        return {
            "id": ctx.local_id(self.entity, qbo_id) or qbo_id,
            "customer_id": _customer_local(entity, ctx),
            "lines": _lines_from_qbo(entity.line, ctx),
            "number": entity.doc_number,
            "date": entity.txn_date,
            "memo": entity.customer_memo.value if entity.customer_memo else None,
            "total": entity.total_amt,
            "department_id": local_ref(ctx, "Department", entity.department_ref),
        }

    def match_keys(self, record: S) -> Sequence[str]:
        """The document number."""
        return (f"doc:{record.number}",) if record.number else ()

    def qbo_match_keys(self, entity: Q) -> Sequence[str]:
        """``DocNumber``."""
        return (f"doc:{entity.doc_number}",) if entity.doc_number else ()

    def candidate_queries(self, records: Sequence[S]) -> Sequence[Query]:
        """``DocNumber IN (...)`` in chunks."""
        return _doc_queries(self.entity, [r.number for r in records])


class InvoiceMapper(_SalesDocument[LocalInvoice, models.Invoice]):
    """:class:`LocalInvoice` <-> QBO ``Invoice``.

    Writing one needs the ``income`` and ``accounts_receivable`` account
    mappings (the account-mapping gate): without them every invoice fails
    with ``mapping_missing`` and nothing is sent.
    """

    entity: ClassVar[str] = "Invoice"
    record_type = LocalInvoice
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        *_SALES_GROUPS,
        FieldGroup(
            "header",
            ("number", "date", "due_date", "memo", "private_note", "email", "department_id"),
            ("doc_number", "txn_date", "due_date", "customer_memo", "private_note", "bill_email",
             "department_ref"),
        ),
    )

    def to_qbo(self, record: LocalInvoice, ctx: MapContext) -> models.Invoice:
        """The QBO invoice (the A/R account mapped for the realm is set on it)."""
        ctx.account("income")
        receivable = ctx.account("accounts_receivable")
        return models.Invoice(
            **self._document_to_qbo(record, ctx),
            due_date=record.due_date,
            private_note=record.private_note,
            bill_email=models.EmailAddress(address=record.email) if record.email else None,
            ar_account_ref=models.Ref(value=receivable),
        )

    def from_qbo(self, entity: models.Invoice, ctx: PullContext) -> LocalInvoice:
        """The local invoice, with QBO's total and balance."""
        return LocalInvoice(
            **self._document_from_qbo(entity, ctx),
            due_date=entity.due_date,
            private_note=entity.private_note,
            email=entity.bill_email.address if entity.bill_email else None,
            voided=is_voided(entity),
            balance=entity.balance,
        )


class CreditMemoMapper(_SalesDocument[LocalCreditMemo, models.CreditMemo]):
    """:class:`LocalCreditMemo` <-> QBO ``CreditMemo`` (deleted, never voided)."""

    entity: ClassVar[str] = "CreditMemo"
    record_type = LocalCreditMemo
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        *_SALES_GROUPS,
        FieldGroup(
            "header", ("number", "date", "memo", "department_id"),
            ("doc_number", "txn_date", "customer_memo", "department_ref"),
        ),
    )

    def to_qbo(self, record: LocalCreditMemo, ctx: MapContext) -> models.CreditMemo:
        """The QBO credit memo."""
        ctx.account("income")
        return models.CreditMemo(**self._document_to_qbo(record, ctx))

    def from_qbo(self, entity: models.CreditMemo, ctx: PullContext) -> LocalCreditMemo:
        """The local credit memo, with QBO's total and remaining credit."""
        return LocalCreditMemo(
            **self._document_from_qbo(entity, ctx),
            remaining_credit=entity.remaining_credit,
        )


class PaymentMapper(BaseMapper[LocalPayment, models.Payment]):
    """:class:`LocalPayment` <-> QBO ``Payment``, applied to invoices by local id."""

    entity: ClassVar[str] = "Payment"
    record_type = LocalPayment
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        FieldGroup("customer", ("customer_id",), ("customer_ref",)),
        FieldGroup("amounts", ("amount", "applied_to"), ("total_amt", "line")),
        FieldGroup(
            "header", ("date", "reference", "memo"), ("txn_date", "payment_ref_num", "private_note")
        ),
    )

    def dependencies(self, record: LocalPayment) -> Sequence[Dependency]:
        """The customer and every invoice it pays."""
        deps = [Dependency("Customer", record.customer_id)]
        deps.extend(Dependency("Invoice", a.invoice_id) for a in record.applied_to)
        return deps

    def to_qbo(self, record: LocalPayment, ctx: MapContext) -> models.Payment:
        """The QBO payment; applying more than was received fails the record."""
        applied = sum((a.amount for a in record.applied_to), Decimal(0))
        if applied > record.amount:
            raise MappingError(
                f"Payment {record.id} applies {applied} but received {record.amount}",
                reason="invalid_record", entity=self.entity, local_id=record.id,
                field="applied_to",
            )
        lines = [
            models.PaymentLine(
                amount=a.amount,
                linked_txn=[
                    models.LinkedTxn(txn_id=ctx.qbo_id("Invoice", a.invoice_id), txn_type="Invoice")
                ],
            )
            for a in record.applied_to
        ]
        return models.Payment(
            customer_ref=models.Ref(value=ctx.qbo_id("Customer", record.customer_id)),
            total_amt=record.amount,
            txn_date=record.date,
            payment_ref_num=record.reference,
            private_note=record.memo,
            line=lines,
        )

    def from_qbo(self, entity: models.Payment, ctx: PullContext) -> LocalPayment:
        """The local payment; applications to invoices carry the local invoice ids."""
        qbo_id = entity.id or ""
        applied: list[LocalPaymentApplication] = []
        for line in entity.line or ():
            for txn in line.linked_txn or ():
                if txn.txn_type == "Invoice" and txn.txn_id and line.amount is not None:
                    local = ctx.local_id("Invoice", txn.txn_id) or txn.txn_id
                    applied.append(LocalPaymentApplication(invoice_id=local, amount=line.amount))
        return LocalPayment(
            id=ctx.local_id(self.entity, qbo_id) or qbo_id,
            customer_id=_customer_local(entity, ctx),
            amount=entity.total_amt if entity.total_amt is not None else Decimal(0),
            date=entity.txn_date,
            applied_to=tuple(applied),
            reference=entity.payment_ref_num,
            memo=entity.private_note,
            voided=is_voided(entity),
        )
