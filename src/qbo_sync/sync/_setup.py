"""Reading a company's set-up for a product's settings screen, and routing records.

- :func:`read_tax_codes`: the company's TaxCodes with their sales and
  purchase rates (two queries: TaxCode and TaxRate are read-only lists, not
  in CDC, facts 7.6), so a product can show them next to its own rates.
- :func:`suggest_tax_codes`: pairs the product's rates with those codes by
  rate value, only where that is unambiguous.
- :func:`suggest_account_roles`: the account QBO's own defaults would use
  for each role the bundled mappers need.
- :func:`route`: which mapper takes a record when several take its type
  (an expense: ``Purchase`` or ``Bill``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from qbo_sync import models
from qbo_sync.client import QBOClient, Query
from qbo_sync.errors import ConfigurationError
from qbo_sync.mapping import US_PSEUDO_CODES, Mapper
from qbo_sync.storage import EntityLink

__all__ = [
    "ACCOUNT_ROLES",
    "TaxCodeInfo",
    "TaxRateInfo",
    "read_tax_codes",
    "route",
    "suggest_account_roles",
    "suggest_tax_codes",
]

#: QBO ``AccountType`` -> the account-mapping role the bundled mappers use.
ACCOUNT_ROLES: Mapping[str, str] = {
    "Income": "income",
    "Accounts Receivable": "accounts_receivable",
    "Expense": "expense",
    "Bank": "bank",
    "Credit Card": "credit_card",
    "Accounts Payable": "accounts_payable",
}


@attrs.frozen(kw_only=True)
class TaxRateInfo:
    """One QBO TaxRate.

    Attributes:
        id: Its QBO id.
        name: Its name ("VAT 20%").
        rate: The percentage (``Decimal("20")`` for 20 %).
    """

    id: str
    name: str | None
    rate: Decimal | None


@attrs.frozen(kw_only=True)
class TaxCodeInfo:
    """One QBO TaxCode with its rates, for a product's settings screen.

    Attributes:
        id: Its QBO id (``"TAX"``/``"NON"`` in US companies).
        name: Its name.
        description: Its description.
        taxable: QBO's ``Taxable`` flag.
        sales_rates: The rates it applies to sales.
        purchase_rates: The rates it applies to purchases (VAT/GST companies).
    """

    id: str
    name: str | None
    description: str | None = None
    taxable: bool | None = None
    sales_rates: tuple[TaxRateInfo, ...] = ()
    purchase_rates: tuple[TaxRateInfo, ...] = ()

    @property
    def sales_rate(self) -> Decimal | None:
        """The total sales rate (the sum of its rates), ``None`` with no rate list."""
        rates = [r.rate for r in self.sales_rates if r.rate is not None]
        return sum(rates, Decimal(0)) if self.sales_rates else None

    @property
    def purchase_rate(self) -> Decimal | None:
        """The total purchase rate, ``None`` with no rate list."""
        rates = [r.rate for r in self.purchase_rates if r.rate is not None]
        return sum(rates, Decimal(0)) if self.purchase_rates else None


def _rates(rate_list: models.TaxRateList | None,
           rates: Mapping[str, models.TaxRate]) -> tuple[TaxRateInfo, ...]:
    out = []
    for detail in (rate_list.tax_rate_detail or []) if rate_list else []:
        ref = detail.tax_rate_ref.value if detail.tax_rate_ref else None
        if ref is None:
            continue
        rate = rates.get(ref)
        out.append(TaxRateInfo(id=ref, name=rate.name if rate else None,
                               rate=rate.rate_value if rate else None))
    return tuple(out)


def read_tax_codes(client: QBOClient) -> list[TaxCodeInfo]:
    """The company's active TaxCodes with their rates (two queries)."""
    rates = {str(r.id): r for r in client.tax_rates.query(Query("TaxRate").order_by("Id"))}
    codes = []
    for code in client.tax_codes.query(Query("TaxCode").order_by("Id")):
        if code.active is False or code.id is None:
            continue
        codes.append(TaxCodeInfo(
            id=str(code.id), name=code.name, description=code.description,
            taxable=code.taxable, sales_rates=_rates(code.sales_tax_rate_list, rates),
            purchase_rates=_rates(code.purchase_tax_rate_list, rates),
        ))
    return codes


def suggest_tax_codes(codes: Sequence[TaxCodeInfo],
                      product_rates: Mapping[str, Decimal]) -> dict[str, str]:
    """Pair the product's tax codes with QBO TaxCodes by rate (percent), when unambiguous.

    A product code is paired with the one TaxCode whose total sales rate
    equals its rate. In a US company (pseudo codes ``TAX``/``NON``), a rate
    no rate-bearing code has goes to ``NON`` when it is zero and to ``TAX``
    otherwise. Codes with no single candidate (three 0 % VAT codes: zero
    rated, exempt, out of scope) are left out for a person to choose.
    """
    ids = {c.id for c in codes}
    us = ids >= US_PSEUDO_CODES
    found: dict[str, str] = {}
    for local, rate in product_rates.items():
        wanted = Decimal(rate)
        same = [c.id for c in codes if c.sales_rate is not None and c.sales_rate == wanted]
        if len(same) == 1:
            found[local] = same[0]
        elif not same and us:
            found[local] = "NON" if wanted == 0 else "TAX"
    return found


def suggest_account_roles(accounts: Iterable[models.Account]) -> dict[str, str]:
    """The first account of each type in :data:`ACCOUNT_ROLES`, by role."""
    found: dict[str, str] = {}
    for account in accounts:
        role = ACCOUNT_ROLES.get(account.account_type or "")
        if role is not None and role not in found and account.id:
            found[role] = str(account.id)
    return found


def route(
    records: Iterable[Any], mappers: Sequence[Mapper[Any, Any]],
    links: Callable[[str, Sequence[str]], Mapping[str, EntityLink]],
    *, preferred: Callable[[type[Any]], str | None],
) -> dict[Mapper[Any, Any], list[Any]]:
    """Group records by the mapper that takes them.

    When several mappers take a record's type (``LocalExpense``: purchases
    and bills), a record linked under one entity stays with it (so changing
    the setting never writes a second copy); otherwise the record's own
    ``entity`` attribute decides, then ``preferred(type)``, then the first.

    Raises:
        ConfigurationError: A record no mapper takes, or one given twice.
    """
    grouped: dict[Mapper[Any, Any], list[Any]] = {m: [] for m in mappers}
    shared: dict[tuple[Mapper[Any, Any], ...], list[Any]] = {}
    seen: set[tuple[str, str]] = set()
    for record in records:
        takers = tuple(m for m in mappers if isinstance(record, m.record_type))
        if not takers:
            raise ConfigurationError(
                f"no mapper takes records of type {type(record).__qualname__}; mapped types: "
                f"{', '.join(m.record_type.__qualname__ for m in mappers)}"
            )
        key = (takers[0].entity, takers[0].local_id(record))
        if key in seen:
            raise ConfigurationError(f"{key[0]} {key[1]} was given twice in one push")
        seen.add(key)
        if len(takers) == 1:
            grouped[takers[0]].append(record)
        else:
            shared.setdefault(takers, []).append(record)
    for takers, held in shared.items():
        ids = [takers[0].local_id(r) for r in held]
        linked = {m: links(m.entity, ids) for m in takers}
        default = preferred(type(held[0]))
        for record, local_id in zip(held, ids, strict=True):
            chosen = next((m for m in takers if local_id in linked[m]), None)
            own = getattr(record, "entity", None)
            chosen = chosen or next((m for m in takers if m.entity == own), None)
            chosen = chosen or next((m for m in takers if m.entity == default), takers[0])
            grouped[chosen].append(record)
    return grouped
