"""Public conversion functions: wire dict <-> entity."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, overload

from qbo_sync.errors import PayloadError
from qbo_sync.models._base import Model
from qbo_sync.models._company import (
    AccountingInfoPrefs,
    CompanyInfo,
    CurrencyPrefs,
    Preferences,
    SalesFormsPrefs,
    TaxPrefs,
)
from qbo_sync.models._converter import WireConverter
from qbo_sync.models._entity import Entity
from qbo_sync.models._lines import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    DepositLine,
    DepositLineDetail,
    DescriptionLineDetail,
    DescriptionOnlyLine,
    DiscountLine,
    DiscountLineDetail,
    GroupLine,
    GroupLineDetail,
    ItemBasedExpenseLine,
    ItemBasedExpenseLineDetail,
    PaymentLine,
    SalesItemLine,
    SalesItemLineDetail,
    SubTotalLine,
    SubTotalLineDetail,
    TaxLine,
    TaxLineDetail,
    TxnTaxDetail,
    UnknownLine,
)
from qbo_sync.models._lists import (
    Account,
    Attachable,
    Class,
    Department,
    Item,
    PaymentMethod,
    TaxCode,
    TaxRate,
    TaxRateDetail,
    TaxRateList,
    Term,
)
from qbo_sync.models._names import Customer, Employee, Vendor
from qbo_sync.models._transactions import (
    Bill,
    BillPayment,
    BillPaymentCheck,
    BillPaymentCreditCard,
    CreditMemo,
    Deposit,
    Estimate,
    Invoice,
    Payment,
    Purchase,
    SalesReceipt,
)
from qbo_sync.models._types import (
    Address,
    AttachableRef,
    CustomField,
    EmailAddress,
    LinkedTxn,
    MarkupInfo,
    MemoRef,
    MetaData,
    NameValue,
    PhoneNumber,
    Ref,
    WebSiteAddress,
)

__all__ = ["ENTITY_CLASSES", "entity_class", "from_qbo", "to_qbo", "to_qbo_sparse"]

_E = TypeVar("_E", bound=Entity)

_ENTITIES: tuple[type[Entity], ...] = (
    Account,
    Attachable,
    Bill,
    BillPayment,
    Class,
    CompanyInfo,
    CreditMemo,
    Customer,
    Department,
    Deposit,
    Employee,
    Estimate,
    Invoice,
    Item,
    Payment,
    PaymentMethod,
    Preferences,
    Purchase,
    SalesReceipt,
    TaxCode,
    TaxRate,
    Term,
    Vendor,
)

#: Entity classes by QBO name (``"Invoice"`` -> :class:`Invoice`).
ENTITY_CLASSES: Mapping[str, type[Entity]] = {cls.QBO_NAME: cls for cls in _ENTITIES}
_BY_LOWER = {name.lower(): cls for name, cls in ENTITY_CLASSES.items()}

# Registration order: value types before the classes that hold them.
_ALL_CLASSES: tuple[type[Model], ...] = (
    Ref,
    MemoRef,
    Address,
    EmailAddress,
    PhoneNumber,
    WebSiteAddress,
    MetaData,
    CustomField,
    LinkedTxn,
    MarkupInfo,
    NameValue,
    AttachableRef,
    SalesItemLineDetail,
    GroupLineDetail,
    DescriptionLineDetail,
    DiscountLineDetail,
    SubTotalLineDetail,
    TaxLineDetail,
    AccountBasedExpenseLineDetail,
    ItemBasedExpenseLineDetail,
    DepositLineDetail,
    SalesItemLine,
    GroupLine,
    DescriptionOnlyLine,
    DiscountLine,
    SubTotalLine,
    TaxLine,
    AccountBasedExpenseLine,
    ItemBasedExpenseLine,
    DepositLine,
    UnknownLine,
    PaymentLine,
    TxnTaxDetail,
    TaxRateDetail,
    TaxRateList,
    BillPaymentCheck,
    BillPaymentCreditCard,
    AccountingInfoPrefs,
    CurrencyPrefs,
    SalesFormsPrefs,
    TaxPrefs,
    *_ENTITIES,
)


@functools.cache
def _converter() -> WireConverter:
    # Built on first use: generating the per-class functions takes ~0.1 s.
    return WireConverter(classes=_ALL_CLASSES)


def entity_class(name: str) -> type[Entity]:
    """The entity class for a QBO entity name.

    The exact QBO spelling (``"CreditMemo"``) is looked up first, then a
    case-insensitive match (``"creditmemo"``, as in URL paths).

    Raises:
        PayloadError: If no entity of that name is modelled.
    """
    cls = ENTITY_CLASSES.get(name) or _BY_LOWER.get(name.lower())
    if cls is None:
        known = ", ".join(sorted(ENTITY_CLASSES))
        raise PayloadError(f"unknown QBO entity {name!r}; known: {known}", entity=name)
    return cls


@overload
def from_qbo(entity_name: type[_E], data: Mapping[str, Any]) -> _E: ...
@overload
def from_qbo(entity_name: str, data: Mapping[str, Any]) -> Entity: ...
def from_qbo(entity_name: str | type[_E], data: Mapping[str, Any]) -> Entity:
    """Parse one entity from its wire dict (as returned by ``qbo_sync._json.loads``).

    Args:
        entity_name: The QBO entity name (``"Invoice"``), or the class itself
            (then the result is typed as that class).
        data: The entity object, e.g. ``body["Invoice"]`` of a read response.

    Returns:
        The entity. It keeps a reference to ``data`` so that
        :func:`to_qbo_sparse` can later send only what changed; do not mutate
        ``data`` afterwards.

    Raises:
        PayloadError: For an unknown entity name, a ``data`` that is not a
            mapping, or any field of the wrong shape (all problems are listed,
            each with its wire path such as ``Invoice.Line[2].Amount``).
    """
    cls = entity_name if isinstance(entity_name, type) else entity_class(entity_name)
    if not isinstance(data, Mapping):
        raise PayloadError(
            f"{cls.QBO_NAME} payload: expected a JSON object, got {type(data).__name__}",
            entity=cls.QBO_NAME,
            path=cls.QBO_NAME,
        )
    wire = data if type(data) is dict else dict(data)
    entity: Entity = _converter().structure(cls, wire)
    entity._qbo_original = wire
    return entity


def to_qbo(entity: Model) -> dict[str, Any]:
    """Write an entity (or any model object) as its wire dict.

    ``None`` fields are left out, unknown keys from ``extra`` are written back,
    money stays ``Decimal`` (serialise with ``qbo_sync._json.dumps``).

    Raises:
        TypeError: If ``entity`` is not a model object.
    """
    return _converter().unstructure(entity)


def to_qbo_sparse(
    entity: Entity,
    original: Entity | Mapping[str, Any] | None = None,
    *,
    removed: Literal["omit", "null"] = "omit",
) -> dict[str, Any]:
    """Build a sparse-update body: ``Id``, ``SyncToken``, ``"sparse": true`` and changes.

    What counts as changed:

    - with ``original`` (an entity or a wire dict): every top-level key whose
      value differs from it;
    - without it, for an entity made by :func:`from_qbo`: every top-level key
      that differs from the payload it was read from;
    - otherwise: every field that is set (not ``None``) and every ``extra`` key.

    A changed nested object or line array is sent whole (QBO replaces line
    arrays as a unit).

    Args:
        entity: The entity with the new values.
        original: What the entity looked like before the change.
        removed: What to do with a field present in ``original`` but ``None``
            now. ``"omit"`` (default) leaves it out, so QBO keeps its value;
            ``"null"`` sends JSON ``null``. Whether QBO clears every field on
            ``null`` is not documented, hence the choice.

    Raises:
        PayloadError: If ``entity`` has no ``Id`` or ``SyncToken``.
    """
    current = to_qbo(entity)
    name = type(entity).QBO_NAME
    for key in ("Id", "SyncToken"):
        if current.get(key) is None:
            raise PayloadError(
                f"{name}: a sparse update needs {key}", entity=name, path=f"{name}.{key}"
            )
    base: Mapping[str, Any] | None
    if original is None:
        base = entity._qbo_original
    elif isinstance(original, Entity):
        base = to_qbo(original)
    else:
        base = original
    body: dict[str, Any] = {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True}
    for key, value in current.items():
        if key in body:
            continue
        if base is None or key not in base or not _same(base[key], value):
            body[key] = value
    if base is not None and removed == "null":
        for key in base:
            if key not in current and key not in body:
                body[key] = None
    return body


def _same(a: Any, b: Any) -> bool:
    # Decimal("1.0") == 1 is fine, but True == 1 must not hide a change.
    if type(a) is bool or type(b) is bool:
        return a is b
    return bool(a == b)
