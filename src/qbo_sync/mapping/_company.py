"""What a company has switched on, and the tax, class and location rules built on it.

The engine reads the company's ``Preferences`` and ``CompanyInfo`` once per
push run that maps a transaction (a run whose records are all unchanged reads
nothing), and hands the result to mappers as a :class:`CompanySetup` through
:meth:`MapContext.company`. The helpers here are shared by the sales
and expense mappers, so every transaction follows the same rules:

- **Tax codes, US companies.** Lines carry the pseudo codes ``TAX``/``NON``.
  A product code mapped to a real TaxCode id (a sales-tax rate such as
  "California") puts ``TAX`` on the line and that code in the transaction's
  ``TxnTaxDetail.TxnTaxCodeRef``; one sales-tax code per transaction. With
  automated sales tax (``Preferences.TaxPrefs.PartnerTaxEnabled``), QBO
  computes the tax itself, so no ``TxnTaxDetail`` is sent at all
  (**UNCERTAIN**: whether QBO would ignore or refuse one; the engine's
  ``automated_sales_tax`` option overrides the preference if it misleads).
- **Tax codes, other countries** (VAT/GST): each line carries the mapped
  TaxCode id, and the transaction carries ``GlobalTaxCalculation``, the
  product's ``tax_calculation`` (``TaxExcluded`` by default, or
  ``TaxInclusive``). Tax-inclusive line amounts (the product's, gross) are
  sent as QBO stores them: ``TaxInclusiveAmt`` the gross, ``Amount`` the net
  worked out from the code's rates (read once per run in that mode).
  **UNCERTAIN**: which of the two QBO reads when both are sent; a
  quickbooks-ruby maintainer found it reads ``Amount`` as net whatever
  ``GlobalTaxCalculation`` says (ruckus/quickbooks-ruby#346), which this
  shape satisfies either way.
- **No tax code on any line**, outside the US: ``GlobalTaxCalculation`` is
  ``NotApplicable`` (QBO requires the field on non-US sales forms, and a
  line without a code only where no tax applies). In the US nothing is sent.
- **Classes** go on lines when the company tracks classes per line, on the
  transaction when it tracks one class per transaction (expense forms have
  classes on lines only, so there they go on lines in both cases).
- **Locations** (QBO departments) go on the transaction when the company
  tracks them.
- A record naming a class or location the company does not track is pushed
  without it, and its outcome's message says so: the product's data is
  still right, and failing every expense of a company that switched class
  tracking off would block the books for a cosmetic field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from qbo_sync import models
from qbo_sync.errors import MappingError

__all__ = [
    "TAX_CALCULATIONS",
    "US_PSEUDO_CODES",
    "CompanySetup",
    "TaxPlan",
    "class_ref",
    "department_ref",
    "plan_tax",
]

#: The values of ``GlobalTaxCalculation`` a product may choose (facts 7.2).
TAX_CALCULATIONS = ("TaxExcluded", "TaxInclusive")
#: The TaxCode ids every US company has for "taxable" and "not taxable".
US_PSEUDO_CODES = frozenset({"TAX", "NON"})
_CENT = Decimal("0.01")


@attrs.frozen(kw_only=True)
class CompanySetup:
    """What a company has switched on, as far as mapping a transaction goes.

    Attributes:
        country: ``CompanyInfo.Country`` (``"US"``, ``"GB"``, ``"CA"``...).
        automated_sales_tax: US: QBO computes sales tax itself
            (``Preferences.TaxPrefs.PartnerTaxEnabled``).
        class_tracking: ``"off"``, ``"transaction"`` (one class per
            transaction) or ``"line"`` (``AccountingInfoPrefs.ClassTrackingPerTxn``
            / ``ClassTrackingPerTxnLine``).
        location_tracking: Locations (departments) on transactions
            (``AccountingInfoPrefs.TrackDepartments``).
        tax_calculation: Outside the US: the product's ``GlobalTaxCalculation``.
        tax_rates: TaxCode id -> its total (sales, purchase) rate in percent;
            read only for tax-inclusive amounts outside the US.
    """

    country: str | None = "US"
    automated_sales_tax: bool = False
    class_tracking: str = attrs.field(
        default="off", validator=attrs.validators.in_(("off", "transaction", "line")))
    location_tracking: bool = False
    tax_calculation: str = attrs.field(
        default="TaxExcluded", validator=attrs.validators.in_(TAX_CALCULATIONS))
    tax_rates: Mapping[str, tuple[Decimal | None, Decimal | None]] = attrs.field(
        factory=dict, eq=False)

    @property
    def needs_rates(self) -> bool:
        """Whether line amounts must be split into net and tax here (tax-inclusive, non-US)."""
        return not self.us and self.tax_calculation == "TaxInclusive"

    @property
    def us(self) -> bool:
        """Whether US sales-tax rules apply (no country read counts as the US)."""
        return (self.country or "US").strip().upper() in ("US", "USA", "UNITED STATES")

    @classmethod
    def from_qbo(
        cls, preferences: models.Preferences | None, info: models.CompanyInfo | None, *,
        tax_calculation: str = "TaxExcluded", automated_sales_tax: bool | None = None,
    ) -> CompanySetup:
        """The setup QBO's ``Preferences`` and ``CompanyInfo`` describe.

        Args:
            preferences: The company's preferences.
            info: The company's info (its country).
            tax_calculation: The product's choice for non-US companies.
            automated_sales_tax: Overrides ``TaxPrefs.PartnerTaxEnabled`` when given.
        """
        accounting = preferences.accounting_info_prefs if preferences else None
        tax = preferences.tax_prefs if preferences else None
        per_line = bool(getattr(accounting, "class_tracking_per_txn_line", False))
        per_txn = bool(getattr(accounting, "class_tracking_per_txn", False))
        ast = automated_sales_tax if automated_sales_tax is not None \
            else bool(tax.partner_tax_enabled if tax else False)
        return cls(
            country=info.country if info else None,
            automated_sales_tax=ast,
            class_tracking="line" if per_line else "transaction" if per_txn else "off",
            location_tracking=bool(getattr(accounting, "track_departments", False)),
            tax_calculation=tax_calculation,
        )


@attrs.frozen
class TaxPlan:
    """The tax fields of one transaction.

    Attributes:
        line_codes: The TaxCode id for each line (``None``: none sent).
        txn_tax_detail: The transaction's ``TxnTaxDetail`` (US sales tax rate).
        global_tax_calculation: Outside the US: ``TaxExcluded``/``TaxInclusive``.
        amounts: Each line's ``Amount`` to send (the net when tax-inclusive).
        inclusive: Each line's ``TaxInclusiveAmt`` (tax-inclusive lines only).
    """

    line_codes: tuple[str | None, ...]
    txn_tax_detail: models.TxnTaxDetail | None = None
    global_tax_calculation: str | None = None
    amounts: tuple[Decimal, ...] = ()
    inclusive: tuple[Decimal | None, ...] = ()


def _mapped(ctx: Any, code: str, entity: str, local_id: str, n: int) -> str:
    try:
        found: str = ctx.tax_code(code)
    except MappingError as exc:
        raise MappingError(
            f"line {n + 1}: {exc.message}", reason=exc.reason, entity=entity,
            local_id=local_id, field=f"lines[{n}].tax_code",
        ) from None
    return found


def _net(setup: CompanySetup, code: str | None, gross: Decimal, *, sales: bool,
         entity: str, local_id: str, n: int) -> Decimal:
    if code is None:
        return gross
    rates = setup.tax_rates.get(code)
    rate = None if rates is None else rates[0 if sales else 1]
    if rate is None:
        raise MappingError(
            f"line {n + 1}: TaxCode {code} has no {'sales' if sales else 'purchase'} rate "
            "to take out of a tax-inclusive amount", reason="invalid_record", entity=entity,
            local_id=local_id, field=f"lines[{n}].tax_code",
        )
    return (gross / (1 + rate / 100)).quantize(_CENT, rounding=ROUND_HALF_UP)


def plan_tax(
    ctx: Any, entity: str, local_id: str, codes: Sequence[str | None], *, sales: bool,
    amounts: Sequence[Decimal] = (),
) -> TaxPlan:
    """The tax fields for lines with the product's tax ``codes`` (see the module docs).

    The company is read (``ctx.company()``: once per run) for every
    transaction, as its country decides the rules.

    Args:
        ctx: The mapping context.
        entity: The QBO entity (for messages).
        local_id: The record's id (for messages).
        codes: The product's tax code of each line.
        sales: A sales form (else a purchase: bills, expenses).
        amounts: The product's line amounts (gross when tax-inclusive).

    Raises:
        MappingError: ``mapping_missing`` naming the line whose code is not
            mapped; ``invalid_record`` for two sales-tax rates on one US
            sales transaction, or, outside the US, a line without a code
            next to lines with one.
    """
    amounts = tuple(amounts)
    none: tuple[Decimal | None, ...] = tuple(None for _ in amounts)
    mapped = [None if code is None else _mapped(ctx, code, entity, local_id, n)
              for n, code in enumerate(codes)]
    setup: CompanySetup = ctx.company()
    if all(code is None for code in mapped):
        # Outside the US a transaction must say how tax applies, and a line
        # without a code is only accepted when no tax applies at all.
        return TaxPlan(tuple(mapped), amounts=amounts, inclusive=none,
                       global_tax_calculation=None if setup.us else "NotApplicable")
    if not setup.us:
        missing = [n for n, code in enumerate(mapped) if code is None]
        if missing:
            # QBO taxes every line of a VAT/GST transaction, or none of them.
            raise MappingError(
                f"line {missing[0] + 1} has no tax code, but other lines have one: a "
                "company outside the US needs a tax code on every line (or on none)",
                reason="invalid_record", entity=entity, local_id=local_id,
                field=f"lines[{missing[0]}].tax_code",
            )
        inclusive: tuple[Decimal | None, ...] = tuple(None for _ in amounts)
        if setup.needs_rates:
            inclusive = tuple(None if c is None else a for c, a in zip(mapped, amounts,
                                                                         strict=True))
            amounts = tuple(_net(setup, c, a, sales=sales, entity=entity, local_id=local_id, n=n)
                            for n, (c, a) in enumerate(zip(mapped, amounts, strict=True)))
        return TaxPlan(tuple(mapped), global_tax_calculation=setup.tax_calculation,
                       amounts=amounts, inclusive=inclusive)
    lines = tuple("TAX" if c is not None and c not in US_PSEUDO_CODES else c for c in mapped)
    if not sales:
        # US purchases carry no sales tax: TAX/NON only says whether a billable
        # cost is taxable when billed on.
        return TaxPlan(lines, amounts=amounts, inclusive=none)
    rates = sorted({c for c in mapped if c is not None and c not in US_PSEUDO_CODES})
    if len(rates) > 1:
        raise MappingError(
            f"{entity} {local_id}: a US sales transaction has one sales-tax rate, but its "
            f"lines map to TaxCodes {', '.join(rates)}", reason="invalid_record",
            entity=entity, local_id=local_id, field="lines",
        )
    if not rates or setup.automated_sales_tax:
        return TaxPlan(lines, amounts=amounts, inclusive=none)
    detail = models.TxnTaxDetail(txn_tax_code_ref=models.Ref(value=rates[0]))
    return TaxPlan(lines, txn_tax_detail=detail, amounts=amounts, inclusive=none)


def _tracked(ctx: Any, kind: str, local: str, *, entity: str, local_id: str, field: str,
             on: bool) -> models.Ref | None:
    if not on:
        ctx.warn(f"{kind.lower()} {local!r} not sent: the company does not track "
                 f"{'classes' if kind == 'Class' else 'locations'}")
        return None
    try:
        return models.Ref(value=ctx.qbo_id(kind, local))
    except MappingError:
        how = "map_classes" if kind == "Class" else "map_departments"
        raise MappingError(
            f"{kind.lower()} {local!r} is not mapped to a QBO {kind} (engine.{how}())",
            reason="mapping_missing", entity=entity, local_id=local_id, field=field,
        ) from None


def class_ref(ctx: Any, class_id: str | None, entity: str, local_id: str,
              field: str) -> models.Ref | None:
    """The QBO class for the product's ``class_id``; ``None`` when tracking is off.

    Raises:
        MappingError: ``mapping_missing`` when the class is not mapped.
    """
    if class_id is None:
        return None
    setup: CompanySetup = ctx.company()
    return _tracked(ctx, "Class", class_id, entity=entity, local_id=local_id, field=field,
                    on=setup.class_tracking != "off")


def department_ref(ctx: Any, department_id: str | None, entity: str,
                   local_id: str) -> models.Ref | None:
    """The QBO department for the product's location; ``None`` when tracking is off.

    Raises:
        MappingError: ``mapping_missing`` when the location is not mapped.
    """
    if department_id is None:
        return None
    setup: CompanySetup = ctx.company()
    return _tracked(ctx, "Department", department_id, entity=entity, local_id=local_id,
                    field="department_id", on=setup.location_tracking)
