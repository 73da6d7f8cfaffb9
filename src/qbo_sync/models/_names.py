"""Name-list entities: customers, vendors, employees."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

import attrs

from qbo_sync.models._base import to_decimal, wire
from qbo_sync.models._entity import Entity
from qbo_sync.models._types import (
    Address,
    EmailAddress,
    PhoneNumber,
    Ref,
    WebSiteAddress,
)

__all__ = [
    "Customer",
    "Employee",
    "Vendor",
]


@attrs.define(kw_only=True, repr=False)
class _NameBase(Entity):
    """Fields customers, vendors and employees share (XSD ``NameBase``)."""

    intuit_id: str | None = None
    organization: bool | None = None
    title: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None
    suffix: str | None = None
    fully_qualified_name: str | None = None
    company_name: str | None = None
    display_name: str | None = None
    print_on_check_name: str | None = None
    user_id: str | None = None
    active: bool | None = None
    v4_id_pseudonym: str | None = attrs.field(default=None, metadata=wire("V4IDPseudonym"))
    primary_phone: PhoneNumber | None = None
    alternate_phone: PhoneNumber | None = None
    mobile: PhoneNumber | None = None
    fax: PhoneNumber | None = None
    primary_email_addr: EmailAddress | None = None
    web_addr: WebSiteAddress | None = None
    default_tax_code_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class Customer(_NameBase):
    """A customer or a sub-customer (job)."""

    QBO_NAME: ClassVar[str] = "Customer"

    taxable: bool | None = None
    bill_addr: Address | None = None
    ship_addr: Address | None = None
    other_addr: list[Address] | None = None
    contact_name: str | None = None
    alt_contact_name: str | None = None
    notes: str | None = None
    job: bool | None = None
    bill_with_parent: bool | None = None
    root_customer_ref: Ref | None = None
    parent_ref: Ref | None = None
    level: int | None = None
    customer_type_ref: Ref | None = None
    sales_term_ref: Ref | None = None
    sales_rep_ref: Ref | None = None
    tax_group_code_ref: Ref | None = None
    tax_rate_ref: Ref | None = None
    payment_method_ref: Ref | None = None
    price_level_ref: Ref | None = None
    balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    open_balance_date: date | None = None
    balance_with_jobs: Decimal | None = attrs.field(default=None, converter=to_decimal)
    credit_limit: Decimal | None = attrs.field(default=None, converter=to_decimal)
    acct_num: str | None = None
    currency_ref: Ref | None = None
    over_due_balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    total_revenue: Decimal | None = attrs.field(default=None, converter=to_decimal)
    total_expense: Decimal | None = attrs.field(default=None, converter=to_decimal)
    preferred_delivery_method: str | None = None
    resale_num: str | None = None
    tds_enabled: bool | None = attrs.field(default=None, metadata=wire("TDSEnabled"))
    secondary_tax_identifier: str | None = None
    ar_account_ref: Ref | None = attrs.field(default=None, metadata=wire("ARAccountRef"))
    primary_tax_identifier: str | None = None
    tax_exemption_reason_id: str | None = None
    is_project: bool | None = None
    business_number: str | None = None
    gstin: str | None = attrs.field(default=None, metadata=wire("GSTIN"))
    gst_registration_type: str | None = attrs.field(
        default=None, metadata=wire("GSTRegistrationType")
    )
    is_cis_contractor: bool | None = attrs.field(default=None, metadata=wire("IsCISContractor"))
    client_company_id: str | None = None
    client_entity_id: str | None = None
    source: str | None = None
    tax_regime: str | None = None


@attrs.define(kw_only=True, repr=False)
class Vendor(_NameBase):
    """A vendor (supplier)."""

    QBO_NAME: ClassVar[str] = "Vendor"

    contact_name: str | None = None
    alt_contact_name: str | None = None
    notes: str | None = None
    bill_addr: Address | None = None
    ship_addr: Address | None = None
    other_addr: list[Address] | None = None
    tax_country: str | None = None
    tax_identifier: str | None = None
    tax_id_effective_date: date | None = None
    business_number: str | None = None
    parent_ref: Ref | None = None
    vendor_type_ref: Ref | None = None
    term_ref: Ref | None = None
    prefill_account_ref: Ref | None = None
    balance: Decimal | None = attrs.field(default=None, converter=to_decimal)
    bill_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    open_balance_date: date | None = None
    credit_limit: Decimal | None = attrs.field(default=None, converter=to_decimal)
    acct_num: str | None = None
    vendor1099: bool | None = None
    t4_a_eligible: bool | None = None
    t5018_eligible: bool | None = None
    currency_ref: Ref | None = None
    tds_enabled: bool | None = attrs.field(default=None, metadata=wire("TDSEnabled"))
    tds_entity_type_id: int | None = attrs.field(default=None, metadata=wire("TDSEntityTypeId"))
    tds_section_type_id: int | None = attrs.field(default=None, metadata=wire("TDSSectionTypeId"))
    tds_override_threshold: bool | None = attrs.field(
        default=None, metadata=wire("TDSOverrideThreshold")
    )
    tax_reporting_basis: str | None = None
    ap_account_ref: Ref | None = attrs.field(default=None, metadata=wire("APAccountRef"))
    gstin: str | None = attrs.field(default=None, metadata=wire("GSTIN"))
    gst_registration_type: str | None = attrs.field(
        default=None, metadata=wire("GSTRegistrationType")
    )
    is_sub_contractor: bool | None = None
    subcontractor_type: str | None = None
    cis_rate: str | None = attrs.field(default=None, metadata=wire("CISRate"))
    has_tpar: bool | None = attrs.field(default=None, metadata=wire("HasTPAR"))
    source: str | None = None
    cost_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    agency_verification_status: str | None = None
    agency_verification_status_msg: str | None = None
    agency_verification_tsutc: datetime | None = attrs.field(
        default=None, metadata=wire("AgencyVerificationTSUTC")
    )
    company_registration_number: str | None = None


@attrs.define(kw_only=True, repr=False)
class Employee(_NameBase):
    """An employee."""

    QBO_NAME: ClassVar[str] = "Employee"

    employee_type: str | None = None
    employee_number: str | None = None
    ssn: str | None = attrs.field(default=None, metadata=wire("SSN"))
    primary_addr: Address | None = None
    other_addr: list[Address] | None = None
    billable_time: bool | None = None
    bill_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    birth_date: date | None = None
    gender: str | None = None
    hired_date: date | None = None
    released_date: date | None = None
    use_time_entry: str | None = None
    cost_rate: Decimal | None = attrs.field(default=None, converter=to_decimal)
    notes: str | None = None
