"""Every real JSON entity body round-trips through the models unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qbo_sync import _json
from qbo_sync.models import Customer, Deposit, Invoice, from_qbo, to_qbo


def test_real_sample_round_trips(qbo_sample: tuple[str, dict[str, Any]]) -> None:
    """from_qbo then to_qbo gives back an equal JSON document, and the same JSON text."""
    name, data = qbo_sample
    entity = from_qbo(name, data)
    assert name == type(entity).QBO_NAME
    out = to_qbo(entity)
    assert out == data
    # Equal as text too (== ignores 100.00 vs 100.0; the JSON text does not).
    assert _json.dumps(_sorted(out)) == _json.dumps(_sorted(data))


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def test_samples_are_found(samples_dir: Path) -> None:
    """The sample finder sees the cassettes (guards against an empty parametrization)."""
    from_cassettes = list(samples_dir.glob("qbo_api/vcr/**/*.yml"))
    assert len(from_cassettes) >= 30


def test_money_text_survives_in_real_invoice(samples_dir: Path) -> None:
    """A recorded invoice keeps 100.00 as written and turns integer 0 into Decimal('0')."""
    cassette = yaml.safe_load((samples_dir / "qbo_api/vcr/create/invoice.yml").read_text())
    body = cassette["http_interactions"][0]["response"]["body"]["string"]
    invoice = from_qbo("Invoice", _json.loads(body)["Invoice"])
    assert isinstance(invoice, Invoice)
    assert invoice.total_amt is not None
    assert str(invoice.total_amt) == "100.00"
    assert invoice.txn_tax_detail is not None
    assert str(invoice.txn_tax_detail.total_tax) == "0"
    assert b'"TotalAmt":100.00' in _json.dumps(to_qbo(invoice))
    assert b'"TotalTax":0' in _json.dumps(to_qbo(invoice))


def test_cdc_deposits_from_java_sdk(samples_dir: Path) -> None:
    """The Java SDK CDC sample yields typed deposits with typed deposit lines."""
    doc = _json.loads(
        (
            samples_dir
            / "QuickBooks-V3-Java-SDK/JSONSerializerTest.java.testDeserialize_CDCQueryResponse.json"
        ).read_bytes()
    )
    raw = doc["CDCResponse"][0]["QueryResponse"][0]["Deposit"][0]
    deposit = from_qbo("Deposit", raw)
    assert isinstance(deposit, Deposit)
    assert deposit.line is not None
    line = deposit.line[0]
    assert line.detail_type == "DepositLineDetail"
    assert line.deposit_line_detail is not None  # type: ignore[union-attr]
    assert to_qbo(deposit) == raw


def test_cdc_deleted_entity_round_trips() -> None:
    """A CDC deletion marker parses into the entity with status Deleted and round-trips."""
    raw = _json.loads(
        b'{"domain":"QBO","status":"Deleted","Id":"5",'
        b'"MetaData":{"LastUpdatedTime":"2015-12-23T13:26:50-08:00"}}'
    )
    customer = from_qbo("Customer", raw)
    assert isinstance(customer, Customer)
    assert customer.is_deleted
    assert customer.id == "5"
    assert to_qbo(customer) == raw
