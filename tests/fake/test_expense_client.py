"""The new entities end to end: QBOClient's generic calls against the fake, typed models back."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from qbo_sync import QBOClient, Query
from qbo_sync.models import Bill, BillPayment, Class, Department, PaymentMethod, TaxCode
from qbo_sync.testing import FakeQBO


def _client(fake: FakeQBO, realm: str) -> QBOClient:
    return QBOClient(
        realm_id=realm,
        environment="sandbox",
        access_token=fake.issue_access_token(realm),
        transport=fake.transport(),
    )


def test_bill_payment_and_lists_through_the_client(fake: FakeQBO, realm: str) -> None:
    """Writes and queries of BillPayment, Class, Department and PaymentMethod parse as models."""
    vendor = fake.seed(realm, "Vendor", {"DisplayName": "Acme Supplies"})
    expense = fake.objects(realm, "Account")[-1]
    bank = next(a for a in fake.objects(realm, "Account") if a["AccountType"] == "Bank")
    bill = fake.seed(
        realm,
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "Line": [
                {
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": 75,
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"]}},
                }
            ],
        },
    )
    with _client(fake, realm) as client:
        payment = client.write_entity(
            "BillPayment",
            {
                "VendorRef": {"value": vendor["Id"]},
                "PayType": "Check",
                "CheckPayment": {"BankAccountRef": {"value": bank["Id"]}},
                "TotalAmt": 75,
                "Line": [{"Amount": 75, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
            },
            request_id="bp-1",
        )
        assert isinstance(payment, BillPayment)
        assert payment.total_amt == Decimal("75.00")
        assert payment.check_payment is not None
        assert payment.check_payment.bank_account_ref is not None
        assert payment.check_payment.bank_account_ref.name == "Checking"
        paid = client.read_entity("Bill", f"bill/{bill['Id']}")
        assert isinstance(paid, Bill)
        assert paid.balance == 0
        assert paid.linked_txn is not None
        assert paid.linked_txn[0].txn_type == "BillPaymentCheck"

        parent = client.write_entity("Class", {"Name": "Trade"}, request_id="c-1")
        child = client.write_entity(
            "Class", {"Name": "Retail", "ParentRef": {"value": parent.id}}, request_id="c-2"
        )
        assert isinstance(child, Class)
        assert child.sub_class is True
        classes = list(client.query(Query("Class")))
        assert [c.fully_qualified_name for c in classes] == ["Trade", "Trade:Retail"]
        client.write_entity("Department", {"Name": "Leeds"}, request_id="d-1")
        (dept,) = client.query(Query("Department"))
        assert isinstance(dept, Department)
        assert dept.sub_department is False
        client.write_entity(
            "PaymentMethod", {"Name": "Visa", "Type": "CREDIT_CARD"}, request_id="p-1"
        )
        (method,) = client.query(Query("PaymentMethod"))
        assert isinstance(method, PaymentMethod)
        assert method.type == "CREDIT_CARD"


def test_gb_tax_codes_read_as_models(fake: FakeQBO) -> None:
    """A tax code seeded with add_tax_code reads back with typed sales and purchase rate lists."""
    realm = fake.add_company(country="GB")
    fake.add_tax_code(
        realm, "20.0% S", sales={"20.0% S (sales)": 20}, purchase={"20.0% S (purchases)": 20}
    )
    with _client(fake, realm) as client:
        (code,) = client.query(Query("TaxCode"))
        assert isinstance(code, TaxCode)
        assert code.sales_tax_rate_list is not None
        assert code.purchase_tax_rate_list is not None
        sales = code.sales_tax_rate_list.tax_rate_detail or []
        purchases = code.purchase_tax_rate_list.tax_rate_detail or []
        assert [d.tax_rate_ref.name for d in sales if d.tax_rate_ref] == ["20.0% S (sales)"]
        assert [d.tax_rate_ref.name for d in purchases if d.tax_rate_ref] == ["20.0% S (purchases)"]
        rates = {r.name: r.rate_value for r in client.query(Query("TaxRate"))}
        assert rates == {"20.0% S (sales)": Decimal("20"), "20.0% S (purchases)": Decimal("20")}
        prefs = client.preferences()
        assert prefs.currency_prefs is not None
        assert prefs.currency_prefs.home_currency is not None
        assert prefs.currency_prefs.home_currency.value == "GBP"
        assert prefs.accounting_info_prefs is not None
        assert prefs.accounting_info_prefs.track_departments is False


def test_tax_settings_survive_save_and_load(tmp_path: Path) -> None:
    """The AST rate and explicit TotalTax overrides are kept by save_state / load_state."""
    fake = FakeQBO(limits=False)
    realm = fake.add_company()
    fake.set_automated_sales_tax(realm, rate="10")
    customer = fake.seed(realm, "Customer", {"DisplayName": "Kept"})
    item = fake.objects(realm, "Item")[0]

    def invoice(**extra: object) -> dict[str, object]:
        line = {
            "DetailType": "SalesItemLineDetail",
            "Amount": 50,
            "SalesItemLineDetail": {
                "ItemRef": {"value": item["Id"]},
                "TaxCodeRef": {"value": "TAX"},
            },
        }
        return {"CustomerRef": {"value": customer["Id"]}, "Line": [line], **extra}

    overridden = fake.seed(realm, "Invoice", invoice(TxnTaxDetail={"TotalTax": 1}))
    fake.save_state(tmp_path / "state.json")
    loaded = FakeQBO(limits=False)
    loaded.load_state(tmp_path / "state.json")
    assert loaded.seed(realm, "Invoice", invoice())["TotalAmt"] == Decimal("55.00")
    note = {"Id": overridden["Id"], "PrivateNote": "still overridden"}
    assert loaded.seed(realm, "Invoice", note)["TotalAmt"] == Decimal("51.00")
    with pytest.raises(ValueError, match="between 0 and 100"):
        loaded.set_automated_sales_tax(realm, rate=101)
