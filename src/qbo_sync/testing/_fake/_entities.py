"""What the fake knows about each modelled QBO entity: kind, path, operations, rules."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = [
    "BY_NAME",
    "BY_PATH",
    "CLASS_REF",
    "PARTY",
    "TAX_PSEUDO",
    "EntitySpec",
    "Ref",
    "spec_for",
]


@attrs.frozen
class Ref:
    """A reference field the fake checks: where it sits and what it must point at.

    Attributes:
        key: The property name (``CustomerRef``).
        targets: Entities the value may name (first match wins).
        pseudo: Values that are always valid (``TAX``/``NON`` tax codes).
    """

    key: str
    targets: tuple[str, ...]
    pseudo: frozenset[str] = frozenset()


#: The pseudo tax codes a US company always has (TaxCode ids that are not numbers).
TAX_PSEUDO = frozenset({"TAX", "NON"})


@attrs.frozen
class EntitySpec:
    """Behaviour switches of one entity.

    Attributes:
        name: QBO's spelling (``SalesReceipt``).
        kind: ``list`` (name list: no delete, Active flag), ``txn``
            (transaction: delete), ``singleton`` (CompanyInfo, Preferences) or
            ``readonly`` (TaxCode, TaxRate: written through the tax service only).
        void: Whether the entity can be voided.
        name_field: The field that must be unique (``DisplayName``/``Name``).
        name_group: Entities sharing one namespace for ``name_field``.
        sales_lines: Lines are sales lines (SalesItemLineDetail ...).
        expense_lines: Lines are expense lines (AccountBased / ItemBased).
        deposit_lines: Lines are deposit lines.
        doc_number: Carries a DocNumber (6140 applies; auto-numbered if ``auto_doc``).
        auto_doc: QBO assigns DocNumber when omitted (custom numbers off).
        refs: Top-level references checked on every write.
        required: Top-level properties a create must carry.
        derived: Read-only properties QBO computes (values sent are ignored).
        cdc: Whether CDC serves the entity.
    """

    name: str
    kind: str
    void: bool = False
    name_field: str | None = None
    name_group: tuple[str, ...] = ()
    sales_lines: bool = False
    expense_lines: bool = False
    deposit_lines: bool = False
    doc_number: bool = False
    auto_doc: bool = False
    refs: tuple[Ref, ...] = ()
    required: tuple[str, ...] = ()
    derived: frozenset[str] = frozenset()
    cdc: bool = True

    @property
    def path(self) -> str:
        """The URL segment (``salesreceipt``)."""
        return self.name.lower()

    @property
    def has_active(self) -> bool:
        """Whether the entity has an ``Active`` flag and default-active queries."""
        return self.kind in ("list", "readonly")


#: Entities sharing one DisplayName namespace and one id sequence.
PARTY = ("Customer", "Vendor", "Employee")
_PARTY_DERIVED = frozenset({"FullyQualifiedName", "Level"})
_SALES_DERIVED = frozenset({"TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "LinkedTxn"})
#: Location tracking: any transaction may name a department.
_DEPARTMENT = Ref("DepartmentRef", ("Department",))
CLASS_REF = Ref("ClassRef", ("Class",))
_PAYMENT_METHOD = Ref("PaymentMethodRef", ("PaymentMethod",))

_SPECS = (
    EntitySpec(
        "Customer",
        "list",
        name_field="DisplayName",
        name_group=PARTY,
        refs=(
            Ref("ParentRef", ("Customer",)),
            Ref("SalesTermRef", ("Term",)),
            Ref("DefaultTaxCodeRef", ("TaxCode",), TAX_PSEUDO),
        ),
        derived=_PARTY_DERIVED | {"Balance", "BalanceWithJobs"},
    ),
    EntitySpec(
        "Vendor",
        "list",
        name_field="DisplayName",
        name_group=PARTY,
        refs=(Ref("TermRef", ("Term",)), Ref("APAccountRef", ("Account",))),
        derived=_PARTY_DERIVED | {"Balance"},
    ),
    EntitySpec(
        "Employee", "list", name_field="DisplayName", name_group=PARTY, derived=_PARTY_DERIVED
    ),
    EntitySpec(
        "Item",
        "list",
        name_field="FullyQualifiedName",
        name_group=("Item",),
        refs=(
            Ref("IncomeAccountRef", ("Account",)),
            Ref("ExpenseAccountRef", ("Account",)),
            Ref("AssetAccountRef", ("Account",)),
            Ref("ParentRef", ("Item",)),
            Ref("SalesTaxCodeRef", ("TaxCode",), TAX_PSEUDO),
            Ref("PurchaseTaxCodeRef", ("TaxCode",), TAX_PSEUDO),
        ),
        required=("Name", "Type"),
        derived=frozenset({"FullyQualifiedName", "Level"}),
    ),
    EntitySpec(
        "Account",
        "list",
        name_field="FullyQualifiedName",
        name_group=("Account",),
        refs=(Ref("ParentRef", ("Account",)),),
        required=("Name",),
        derived=frozenset(
            {
                "FullyQualifiedName",
                "Classification",
                "CurrentBalance",
                "CurrentBalanceWithSubAccounts",
            }
        ),
    ),
    EntitySpec("TaxCode", "readonly", cdc=False),
    EntitySpec("TaxRate", "readonly", cdc=False),
    EntitySpec("Term", "list", name_field="Name", name_group=("Term",), required=("Name",)),
    # Classes and departments are unique per parent: the full path is the name.
    EntitySpec(
        "Class",
        "list",
        name_field="FullyQualifiedName",
        name_group=("Class",),
        refs=(Ref("ParentRef", ("Class",)),),
        required=("Name",),
        derived=frozenset({"FullyQualifiedName", "SubClass"}),
    ),
    EntitySpec(
        "Department",
        "list",
        name_field="FullyQualifiedName",
        name_group=("Department",),
        refs=(Ref("ParentRef", ("Department",)),),
        required=("Name",),
        derived=frozenset({"FullyQualifiedName", "SubDepartment"}),
    ),
    EntitySpec(
        "PaymentMethod",
        "list",
        name_field="Name",
        name_group=("PaymentMethod",),
        required=("Name",),
    ),
    EntitySpec(
        "Invoice",
        "txn",
        void=True,
        sales_lines=True,
        doc_number=True,
        auto_doc=True,
        refs=(
            Ref("CustomerRef", ("Customer",)),
            Ref("SalesTermRef", ("Term",)),
            Ref("ARAccountRef", ("Account",)),
            Ref("DepositToAccountRef", ("Account",)),
            _DEPARTMENT,
            CLASS_REF,
            _PAYMENT_METHOD,
        ),
        required=("CustomerRef", "Line"),
        derived=_SALES_DERIVED,
    ),
    EntitySpec(
        "CreditMemo",
        "txn",
        sales_lines=True,
        doc_number=True,
        auto_doc=True,
        refs=(
            Ref("CustomerRef", ("Customer",)),
            Ref("ARAccountRef", ("Account",)),
            _DEPARTMENT,
            CLASS_REF,
            _PAYMENT_METHOD,
        ),
        required=("CustomerRef", "Line"),
        derived=_SALES_DERIVED | {"RemainingCredit"},
    ),
    EntitySpec(
        "SalesReceipt",
        "txn",
        void=True,
        sales_lines=True,
        doc_number=True,
        auto_doc=True,
        refs=(
            Ref("CustomerRef", ("Customer",)),
            Ref("DepositToAccountRef", ("Account",)),
            _DEPARTMENT,
            CLASS_REF,
            _PAYMENT_METHOD,
        ),
        required=("Line",),
        derived=_SALES_DERIVED,
    ),
    EntitySpec(
        "Payment",
        "txn",
        void=True,
        refs=(
            Ref("CustomerRef", ("Customer",)),
            Ref("DepositToAccountRef", ("Account",)),
            Ref("ARAccountRef", ("Account",)),
            _DEPARTMENT,
            _PAYMENT_METHOD,
        ),
        required=("CustomerRef", "TotalAmt"),
        derived=frozenset({"UnappliedAmt"}),
    ),
    EntitySpec(
        "Purchase",
        "txn",
        expense_lines=True,
        doc_number=True,
        refs=(
            Ref("AccountRef", ("Account",)),
            Ref("EntityRef", PARTY),
            _DEPARTMENT,
            _PAYMENT_METHOD,
        ),
        required=("AccountRef", "PaymentType", "Line"),
        derived=frozenset({"TotalAmt"}),
    ),
    EntitySpec(
        "Bill",
        "txn",
        expense_lines=True,
        doc_number=True,
        refs=(
            Ref("VendorRef", ("Vendor",)),
            Ref("APAccountRef", ("Account",)),
            Ref("SalesTermRef", ("Term",)),
            _DEPARTMENT,
        ),
        required=("VendorRef", "Line"),
        derived=frozenset({"TotalAmt", "Balance", "LinkedTxn"}),
    ),
    EntitySpec(
        "BillPayment",
        "txn",
        void=True,
        doc_number=True,
        refs=(
            Ref("VendorRef", ("Vendor",)),
            Ref("APAccountRef", ("Account",)),
            _DEPARTMENT,
        ),
        required=("VendorRef", "PayType", "TotalAmt"),
    ),
    EntitySpec(
        "Deposit",
        "txn",
        deposit_lines=True,
        doc_number=True,
        refs=(Ref("DepositToAccountRef", ("Account",)), _DEPARTMENT),
        required=("DepositToAccountRef", "Line"),
        derived=frozenset({"TotalAmt"}),
    ),
    EntitySpec("CompanyInfo", "singleton", cdc=False),
    EntitySpec("Preferences", "singleton"),
)

BY_NAME: Mapping[str, EntitySpec] = {spec.name: spec for spec in _SPECS}
BY_PATH: Mapping[str, EntitySpec] = {spec.path: spec for spec in _SPECS}


def spec_for(name: str) -> EntitySpec | None:
    """The spec for an entity name, matched case-insensitively (``invoice`` -> Invoice)."""
    return BY_PATH.get(name.lower())
