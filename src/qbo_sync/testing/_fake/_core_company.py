"""A new company as a fresh QBO sandbox has it: CompanyInfo, Preferences, lists."""

from __future__ import annotations

from typing import Any

from qbo_sync.testing._fake._core_realm import Realm
from qbo_sync.testing._fake._entities import BY_NAME

__all__ = ["HOME_CURRENCY", "seed_company"]

#: Home currency of a new company by CompanyInfo.Country (USD when not listed).
HOME_CURRENCY = {"US": "USD", "GB": "GBP", "CA": "CAD", "AU": "AUD", "IN": "INR", "FR": "EUR"}

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
    automated_sales_tax: bool | None = None,
) -> None:
    """Fill a new realm with what every company (and, optionally, a new sandbox) has.

    A US company has the pseudo tax codes TAX and NON and, unless
    ``automated_sales_tax`` is False, automated sales tax on; other countries
    have neither (their tax codes come from the tax service) and their own
    home currency.
    """
    us = country == "US"
    if automated_sales_tax is None:
        automated_sales_tax = us
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
                "DepartmentTerminology": "Location",
                "ClassTrackingPerTxn": False,
                "ClassTrackingPerTxnLine": False,
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
            "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": automated_sales_tax},
            "CurrencyPrefs": {
                "MultiCurrencyEnabled": multicurrency,
                "HomeCurrency": {"value": HOME_CURRENCY.get(country, "USD")},
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
    if us:
        _pseudo_tax_codes(realm)
    if not seed_defaults:
        return
    _defaults(realm, sales_prefs, us=us)


def _pseudo_tax_codes(realm: Realm) -> None:
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


def _defaults(realm: Realm, sales_prefs: dict[str, Any], *, us: bool) -> None:
    accounts = {}
    for name, kind, sub in _ACCOUNTS:
        accounts[name] = realm.create(
            BY_NAME["Account"], {"Name": name, "AccountType": kind, "AccountSubType": sub}
        )
    net30 = realm.create(BY_NAME["Term"], {"Name": "Net 30", "DueDays": 30})
    realm.create(BY_NAME["Term"], {"Name": "Due on receipt", "DueDays": 0})
    sales_prefs["DefaultTerms"] = {"value": net30["Id"]}
    if us:
        _california(realm)
    income = accounts["Services"]
    realm.create(
        BY_NAME["Item"],
        {
            "Name": "Services",
            "Type": "Service",
            "IncomeAccountRef": {"value": income["Id"], "name": income["Name"]},
        },
    )


def _california(realm: Realm) -> None:
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
