"""Mappers for what the product spends: vendors, and expenses as purchases or bills.

- A vendor is matched by its normalised display name (QBO has no other
  natural key for it: a supplier's e-mail is often a shared accounts
  address). Candidates are every active vendor, in pages of 1,000; an
  inactive namesake surfaces as QBO's 6240, which the engine resolves as for
  customers.
- A :class:`~qbo_sync.mapping.LocalExpense` is written as a ``Purchase``
  (:class:`PurchaseMapper`: paid already, from a bank or credit-card account)
  or a ``Bill`` (:class:`BillMapper`: owed to the vendor, on accounts
  payable). The engine routes each expense to one of the two (see
  ``SyncEngine(expense_entity=...)``) and keeps it there once linked.
- Expenses are matched by number *and* date (``DocNumber`` is not unique
  across vendors, and is often absent); an expense without both is only
  ever created, and the ``requestid`` discipline keeps it single. An
  interrupted create older than the engine's ``replay_window`` is held as
  ``needs_review``, as for payments, since it may have no key to match by.
- Expenses are deleted, never voided (QBO has no void for bills).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from qbo_sync import models
from qbo_sync.client import Query
from qbo_sync.errors import MappingError
from qbo_sync.mapping._company import class_ref, department_ref, plan_tax
from qbo_sync.mapping._names import (
    address_from_qbo,
    address_to_qbo,
    party_from_qbo,
    party_to_qbo,
)
from qbo_sync.mapping._protocol import (
    BaseMapper,
    Dependency,
    FieldGroup,
    MapContext,
    PullContext,
    normalise_name,
)
from qbo_sync.mapping._records import LocalExpense, LocalExpenseLine, LocalVendor
from qbo_sync.mapping._sales import local_ref, local_tax_code, tracking_dependencies

__all__ = ["BillMapper", "PurchaseMapper", "VendorMapper"]

#: DocNumbers per candidate query.
DOC_NUMBERS_PER_QUERY = 100

E = TypeVar("E", models.Purchase, models.Bill)


def _name_key(name: str | None) -> tuple[str, ...]:
    text = normalise_name(name)
    return (f"name:{text}",) if text else ()


class VendorMapper(BaseMapper[LocalVendor, models.Vendor]):
    """:class:`LocalVendor` <-> QBO ``Vendor``, matched by normalised display name."""

    entity: ClassVar[str] = "Vendor"
    record_type = LocalVendor
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        FieldGroup(
            "name",
            ("display_name", "company_name", "given_name", "family_name"),
            ("display_name", "company_name", "given_name", "family_name"),
        ),
        FieldGroup("contact", ("email", "phone"), ("primary_email_addr", "primary_phone")),
        FieldGroup("addresses", ("address",), ("bill_addr",)),
        FieldGroup("account", ("account_number",), ("acct_num",)),
        FieldGroup("notes", ("notes",), ("notes",)),
    )

    def to_qbo(self, record: LocalVendor, ctx: MapContext) -> models.Vendor:
        """The QBO vendor; a deleted record is sent inactive."""
        return models.Vendor(
            **party_to_qbo(record),
            bill_addr=address_to_qbo(record.address),
            acct_num=record.account_number,
        )

    def from_qbo(self, entity: models.Vendor, ctx: PullContext) -> LocalVendor:
        """The local vendor a QBO vendor stands for."""
        return LocalVendor(
            **party_from_qbo(entity, ctx.local_id(self.entity, entity.id or "")),
            address=address_from_qbo(entity.bill_addr),
            account_number=entity.acct_num,
        )

    def match_keys(self, record: LocalVendor) -> Sequence[str]:
        """The normalised display name."""
        return _name_key(record.display_name)

    def qbo_match_keys(self, entity: models.Vendor) -> Sequence[str]:
        """The normalised display name of a QBO vendor."""
        return _name_key(entity.display_name)

    def candidate_queries(self, records: Sequence[LocalVendor]) -> Sequence[Query]:
        """Every active vendor."""
        return (Query("Vendor").order_by("Id"),) if records else ()


def _line_account(ctx: MapContext, line: LocalExpenseLine, entity: str, local_id: str,
                  n: int) -> str:
    if line.account_id:
        return line.account_id
    try:
        return ctx.account(line.account_role)
    except MappingError as exc:
        raise MappingError(f"line {n + 1}: {exc.message}", reason=exc.reason, entity=entity,
                           local_id=local_id, field=f"lines[{n}].account_role") from None


def _doc_key(number: str | None, date: Any) -> tuple[str, ...]:
    return (f"doc:{number}|{date.isoformat()}",) if number and date is not None else ()


class _ExpenseMapper(BaseMapper[LocalExpense, E]):
    """What :class:`PurchaseMapper` and :class:`BillMapper` share."""

    record_type = LocalExpense
    _vendor_attr: ClassVar[str] = ""
    #: An expense without a number and a date has no match key: an interrupted
    #: create of one, older than the engine's ``replay_window``, is held for
    #: review (``needs_review``) rather than created again, as for payments.
    match_keys_optional: ClassVar[bool] = True

    def __init__(self, *, match_by_number: bool = True) -> None:
        """A mapper that matches by number and date, unless told not to.

        Args:
            match_by_number: Match expenses to QBO's by number and date. Off:
                never match (no candidate query; UNCERTAIN whether QBO
                filters every company's purchases and bills by ``DocNumber``).
        """
        self.match_by_number = match_by_number

    def dependencies(self, record: LocalExpense) -> Sequence[Dependency]:
        """The vendor, customers of billable lines, and class and location mappings."""
        deps = [Dependency("Vendor", record.vendor_id)] if record.vendor_id else []
        customers = sorted({ln.customer_id for ln in record.lines if ln.customer_id})
        deps.extend(Dependency("Customer", c) for c in customers)
        deps.extend(tracking_dependencies([ln.class_id for ln in record.lines],
                                          record.department_id))
        return deps

    def _lines(self, record: LocalExpense, ctx: MapContext
               ) -> tuple[list[models.Line], str | None, models.TxnTaxDetail | None]:
        if not record.lines:
            raise MappingError(f"{self.entity} {record.id} has no lines",
                               reason="invalid_record", entity=self.entity,
                               local_id=record.id, field="lines")
        tax = plan_tax(ctx, self.entity, record.id, [ln.tax_code for ln in record.lines],
                       sales=False, amounts=[ln.amount for ln in record.lines])
        out: list[models.Line] = []
        for n, (line, code) in enumerate(zip(record.lines, tax.line_codes, strict=True)):
            customer = ctx.qbo_id("Customer", line.customer_id) if line.customer_id else None
            detail = models.AccountBasedExpenseLineDetail(
                account_ref=models.Ref(value=_line_account(ctx, line, self.entity, record.id, n)),
                tax_code_ref=models.Ref(value=code) if code is not None else None,
                customer_ref=models.Ref(value=customer) if customer else None,
                billable_status=(None if customer is None
                                 else "Billable" if line.billable else "NotBillable"),
                # Expense forms have classes on lines, whichever tracking mode.
                class_ref=class_ref(ctx, line.class_id, self.entity, record.id,
                                    f"lines[{n}].class_id"),
                tax_inclusive_amt=tax.inclusive[n],
            )
            out.append(models.AccountBasedExpenseLine(
                amount=tax.amounts[n], description=line.description,
                account_based_expense_line_detail=detail,
            ))
        return out, tax.global_tax_calculation, tax.txn_tax_detail

    def _vendor(self, record: LocalExpense, ctx: MapContext) -> models.Ref | None:
        if record.vendor_id is None:
            return None
        return models.Ref(value=ctx.qbo_id("Vendor", record.vendor_id))

    def _common(self, record: LocalExpense, ctx: MapContext) -> dict[str, Any]:
        lines, calculation, detail = self._lines(record, ctx)
        return {
            "line": lines,
            "global_tax_calculation": calculation,
            "txn_tax_detail": detail,
            "doc_number": record.number,
            "txn_date": record.date,
            "private_note": record.memo,
            "department_ref": department_ref(ctx, record.department_id, self.entity, record.id),
        }

    def _lines_from_qbo(self, entity: Any, ctx: PullContext) -> tuple[LocalExpenseLine, ...]:
        out: list[LocalExpenseLine] = []
        for line in entity.line or ():
            if not isinstance(line, models.AccountBasedExpenseLine) or line.amount is None:
                continue  # item-based lines are QBO's own
            detail = line.account_based_expense_line_detail \
                or models.AccountBasedExpenseLineDetail()
            account = detail.account_ref.value if detail.account_ref else None
            out.append(LocalExpenseLine(
                amount=line.amount, description=line.description,
                account_id=account,
                tax_code=local_tax_code(ctx, detail.tax_code_ref),
                customer_id=local_ref(ctx, "Customer", detail.customer_ref),
                billable=detail.billable_status != "NotBillable",
                class_id=local_ref(ctx, "Class", detail.class_ref),
            ))
        return tuple(out)

    def _from_common(self, entity: Any, ctx: PullContext) -> dict[str, Any]:
        qbo_id = entity.id or ""
        return {
            "id": ctx.local_id(self.entity, qbo_id) or qbo_id,
            "lines": self._lines_from_qbo(entity, ctx),
            "vendor_id": local_ref(ctx, "Vendor", getattr(entity, self._vendor_attr)),
            "date": entity.txn_date,
            "number": entity.doc_number,
            "entity": self.entity,
            "memo": entity.private_note,
            "department_id": local_ref(ctx, "Department", entity.department_ref),
            "total": entity.total_amt,
        }

    def match_keys(self, record: LocalExpense) -> Sequence[str]:
        """Number and date, when the expense has both."""
        return _doc_key(record.number, record.date) if self.match_by_number else ()

    def qbo_match_keys(self, entity: E) -> Sequence[str]:
        """``DocNumber`` and ``TxnDate``."""
        return _doc_key(entity.doc_number, entity.txn_date)

    def candidate_queries(self, records: Sequence[LocalExpense]) -> Sequence[Query]:
        """``DocNumber IN (...)`` in chunks, for expenses with a number and a date."""
        if not self.match_by_number:
            return []
        wanted = sorted({r.number for r in records if r.number and r.date is not None})
        return [Query(self.entity).where_in("DocNumber", wanted[i : i + DOC_NUMBERS_PER_QUERY])
                for i in range(0, len(wanted), DOC_NUMBERS_PER_QUERY)]


_LINE_ATTRS = ("line", "global_tax_calculation", "txn_tax_detail")
_HEADER = FieldGroup("header", ("number", "date", "memo", "department_id"),
                     ("doc_number", "txn_date", "private_note", "department_ref"))


class PurchaseMapper(_ExpenseMapper[models.Purchase]):
    """:class:`LocalExpense` <-> QBO ``Purchase`` (an expense paid already).

    Writing one needs the payment account's role mapped (``bank``, or
    ``credit_card`` for credit card purchases) and each line's expense account
    (``expense`` by default): without them the expense fails with
    ``mapping_missing`` and nothing is sent.
    """

    entity: ClassVar[str] = "Purchase"
    _vendor_attr: ClassVar[str] = "entity_ref"
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        FieldGroup("vendor", ("vendor_id",), ("entity_ref",)),
        FieldGroup("lines", ("lines",), _LINE_ATTRS),
        FieldGroup("payment", ("payment_type", "payment_account_role", "payment_account_id"),
                   ("payment_type", "account_ref")),
        _HEADER,
    )

    def to_qbo(self, record: LocalExpense, ctx: MapContext) -> models.Purchase:
        """The QBO purchase, paid from the mapped bank or credit-card account."""
        role = record.payment_account_role or (
            "credit_card" if record.payment_type == "CreditCard" else "bank")
        account = record.payment_account_id or ctx.account(role)
        vendor = self._vendor(record, ctx)
        return models.Purchase(
            payment_type=record.payment_type,
            account_ref=models.Ref(value=account),
            entity_ref=models.Ref(value=vendor.value, type="Vendor") if vendor else None,
            **self._common(record, ctx),
        )

    def from_qbo(self, entity: models.Purchase, ctx: PullContext) -> LocalExpense:
        """The local expense a QBO purchase stands for."""
        kind = entity.payment_type if entity.payment_type in ("Cash", "Check", "CreditCard") \
            else "Cash"
        return LocalExpense(
            payment_type=kind,
            payment_account_id=entity.account_ref.value if entity.account_ref else None,
            **self._from_common(entity, ctx),
        )


class BillMapper(_ExpenseMapper[models.Bill]):
    """:class:`LocalExpense` <-> QBO ``Bill`` (an expense owed to its vendor).

    Writing one needs a vendor, the ``accounts_payable`` account mapping and
    each line's expense account (``expense`` by default).
    """

    entity: ClassVar[str] = "Bill"
    _vendor_attr: ClassVar[str] = "vendor_ref"
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        FieldGroup("vendor", ("vendor_id",), ("vendor_ref",)),
        FieldGroup("lines", ("lines",), _LINE_ATTRS),
        FieldGroup("payment", ("due_date",), ("due_date", "ap_account_ref")),
        _HEADER,
    )

    def to_qbo(self, record: LocalExpense, ctx: MapContext) -> models.Bill:
        """The QBO bill, on the mapped accounts-payable account."""
        payable = ctx.account("accounts_payable")
        vendor = self._vendor(record, ctx)
        if vendor is None:
            raise MappingError(f"Bill {record.id} has no vendor (a bill is owed to one)",
                               reason="invalid_record", entity=self.entity,
                               local_id=record.id, field="vendor_id")
        return models.Bill(
            vendor_ref=vendor,
            ap_account_ref=models.Ref(value=payable),
            due_date=record.due_date,
            **self._common(record, ctx),
        )

    def from_qbo(self, entity: models.Bill, ctx: PullContext) -> LocalExpense:
        """The local expense a QBO bill stands for, with what is still owed."""
        return LocalExpense(
            due_date=entity.due_date,
            balance=entity.balance,
            **self._from_common(entity, ctx),
        )

