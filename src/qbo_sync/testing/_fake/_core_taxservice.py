"""The TaxService resource: the one way to create tax codes and their rates.

TaxCode and TaxRate are read-only entities; a code and its new rates are
created together by ``POST /v3/company/{realmId}/taxservice/taxcode``
[facts 7.6][QBO-TAX-NONUS]::

    {"TaxCode": "MyTaxCode",
     "TaxRateDetails": [
        {"TaxRateName": "City", "RateValue": "8", "TaxAgencyId": "1",
         "TaxApplicableOn": "Sales"},
        {"TaxRateId": "3", "TaxApplicableOn": "Purchase"}]}

The answer echoes the code with ``TaxCodeId`` and each rate's ``TaxRateId``.
A name already used by a code or a rate is fault 6240 with the text QBO sent
(recorded: quickbooks-ruby ``json/tax_service_error_dup.json``). The fake has
no TaxAgency entity: ``TaxAgencyId`` is stored as given (UNCERTAIN whether QBO
checks it the same way as other references).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_realm import Realm
from qbo_sync.testing._fake._core_values import as_dict, as_list, as_str, opt_decimal
from qbo_sync.testing._fake._entities import BY_NAME

__all__ = ["create_tax_code"]

_SIDES = {"Sales": "SalesTaxRateList", "Purchase": "PurchaseTaxRateList"}


def _duplicate(what: str) -> faults.FaultError:
    return faults.FaultError(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {what} is already using this \n"
        "name. Please use a different name.",
    )


def _next_id(realm: Realm, entity: str) -> str:
    numbers = [int(i) for i in realm.records[entity] if i.isdigit()]
    return str(max(numbers, default=0) + 1)


def _named(realm: Realm, entity: str, name: str) -> dict[str, Any] | None:
    for record in realm.iter_records(entity):
        if not record.deleted and str(record.data.get("Name", "")).casefold() == name.casefold():
            return record.data
    return None


def create_tax_code(realm: Realm, body: object) -> dict[str, Any]:
    """Create a TaxCode (and any new TaxRates) from a TaxService body; returns the answer."""
    request = as_dict(body, "TaxService")
    name = as_str(request.get("TaxCode") or "", "TaxCode").strip()
    if not name:
        raise faults.required("TaxCode")
    if _named(realm, "TaxCode", name) is not None:
        raise _duplicate("tax code")
    details = as_list(request.get("TaxRateDetails") or [], "TaxRateDetails")
    if not details:
        raise faults.required("TaxRateDetails")
    lists: dict[str, list[dict[str, Any]]] = {key: [] for key in _SIDES.values()}
    answer: list[dict[str, Any]] = []
    pending: list[tuple[str, dict[str, Any]]] = []
    new_names: set[str] = set()
    for raw in details:
        item = as_dict(raw, "TaxRateDetails")
        side = as_str(item.get("TaxApplicableOn") or "Sales", "TaxRateDetails.TaxApplicableOn")
        if side not in _SIDES:
            raise faults.FaultError(
                "2170",
                "Invalid Enumeration",
                f"Invalid Enumeration : {side}",
                element="TaxRateDetails.TaxApplicableOn",
            )
        rate_id = item.get("TaxRateId")
        if rate_id is not None:
            rate_id = as_str(rate_id, "TaxRateDetails.TaxRateId")
            rate = realm.live("TaxRate", rate_id)
            if rate is None:
                raise faults.not_found("TaxRateDetails.TaxRateId")
        else:
            rate_id, rate = _new_rate(realm, item, new_names, len(pending))
            pending.append((rate_id, rate))
        lists[_SIDES[side]].append(
            {
                "TaxRateRef": {"value": rate_id, "name": rate.get("Name")},
                "TaxTypeApplicable": "TaxOnAmount",
                "TaxOrder": 0,
            }
        )
        answer.append(
            {
                "TaxRateName": rate.get("Name"),
                "TaxRateId": rate_id,
                "RateValue": rate.get("RateValue"),
                "TaxAgencyId": (rate.get("AgencyRef") or {}).get("value"),
                "TaxApplicableOn": side,
            }
        )
    for rate_id, rate in pending:
        realm.insert(BY_NAME["TaxRate"], rate_id, rate)
    code_id = _next_id(realm, "TaxCode")
    realm.insert(
        BY_NAME["TaxCode"],
        code_id,
        {
            "Name": name,
            "Description": name,
            "Active": True,
            "Hidden": False,
            "Taxable": True,
            "TaxGroup": True,
            "SalesTaxRateList": {"TaxRateDetail": lists["SalesTaxRateList"]},
            "PurchaseTaxRateList": {"TaxRateDetail": lists["PurchaseTaxRateList"]},
        },
    )
    return {"TaxCode": name, "TaxCodeId": code_id, "TaxRateDetails": answer}


def _new_rate(
    realm: Realm, item: dict[str, Any], new_names: set[str], offset: int
) -> tuple[str, dict[str, Any]]:
    name = as_str(item.get("TaxRateName") or "", "TaxRateDetails.TaxRateName").strip()
    if not name:
        raise faults.required("TaxRateDetails.TaxRateName")
    if _named(realm, "TaxRate", name) is not None or name.casefold() in new_names:
        raise _duplicate("tax rate")
    new_names.add(name.casefold())
    value = opt_decimal(item, "RateValue", "TaxRateDetails.RateValue")
    if value is None:
        raise faults.required("TaxRateDetails.RateValue")
    if not Decimal(0) <= value <= Decimal(100):
        raise faults.business("RateValue must be between 0 and 100", "TaxRateDetails.RateValue")
    agency = item.get("TaxAgencyId")
    if agency is None:
        raise faults.required("TaxRateDetails.TaxAgencyId")
    rate_id = str(int(_next_id(realm, "TaxRate")) + offset)
    rate = {
        "Name": name,
        "Description": name,
        "Active": True,
        "RateValue": value,
        "AgencyRef": {"value": as_str(agency, "TaxRateDetails.TaxAgencyId")},
        "SpecialTaxType": "NONE",
        "DisplayType": "ReadOnly",
    }
    return rate_id, rate
