"""A deterministic sample book of local records: for the demo, benchmarks and tests.

``sample_book(customers=2000, items=100, invoices=6000, payments=2000,
credit_memos=200)`` is the demo-sized book of the engine's benchmarks. The
same arguments and seed always give the same records, so a second run finds
every record unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import attrs

from qbo_sync.mapping import (
    LocalAddress,
    LocalCreditMemo,
    LocalCustomer,
    LocalInvoice,
    LocalItem,
    LocalLine,
    LocalPayment,
    LocalPaymentApplication,
)

__all__ = ["SampleBook", "sample_book"]

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia",
          "Margaret", "Tim", "Hedy", "Linus", "Katherine", "John", "Sophie")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
         "Perlman", "Hamilton", "Berners-Lee", "Lamarr", "Torvalds", "Johnson", "McCarthy")
_CITIES = (("Mountain View", "CA", "94043"), ("Austin", "TX", "73301"),
           ("Portland", "OR", "97201"), ("Denver", "CO", "80201"))
_WORK = ("Boiler service", "Site visit", "Consulting hour", "Pipe repair", "Inspection",
         "Filter replacement", "Emergency call-out", "Installation", "Maintenance plan")
_START = dt.date(2026, 1, 5)


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low, high)).scaleb(-2)


@attrs.frozen(kw_only=True)
class SampleBook:
    """The records of a sample book, by kind, in push order."""

    items: tuple[LocalItem, ...]
    customers: tuple[LocalCustomer, ...]
    invoices: tuple[LocalInvoice, ...]
    credit_memos: tuple[LocalCreditMemo, ...]
    payments: tuple[LocalPayment, ...]

    def records(self) -> list[object]:
        """Every record, items and customers first."""
        return [*self.items, *self.customers, *self.invoices, *self.credit_memos, *self.payments]

    def __len__(self) -> int:
        return (len(self.items) + len(self.customers) + len(self.invoices)
                + len(self.credit_memos) + len(self.payments))


def sample_book(
    *,
    customers: int = 25,
    items: int = 5,
    invoices: int = 40,
    payments: int = 10,
    credit_memos: int = 3,
    seed: int = 7,
) -> SampleBook:
    """Make a book of field-service records (deterministic for a seed).

    Invoices have one to three lines; every fifth line has no item (it goes
    on the default service item). Payments pay invoices in full, in order;
    every third one pays half.

    Raises:
        ValueError: Negative counts, payments without invoices, or invoices
            or credit memos without customers.
    """
    if min(customers, items, invoices, payments, credit_memos) < 0:
        raise ValueError("sample_book: counts must be >= 0")
    if payments > invoices:
        raise ValueError(f"sample_book: {payments} payments need as many invoices, got {invoices}")
    if (invoices or credit_memos) and not customers:
        raise ValueError("sample_book: invoices and credit memos need customers")
    rng = random.Random(seed)
    item_list = tuple(
        LocalItem(id=f"item-{n:05d}", name=f"{_WORK[n % len(_WORK)]} #{n}",
                  description=_WORK[n % len(_WORK)],
                  unit_price=_cents(rng, 2500, 30000))
        for n in range(items)
    )
    customer_list = []
    for n in range(customers):
        first, last = _FIRST[n % len(_FIRST)], _LAST[(n // len(_FIRST)) % len(_LAST)]
        city, region, postal = _CITIES[n % len(_CITIES)]
        customer_list.append(LocalCustomer(
            id=f"cust-{n:05d}", display_name=f"{first} {last} ({n})", given_name=first,
            family_name=last, email=f"{first}.{last}.{n}@example.com".lower(),
            phone=f"555-{n % 10000:04d}",
            billing_address=LocalAddress(line1=f"{100 + n} Main St", city=city, region=region,
                                         postal_code=postal, country="US"),
        ))

    def lines(k: int) -> tuple[LocalLine, ...]:
        out = []
        for j in range(1 + k % 3):
            price = _cents(rng, 5000, 50000)
            qty = Decimal(1 + rng.randrange(4))
            item = None
            if (k + j) % 5 and item_list:
                item = item_list[(k + j) % len(item_list)].id
            out.append(LocalLine(item_id=item, description=_WORK[(k + j) % len(_WORK)],
                                 quantity=qty, unit_price=price))
        return tuple(out)

    invoice_list = tuple(
        LocalInvoice(id=f"inv-{n:05d}", customer_id=customer_list[n % customers].id,
                     number=f"INV-{n + 1:05d}", date=_START + dt.timedelta(days=n % 60),
                     due_date=_START + dt.timedelta(days=n % 60 + 30), lines=lines(n),
                     memo="Thank you for your business")
        for n in range(invoices)
    )
    memo_list = tuple(
        LocalCreditMemo(id=f"cm-{n:05d}", customer_id=customer_list[(n * 7) % customers].id,
                        number=f"CM-{n + 1:05d}", date=_START + dt.timedelta(days=n % 60),
                        lines=(LocalLine(description="Goodwill credit",
                                         amount=_cents(rng, 1000, 5000)),))
        for n in range(credit_memos)
    )
    payment_list = []
    for n in range(payments):
        invoice = invoice_list[n]
        total = sum((line.amount for line in invoice.lines), Decimal(0))
        amount = (total / 2).quantize(Decimal("0.01")) if n % 3 == 2 else total
        payment_list.append(LocalPayment(
            id=f"pay-{n:05d}", customer_id=invoice.customer_id, amount=amount,
            date=(invoice.date or _START) + dt.timedelta(days=10), reference=f"CHK-{1000 + n}",
            applied_to=(LocalPaymentApplication(invoice_id=invoice.id, amount=amount),),
        ))
    return SampleBook(items=item_list, customers=tuple(customer_list), invoices=invoice_list,
                      credit_memos=memo_list, payments=tuple(payment_list))
