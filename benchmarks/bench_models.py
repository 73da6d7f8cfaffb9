"""Microseconds per invoice to parse and to serialise with qbo_sync.models.

Run: ``python benchmarks/bench_models.py``. Prints medians over many runs for a
realistic 10-line invoice (sales items, a discount, a subtotal, tax detail,
addresses, custom fields, linked transactions).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from qbo_sync import _json
from qbo_sync.models import from_qbo, to_qbo


def _invoice_text() -> bytes:
    lines = [
        {
            "Id": str(i),
            "LineNum": i,
            "Description": f"Line {i} garden work",
            "Amount": f"{37.5 * i:.2f}",
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": {"value": str(i), "name": f"Item {i}"},
                "UnitPrice": "37.50",
                "Qty": i,
                "TaxCodeRef": {"value": "TAX"},
                "ServiceDate": "2020-09-29",
            },
        }
        for i in range(1, 9)
    ]
    lines.append(
        {
            "Amount": "10.00",
            "DetailType": "DiscountLineDetail",
            "DiscountLineDetail": {"PercentBased": False, "DiscountAccountRef": {"value": "86"}},
        }
    )
    lines.append(
        {"Amount": "1350.00", "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    )
    address = {
        "Id": "2",
        "Line1": "4581 Finch St.",
        "City": "Bayshore",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "94326",
        "Lat": "INVALID",
        "Long": "INVALID",
    }
    invoice: dict[str, Any] = {
        "AllowIPNPayment": False,
        "AllowOnlinePayment": False,
        "AllowOnlineCreditCardPayment": False,
        "AllowOnlineACHPayment": False,
        "domain": "QBO",
        "sparse": False,
        "Id": "266",
        "SyncToken": "0",
        "MetaData": {
            "CreateTime": "2020-09-29T05:58:07-07:00",
            "LastUpdatedTime": "2020-09-29T05:58:07-07:00",
        },
        "CustomField": [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType"}],
        "DocNumber": "1043",
        "TxnDate": "2020-09-29",
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "LinkedTxn": [{"TxnId": "48", "TxnType": "Estimate"}],
        "Line": lines,
        "TxnTaxDetail": {
            "TxnTaxCodeRef": {"value": "2"},
            "TotalTax": "108.00",
            "TaxLine": [
                {
                    "Amount": "108.00",
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": "3"},
                        "PercentBased": True,
                        "TaxPercent": 8,
                        "NetAmountTaxable": "1350.00",
                    },
                }
            ],
        },
        "CustomerRef": {"value": "1", "name": "Amy's Bird Sanctuary"},
        "BillAddr": address,
        "ShipAddr": dict(address),
        "DueDate": "2020-10-29",
        "TotalAmt": "1448.00",
        "ApplyTaxAfterDiscount": False,
        "PrintStatus": "NeedToPrint",
        "EmailStatus": "NotSet",
        "BillEmail": {"Address": "birds@intuit.com"},
        "Balance": "1448.00",
    }
    # Amounts are written as strings above only to pin their text; _numbers unquotes them.
    return _json.dumps(invoice)


def _numbers(text: bytes) -> bytes:
    return re.sub(rb'"(-?\d+\.\d+)"', rb"\1", text)


def _timings_us(
    fn: Callable[[], object], *, rounds: int = 41, per_round: int = 150
) -> tuple[float, float]:
    for _ in range(50):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(per_round):
            fn()
        samples.append((time.perf_counter_ns() - start) / per_round / 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    text = _numbers(_invoice_text())
    data = _json.loads(text)
    assert to_qbo(from_qbo("Invoice", data)) == data
    invoice = from_qbo("Invoice", data)
    figures = {
        "parse: from_qbo (dict already decoded)": _timings_us(lambda: from_qbo("Invoice", data)),
        "parse: _json.loads + from_qbo": _timings_us(
            lambda: from_qbo("Invoice", _json.loads(text))
        ),
        "serialise: to_qbo": _timings_us(lambda: to_qbo(invoice)),
        "serialise: to_qbo + _json.dumps": _timings_us(lambda: _json.dumps(to_qbo(invoice))),
        "reference: _json.loads alone": _timings_us(lambda: _json.loads(text)),
        "reference: _json.dumps alone": _timings_us(lambda: _json.dumps(data)),
    }
    print(f"10-line invoice, {len(text)} bytes of JSON; microseconds per invoice")
    print(f"  {'':<42} {'median':>8} {'best':>8}")
    for name, (median, best) in figures.items():
        print(f"  {name:<42} {median:8.1f} {best:8.1f}")


if __name__ == "__main__":
    main()
