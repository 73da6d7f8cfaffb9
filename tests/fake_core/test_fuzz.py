"""Garbage in never crashes the ledger: no 500, always a JSON body."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbo_sync import _json
from qbo_sync.testing._fake._ledger import Ledger

_NOW = datetime(2026, 1, 5, 17, 0, tzinfo=timezone.utc)
_LEDGER = Ledger(clock=lambda: _NOW)
_REALM = _LEDGER.add_company()
_LEDGER.seed(_REALM, "Customer", {"DisplayName": "Fuzz Target"})

_KEYS = st.sampled_from(
    [
        "Id",
        "SyncToken",
        "sparse",
        "DisplayName",
        "Line",
        "CustomerRef",
        "Amount",
        "TotalAmt",
        "DetailType",
        "SalesItemLineDetail",
        "ItemRef",
        "value",
        "Qty",
        "UnitPrice",
        "LinkedTxn",
        "TxnId",
        "TxnType",
        "Active",
        "Name",
        "Type",
        "DocNumber",
        "TxnDate",
        "ParentRef",
        "BatchItemRequest",
        "bId",
        "operation",
        "Query",
        "Invoice",
        "Customer",
        "Payment",
        "CurrencyRef",
        "PrivateNote",
        "AccountRef",
        "PaymentType",
        "DueDays",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.text(max_size=12),
    st.sampled_from(
        [
            "1",
            "0",
            "2",
            "-1",
            "1.5",
            "Invoice",
            "CreditMemo",
            "NaN",
            "1e400",
            "SalesItemLineDetail",
            "true",
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=6)),
    max_leaves=25,
)
_PATHS = st.sampled_from(
    [
        "customer",
        "invoice",
        "payment",
        "creditmemo",
        "salesreceipt",
        "item",
        "account",
        "term",
        "vendor",
        "employee",
        "purchase",
        "bill",
        "deposit",
        "preferences",
        "companyinfo",
        "batch",
        "query",
        "taxcode",
        "invoice/1",
        "customer/1/send",
        "invoice/x/pdf",
        "cdc",
        "",
    ]
)
_PARAMS = st.dictionaries(
    st.sampled_from(
        ["operation", "include", "minorversion", "query", "entities", "changedSince", "sendTo"]
    ),
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            ["delete", "void", "update", "Invoice", "SELECT * FROM Invoice", "2026-01-01"]
        ),
    ),
    max_size=3,
)


def _check(status: int, body: bytes) -> None:
    assert status < 500, body
    _json.loads(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["GET", "POST"]), path=_PATHS, params=_PARAMS, payload=_JSON)
def test_random_json_bodies_never_500(
    method: str, path: str, params: dict[str, str], payload: Any
) -> None:
    """Any JSON body on any endpoint gets a deliberate answer, never a 500."""
    response = _LEDGER.handle(_REALM, method, path, params, _json.dumps(payload))
    _check(response.status, response.body)


@settings(max_examples=200, deadline=None)
@given(path=_PATHS, body=st.binary(max_size=64))
def test_random_bytes_never_500(path: str, body: bytes) -> None:
    """Arbitrary bytes (bad UTF-8, bad JSON) are a 400 fault, never a 500."""
    response = _LEDGER.handle(_REALM, "POST", path, {}, body)
    _check(response.status, response.body)


_WORDS = st.sampled_from(
    [
        "SELECT",
        "select",
        "*",
        "COUNT(*)",
        "FROM",
        "Customer",
        "Invoice",
        "WHERE",
        "AND",
        "OR",
        "Id",
        "=",
        "<",
        ">=",
        "IN",
        "(",
        ")",
        ",",
        "LIKE",
        "'%a%'",
        "'1'",
        "'x\\'y'",
        "true",
        "ORDERBY",
        "DESC",
        "STARTPOSITION",
        "MAXRESULTS",
        "5",
        "1001",
        "-3",
        "MetaData.CreateTime",
        "'2026-01-01'",
        "CustomerRef",
        "'",
        "\\",
        "Active",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_WORDS, max_size=14).map(" ".join), st.text(max_size=60)))
def test_random_queries_never_500(text: str) -> None:
    """Random token soup and random text as a query are answered or refused, never a 500."""
    response = _LEDGER.handle(_REALM, "GET", "query", {"query": text}, b"")
    _check(response.status, response.body)
    if response.status != 200:
        code = _json.loads(response.body)["Fault"]["Error"][0]["code"]
        assert code in ("4000", "4001", "2020"), (text, code)
