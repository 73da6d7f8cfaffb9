"""A deterministic sample book of local records: for the demo, benchmarks and tests.

``sample_book(customers=2000, items=100, invoices=6000, payments=2000,
credit_memos=200, vendors=100, expenses=1000)`` is the book of the engine's
benchmarks. The same arguments and seed always give the same records, so a
second run finds every record unchanged.
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
    LocalExpense,
    LocalExpenseLine,
    LocalInvoice,
    LocalItem,
    LocalLine,
    LocalPayment,
    LocalPaymentApplication,
    LocalVendor,
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
_SUPPLIES = ("Copper pipe", "Fittings", "Boiler parts", "Van fuel", "Filters", "Sealant",
             "Tool hire")
_VENDORS = ("Pipe World", "Acme Supplies", "Northside Fuel", "Boiler Spares Direct",
            "Valve & Co", "Tool Hire Ltd")
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
    vendors: tuple[LocalVendor, ...] = ()
    expenses: tuple[LocalExpense, ...] = ()

    def records(self) -> list[object]:
        """Every record, items, customers and vendors first."""
        return [*self.items, *self.customers, *self.vendors, *self.invoices,
                *self.credit_memos, *self.payments, *self.expenses]

    def by_entity(self) -> dict[str, list[str]]:
        """The local ids per QBO entity.

        An expense is a bill when it says ``entity="Bill"``, else a purchase
        (the engine's default; the sample book always says which).
        """
        return {
            "Item": [r.id for r in self.items],
            "Customer": [r.id for r in self.customers],
            "Vendor": [r.id for r in self.vendors],
            "Invoice": [r.id for r in self.invoices],
            "CreditMemo": [r.id for r in self.credit_memos],
            "Payment": [r.id for r in self.payments],
            "Purchase": [r.id for r in self.expenses if r.entity != "Bill"],
            "Bill": [r.id for r in self.expenses if r.entity == "Bill"],
        }

    def __len__(self) -> int:
        return (len(self.items) + len(self.customers) + len(self.vendors) + len(self.invoices)
                + len(self.credit_memos) + len(self.payments) + len(self.expenses))


def sample_book(
    *,
    customers: int = 25,
    items: int = 5,
    invoices: int = 40,
    payments: int = 10,
    credit_memos: int = 3,
    vendors: int = 0,
    expenses: int = 0,
    seed: int = 7,
) -> SampleBook:
    """Make a book of field-service records (deterministic for a seed).

    Invoices have one to three lines; every fifth line has no item (it goes
    on the default service item). Payments pay invoices in full, in order;
    every third one pays half. Expenses are bought from the vendors in turn:
    every third one is a bill (owed), the others cash or check purchases;
    every fourth has a second line billable to a customer (a job cost).
    They need the ``expense``, ``bank`` and ``accounts_payable`` account
    mappings (``engine.suggest_accounts()`` proposes them). The demo's book
    has 3 vendors and 6 expenses; the default has none.

    Raises:
        ValueError: Negative counts, payments without invoices, invoices
            or credit memos without customers, or expenses without vendors.
    """
    if min(customers, items, invoices, payments, credit_memos, vendors, expenses) < 0:
        raise ValueError("sample_book: counts must be >= 0")
    if expenses and not vendors:
        raise ValueError("sample_book: expenses need vendors")
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
    vendor_list = tuple(
        LocalVendor(id=f"vend-{n:05d}",
                    display_name=f"{_VENDORS[n % len(_VENDORS)]}"
                                 + (f" ({n})" if n >= len(_VENDORS) else ""),
                    email=f"accounts{n}@supplier.example", phone=f"555-7{n % 1000:03d}")
        for n in range(vendors)
    )
    expense_list = []
    for n in range(expenses):
        day = _START + dt.timedelta(days=n % 60)
        cost = [LocalExpenseLine(amount=_cents(rng, 1500, 40000),
                                 description=_SUPPLIES[n % len(_SUPPLIES)])]
        if n % 4 == 3 and customers:
            cost.append(LocalExpenseLine(amount=_cents(rng, 2000, 9000),
                                         description="Parts for the job",
                                         customer_id=customer_list[n % customers].id))
        bill = n % 3 == 2
        expense_list.append(LocalExpense(
            id=f"exp-{n:05d}", vendor_id=vendor_list[n % vendors].id, lines=tuple(cost),
            number=f"EXP-{n + 1:05d}", date=day, entity="Bill" if bill else "Purchase",
            payment_type="Check" if n % 2 else "Cash",
            due_date=day + dt.timedelta(days=30) if bill else None,
        ))
    return SampleBook(items=item_list, customers=tuple(customer_list), invoices=invoice_list,
                      credit_memos=memo_list, payments=tuple(payment_list),
                      vendors=vendor_list, expenses=tuple(expense_list))
