"""A new company as a fresh QBO sandbox has it: CompanyInfo, Preferences, lists."""

from __future__ import annotations

from typing import Any

from qbo_sync.testing._fake._core_realm import Realm
from qbo_sync.testing._fake._entities import BY_NAME

__all__ = ["seed_company"]

_ACCOUNTS = (
    ("Services", "Income", "ServiceFeeIncome"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Checking", "Bank", "Checking"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
)


def seed_company(
    realm: Realm,
    *,
    company_name: str,
    country: str,
    seed_defaults: bool,
    custom_txn_numbers: bool,
    multicurrency: bool,
) -> None:
    """Fill a new realm with what every company (and, optionally, a new sandbox) has."""
    today = realm.today().isoformat()
    address = {
        "Id": "1",
        "Line1": "123 Sierra Way",
        "City": "San Pablo",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "87999",
    }
    realm.insert(
        BY_NAME["CompanyInfo"],
        "1",
        {
            "CompanyName": company_name,
            "LegalName": company_name,
            "CompanyAddr": dict(address),
            "CustomerCommunicationAddr": dict(address),
            "LegalAddr": dict(address),
            "PrimaryPhone": {},
            "CompanyStartDate": today,
            "FiscalYearStartMonth": "January",
            "Country": country,
            "Email": {"Address": "noreply@example.com"},
            "WebAddr": {},
            "SupportedLanguages": "en",
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "IndustryType", "Value": "Landscaping Services"},
                {"Name": "CompanyType", "Value": "Other/None"},
                {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
                {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
                {"Name": "PayrollFeature", "Value": "false"},
                {"Name": "ItemCategoriesFeature", "Value": "false"},
            ],
        },
    )
    sales_prefs: dict[str, Any] = {
        "ETransactionEnabledStatus": "NotApplicable",
        "ETransactionAttachPDF": False,
        "ETransactionPaymentEnabled": False,
        "IPNSupportEnabled": False,
        "AllowDeposit": True,
        "AllowDiscount": True,
        "AllowEstimates": True,
        "AllowShipping": False,
        "CustomTxnNumbers": custom_txn_numbers,
        "EmailCopyToCompany": False,
    }
    realm.insert(
        BY_NAME["Preferences"],
        "1",
        {
            "AccountingInfoPrefs": {
                "TrackDepartments": False,
                "ClassTrackingPerTxn": False,
                "CustomerTerminology": "Customers",
            },
            "ProductAndServicesPrefs": {
                "ForSales": True,
                "ForPurchase": True,
                "QuantityWithPriceAndRate": True,
                "QuantityOnHand": True,
            },
            "SalesFormsPrefs": sales_prefs,
            "VendorAndPurchasesPrefs": {
                "TrackingByCustomer": True,
                "BillableExpenseTracking": True,
            },
            "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": multicurrency,
                "HomeCurrency": {"value": "USD"},
            },
            "OtherPrefs": {
                "NameValue": [
                    {
                        "Name": "SalesFormsPrefs.DefaultCustomerMessage",
                        "Value": "Thank you for your business!",
                    }
                ]
            },
        },
    )
    tax_code = BY_NAME["TaxCode"]
    realm.insert(
        tax_code,
        "TAX",
        {
            "Name": "TAX",
            "Description": "TAX",
            "Active": True,
            "Hidden": False,
            "Taxable": True,
            "TaxGroup": False,
        },
    )
    realm.insert(
        tax_code,
        "NON",
        {
            "Name": "NON",
            "Description": "NON",
            "Active": True,
            "Hidden": False,
            "Taxable": False,
            "TaxGroup": False,
        },
    )
    if not seed_defaults:
        return
    accounts = {}
    for name, kind, sub in _ACCOUNTS:
        accounts[name] = realm.create(
            BY_NAME["Account"], {"Name": name, "AccountType": kind, "AccountSubType": sub}
        )
    net30 = realm.create(BY_NAME["Term"], {"Name": "Net 30", "DueDays": 30})
    realm.create(BY_NAME["Term"], {"Name": "Due on receipt", "DueDays": 0})
    sales_prefs["DefaultTerms"] = {"value": net30["Id"]}
    realm.insert(
        BY_NAME["TaxRate"],
        "1",
        {
            "Name": "California",
            "Description": "Sales Tax",
            "Active": True,
            "RateValue": 8,
            "AgencyRef": {"value": "1"},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
        },
    )
    income = accounts["Services"]
    realm.create(
        BY_NAME["Item"],
        {
            "Name": "Services",
            "Type": "Service",
            "IncomeAccountRef": {"value": income["Id"], "name": income["Name"]},
        },
    )
