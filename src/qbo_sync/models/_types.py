"""Shared value types: references, addresses, contact details, metadata."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs

from qbo_sync.models._base import Model, to_decimal, wire

__all__ = [
    "Address",
    "AttachableRef",
    "CurrencyRef",
    "CustomField",
    "EmailAddress",
    "LinkedTxn",
    "MarkupInfo",
    "MemoRef",
    "MetaData",
    "NameValue",
    "PhoneNumber",
    "Ref",
    "WebSiteAddress",
]


@attrs.define(kw_only=True, repr=False)
class Ref(Model):
    """A reference to another entity (XSD ``ReferenceType``).

    On the wire: ``{"value": "42", "name": "Amy's Bird Sanctuary"}``.

    Attributes:
        value: The referenced entity's ``Id`` (or a code such as ``"USD"``
            for a currency, ``"TAX"``/``"NON"`` for a tax code). Optional
            because QBO itself sometimes sends a name-only reference.
        name: Display name; informational, QBO ignores it on write.
        type: The referenced entity type, where QBO says it (e.g.
            ``"CUSTOMER"`` on a deposit line's ``Entity``).
    """

    value: str | None = attrs.field(default=None, metadata=wire("value"))
    name: str | None = attrs.field(default=None, metadata=wire("name"))
    type: str | None = attrs.field(default=None, metadata=wire("type"))


#: A currency reference is a plain :class:`Ref` whose ``value`` is the ISO 4217 code.
CurrencyRef = Ref


@attrs.define(kw_only=True, repr=False)
class MemoRef(Model):
    """A memo shown to the customer (XSD ``MemoRef``): ``{"value": "Thanks!"}``."""

    value: str | None = attrs.field(default=None, metadata=wire("value"))
    id: str | None = attrs.field(default=None, metadata=wire("id"))


@attrs.define(kw_only=True, repr=False)
class Address(Model):
    """A postal address (XSD ``PhysicalAddress``).

    ``lat`` and ``long`` are read-only and ``"INVALID"`` when QBO could not
    geocode the address.
    """

    id: str | None = None
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    line4: str | None = None
    line5: str | None = None
    city: str | None = None
    country: str | None = None
    country_code: str | None = None
    county: str | None = None
    country_sub_division_code: str | None = None
    postal_code: str | None = None
    postal_code_suffix: str | None = None
    lat: str | None = None
    long: str | None = None
    tag: str | None = None
    note: str | None = None


@attrs.define(kw_only=True, repr=False)
class EmailAddress(Model):
    """An e-mail address: ``{"Address": "a@b.example"}``."""

    id: str | None = None
    address: str | None = None
    default: bool | None = None
    tag: str | None = None


@attrs.define(kw_only=True, repr=False)
class PhoneNumber(Model):
    """A telephone number (XSD ``TelephoneNumber``); QBO fills ``free_form_number``."""

    id: str | None = None
    device_type: str | None = None
    country_code: str | None = None
    area_code: str | None = None
    exchange_code: str | None = None
    extension: str | None = None
    free_form_number: str | None = None
    default: bool | None = None
    tag: str | None = None


@attrs.define(kw_only=True, repr=False)
class WebSiteAddress(Model):
    """A web site address: ``{"URI": "https://..."}``."""

    id: str | None = None
    uri: str | None = attrs.field(default=None, metadata=wire("URI"))
    default: bool | None = None
    tag: str | None = None


@attrs.define(kw_only=True, repr=False)
class MetaData(Model):
    """Creation and last-update times (XSD ``ModificationMetaData``); read-only."""

    created_by_ref: Ref | None = None
    create_time: datetime | None = None
    last_modified_by_ref: Ref | None = None
    last_updated_time: datetime | None = None
    last_changed_in_qb: datetime | None = attrs.field(
        default=None, metadata=wire("LastChangedInQB")
    )
    synchronized: bool | None = None


@attrs.define(kw_only=True, repr=False)
class CustomField(Model):
    """A custom field value on an entity or a line."""

    definition_id: str | None = None
    name: str | None = None
    type: str | None = None
    string_value: str | None = None
    boolean_value: bool | None = None
    date_value: date | None = None
    number_value: Decimal | None = attrs.field(default=None, converter=to_decimal)


@attrs.define(kw_only=True, repr=False)
class LinkedTxn(Model):
    """A link to another transaction, e.g. a payment line to the invoice it pays."""

    txn_id: str | None = None
    txn_type: str | None = None
    txn_line_id: str | None = None


@attrs.define(kw_only=True, repr=False)
class MarkupInfo(Model):
    """Markup on a line; ``percent`` is a percent number (10 = 10 %)."""

    percent_based: bool | None = None
    value: Decimal | None = attrs.field(default=None, converter=to_decimal)
    percent: Decimal | None = attrs.field(default=None, converter=to_decimal)
    price_level_ref: Ref | None = None
    mark_up_income_account_ref: Ref | None = None


@attrs.define(kw_only=True, repr=False)
class NameValue(Model):
    """A name/value extension pair, e.g. on ``CompanyInfo.NameValue``."""

    name: str | None = None
    value: str | None = None


@attrs.define(kw_only=True, repr=False)
class AttachableRef(Model):
    """Which entity an attachable is attached to."""

    entity_ref: Ref | None = None
    line_info: str | None = None
    include_on_send: bool | None = None
    custom_field: list[CustomField] | None = None
