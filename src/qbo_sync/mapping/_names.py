"""Mappers for the name lists: customers and items.

Matching (decided here, documented in ``docs/sync-push.md``): a customer is
matched by e-mail first, then by its normalised display name; an item by its
normalised name. Candidates are every *active* record of the entity, read in
pages of 1,000 (a company with 5,000 customers costs 5 reads, once per run
that has unlinked customers). An inactive namesake surfaces as QBO's
duplicate-name fault (6240), which the engine resolves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from qbo_sync import models
from qbo_sync.client import Query
from qbo_sync.mapping._protocol import (
    BaseMapper,
    FieldGroup,
    MapContext,
    PullContext,
    normalise_name,
)
from qbo_sync.mapping._records import LocalAddress, LocalCustomer, LocalItem, LocalVendor

__all__ = [
    "CustomerMapper",
    "ItemMapper",
    "address_from_qbo",
    "address_to_qbo",
    "party_from_qbo",
    "party_to_qbo",
]


def address_to_qbo(address: LocalAddress | None) -> models.Address | None:
    """A local address as QBO's ``PhysicalAddress``."""
    if address is None:
        return None
    return models.Address(
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        country_sub_division_code=address.region,
        postal_code=address.postal_code,
        country=address.country,
    )


def address_from_qbo(address: models.Address | None) -> LocalAddress | None:
    """QBO's address as a local one (extra lines and geocodes are dropped)."""
    if address is None:
        return None
    return LocalAddress(
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        region=address.country_sub_division_code,
        postal_code=address.postal_code,
        country=address.country,
    )


def _email_key(email: str | None) -> str | None:
    text = (email or "").strip().casefold()
    return f"email:{text}" if text else None


def _name_key(name: str | None) -> str | None:
    text = normalise_name(name)
    return f"name:{text}" if text else None


def _keys(*keys: str | None) -> tuple[str, ...]:
    return tuple(k for k in keys if k is not None)



def party_to_qbo(record: LocalCustomer | LocalVendor) -> dict[str, Any]:
    """The fields customers and vendors share, from a local party record.

    Names, e-mail, phone and notes; a deleted record is sent inactive.
    """
    return {
        "display_name": record.display_name.strip(),
        "company_name": record.company_name,
        "given_name": record.given_name,
        "family_name": record.family_name,
        "primary_email_addr": (
            models.EmailAddress(address=record.email.strip()) if record.email else None
        ),
        "primary_phone": (
            models.PhoneNumber(free_form_number=record.phone) if record.phone else None
        ),
        "notes": record.notes,
        "active": not record.deleted,
    }


def party_from_qbo(entity: models.Customer | models.Vendor, local_id: str | None
                   ) -> dict[str, Any]:
    """The local-record fields customers and vendors share, from a QBO party.

    ``local_id``: the product's id when the party is linked (else QBO's id).
    """
    qbo_id = entity.id or ""
    return {
        "id": local_id or qbo_id,
        "display_name": entity.display_name or qbo_id,
        "company_name": entity.company_name,
        "given_name": entity.given_name,
        "family_name": entity.family_name,
        "email": entity.primary_email_addr.address if entity.primary_email_addr else None,
        "phone": entity.primary_phone.free_form_number if entity.primary_phone else None,
        "notes": entity.notes,
        "deleted": entity.active is False,
    }

class CustomerMapper(BaseMapper[LocalCustomer, models.Customer]):
    """:class:`LocalCustomer` <-> QBO ``Customer``."""

    entity: ClassVar[str] = "Customer"
    record_type = LocalCustomer
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        FieldGroup(
            "name",
            ("display_name", "company_name", "given_name", "family_name"),
            ("display_name", "company_name", "given_name", "family_name"),
        ),
        FieldGroup("contact", ("email", "phone"), ("primary_email_addr", "primary_phone")),
        FieldGroup(
            "addresses", ("billing_address", "shipping_address"), ("bill_addr", "ship_addr")
        ),
        FieldGroup("notes", ("notes",), ("notes",)),
    )

    def to_qbo(self, record: LocalCustomer, ctx: MapContext) -> models.Customer:
        """The QBO customer; a deleted record is sent inactive."""
        return models.Customer(
            **party_to_qbo(record),
            bill_addr=address_to_qbo(record.billing_address),
            ship_addr=address_to_qbo(record.shipping_address),
        )

    def from_qbo(self, entity: models.Customer, ctx: PullContext) -> LocalCustomer:
        """The local customer a QBO customer stands for."""
        return LocalCustomer(
            **party_from_qbo(entity, ctx.local_id(self.entity, entity.id or "")),
            billing_address=address_from_qbo(entity.bill_addr),
            shipping_address=address_from_qbo(entity.ship_addr),
        )

    def match_keys(self, record: LocalCustomer) -> Sequence[str]:
        """E-mail, then normalised display name."""
        return _keys(_email_key(record.email), _name_key(record.display_name))

    def qbo_match_keys(self, entity: models.Customer) -> Sequence[str]:
        """E-mail, then normalised display name, of a QBO customer."""
        email = entity.primary_email_addr.address if entity.primary_email_addr else None
        return _keys(_email_key(email), _name_key(entity.display_name))

    def candidate_queries(self, records: Sequence[LocalCustomer]) -> Sequence[Query]:
        """Every active customer (e-mail cannot be filtered on in QBO's query language)."""
        return (Query("Customer").order_by("Id"),) if records else ()


class ItemMapper(BaseMapper[LocalItem, models.Item]):
    """:class:`LocalItem` <-> QBO ``Item`` (service or non-inventory)."""

    entity: ClassVar[str] = "Item"
    record_type = LocalItem
    field_groups: ClassVar[tuple[FieldGroup, ...]] = (
        FieldGroup("name", ("name", "sku"), ("name", "sku")),
        FieldGroup(
            "sales",
            ("description", "unit_price", "taxable", "type", "income_account_id"),
            ("description", "unit_price", "taxable", "type", "income_account_ref"),
        ),
    )

    def to_qbo(self, record: LocalItem, ctx: MapContext) -> models.Item:
        """The QBO item, on the item's own income account or the mapped ``income`` one."""
        account = record.income_account_id or ctx.account("income")
        return models.Item(
            name=record.name.strip(),
            sku=record.sku,
            description=record.description,
            unit_price=record.unit_price,
            taxable=record.taxable,
            type=record.type,
            income_account_ref=models.Ref(value=account),
            active=not record.deleted,
        )

    def from_qbo(self, entity: models.Item, ctx: PullContext) -> LocalItem:
        """The local item a QBO item stands for (inventory and others read as service)."""
        qbo_id = entity.id or ""
        kind = entity.type if entity.type in ("Service", "NonInventory") else "Service"
        return LocalItem(
            id=ctx.local_id(self.entity, qbo_id) or qbo_id,
            name=entity.name or qbo_id,
            description=entity.description,
            unit_price=entity.unit_price,
            type=kind,
            sku=entity.sku,
            taxable=entity.taxable,
            income_account_id=(
                entity.income_account_ref.value if entity.income_account_ref else None
            ),
            deleted=entity.active is False,
        )

    def match_keys(self, record: LocalItem) -> Sequence[str]:
        """The normalised name."""
        return _keys(_name_key(record.name))

    def qbo_match_keys(self, entity: models.Item) -> Sequence[str]:
        """The normalised name of a QBO item."""
        return _keys(_name_key(entity.name))

    def candidate_queries(self, records: Sequence[LocalItem]) -> Sequence[Query]:
        """Every active item."""
        return (Query("Item").order_by("Id"),) if records else ()
