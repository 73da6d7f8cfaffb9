"""Indexes of one company's books, kept in step with every write.

Without them every uniqueness check, balance refresh and query scanned every
stored object, so loading 10,000 customers took quadratic time. The realm
calls :meth:`RealmIndex.add` after an object is stored and
:meth:`RealmIndex.remove` before it changes or is deleted; each index then
answers in time proportional to its answer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from qbo_sync.testing._fake._entities import BY_NAME, EntitySpec

__all__ = ["BALANCE_SOURCES", "LINK_TARGETS", "PAYER", "RealmIndex"]

#: Transactions whose CustomerRef feeds a customer's Balance.
BALANCE_SOURCES = ("Invoice", "CreditMemo", "Payment")
#: What each kind of payment applies to: customer payments pay invoices (and
#: use credit memos), bill payments pay bills.
LINK_TARGETS = {"Payment": ("Invoice", "CreditMemo"), "BillPayment": ("Bill",)}
#: The payment entity that links each target.
PAYER = {target: payer for payer, targets in LINK_TARGETS.items() for target in targets}

_Ids = dict[str, None]  # an insertion-ordered set of ids


def _name_key(spec: EntitySpec, data: dict[str, Any]) -> tuple[tuple[str, ...], str] | None:
    if not spec.name_field:
        return None
    return spec.name_group, str(data.get(spec.name_field, "")).casefold()


def _doc(data: dict[str, Any]) -> str | None:
    doc = data.get("DocNumber")
    return doc if isinstance(doc, str) else None


def _ref(data: dict[str, Any], key: str) -> str | None:
    ref = data.get(key)
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def _links(entity: str, data: dict[str, Any]) -> set[tuple[str, str]]:
    targets = LINK_TARGETS.get(entity, ())
    found: set[tuple[str, str]] = set()
    for line in data.get("Line", []) or []:
        if not isinstance(line, dict):
            continue
        for link in line.get("LinkedTxn", []) or []:
            if isinstance(link, dict) and link.get("TxnType") in targets:
                found.add((str(link["TxnType"]), str(link.get("TxnId"))))
    return found


def _by_id(ids: _Ids) -> list[str]:
    return sorted(ids, key=lambda i: (not i.isdigit(), int(i) if i.isdigit() else 0, i))


class RealmIndex:
    """Lookups the realm's rules and queries need, for live (not deleted) objects.

    - names: (name group, case-folded name) -> objects holding it;
    - documents: (entity, DocNumber) -> ids, and numeric DocNumbers per entity
      (deleted objects included, as the next automatic number counts them);
    - customer links: (entity, customer id) -> transactions naming the customer;
    - vendor bills: vendor id -> bills naming the vendor;
    - sub-customers: parent id -> child ids;
    - payment links: (Invoice|CreditMemo, id) -> payments applied to it,
      (Bill, id) -> bill payments applied to it;
    - id order: per entity, whether ids were stored in increasing numeric order.
    """

    def __init__(self) -> None:
        self._names: dict[tuple[tuple[str, ...], str], dict[tuple[str, str], None]] = {}
        self._docs: dict[tuple[str, str], _Ids] = {}
        self._doc_numbers: dict[str, Counter[int]] = {}
        self._doc_max: dict[str, int] = {}
        self._customers: dict[tuple[str, str], _Ids] = {}
        self._vendor_bills: dict[str, _Ids] = {}
        self._children: dict[str, _Ids] = {}
        self._payments: dict[tuple[str, str], _Ids] = {}
        self._last_id: dict[str, int] = {}
        self._unordered: set[str] = set()

    # -- maintenance ---------------------------------------------------------------

    def stored(self, entity: str, obj_id: str) -> None:
        """Note that ``obj_id`` was stored as a new object of ``entity``."""
        if obj_id.isdigit() and int(obj_id) > self._last_id.get(entity, 0):
            self._last_id[entity] = int(obj_id)
        else:
            self._unordered.add(entity)

    def add(self, spec: EntitySpec, data: dict[str, Any]) -> None:
        """Index a stored version of an object."""
        entity, obj_id = spec.name, str(data["Id"])
        doc = _doc(data)
        if doc is not None and doc.isdigit():
            number = int(doc)
            self._doc_numbers.setdefault(entity, Counter())[number] += 1
            self._doc_max[entity] = max(self._doc_max.get(entity, number), number)
        name = _name_key(spec, data)
        if name is not None:
            self._names.setdefault(name, {})[(entity, obj_id)] = None
        if doc is not None:
            self._docs.setdefault((entity, doc), {})[obj_id] = None
        customer = _ref(data, "CustomerRef")
        if customer is not None and entity in BALANCE_SOURCES:
            self._customers.setdefault((entity, customer), {})[obj_id] = None
        vendor = _ref(data, "VendorRef")
        if vendor is not None and entity == "Bill":
            self._vendor_bills.setdefault(vendor, {})[obj_id] = None
        parent = _ref(data, "ParentRef")
        if parent is not None and entity == "Customer":
            self._children.setdefault(parent, {})[obj_id] = None
        for target in _links(entity, data):
            self._payments.setdefault(target, {})[obj_id] = None

    def remove(self, spec: EntitySpec, data: dict[str, Any], *, deleting: bool = False) -> None:
        """Forget a version of an object (the inverse of :meth:`add`).

        ``deleting``: the object is being deleted; its DocNumber still counts
        for the next automatic number, as QBO never reuses one.
        """
        entity, obj_id = spec.name, str(data["Id"])
        doc = _doc(data)
        if doc is not None and doc.isdigit() and not deleting:
            numbers = self._doc_numbers.get(entity, Counter())
            numbers[int(doc)] -= 1
            if numbers[int(doc)] <= 0:
                del numbers[int(doc)]
                if int(doc) == self._doc_max.get(entity):
                    if numbers:
                        self._doc_max[entity] = max(numbers)
                    else:
                        del self._doc_max[entity]
        name = _name_key(spec, data)
        if name is not None:
            _discard(self._names, name, (entity, obj_id))
        if doc is not None:
            _discard(self._docs, (entity, doc), obj_id)
        customer = _ref(data, "CustomerRef")
        if customer is not None:
            _discard(self._customers, (entity, customer), obj_id)
        vendor = _ref(data, "VendorRef")
        if vendor is not None and entity == "Bill":
            _discard(self._vendor_bills, vendor, obj_id)
        parent = _ref(data, "ParentRef")
        if parent is not None and entity == "Customer":
            _discard(self._children, parent, obj_id)
        for target in _links(entity, data):
            _discard(self._payments, target, obj_id)

    # -- lookups -------------------------------------------------------------------

    def holders(self, spec: EntitySpec, name: object) -> list[tuple[str, str]]:
        """(entity, id) of live objects in ``spec``'s name group holding ``name``."""
        key = (spec.name_group, str(name).casefold())
        return list(self._names.get(key, {}))

    def named(self, entity: str, field: str, value: str) -> list[str] | None:
        """Ids of ``entity`` whose ``field`` equals ``value`` case-insensitively.

        None when no index covers ``field`` for ``entity`` (scan instead).
        """
        spec = BY_NAME[entity]
        if spec.name_field != field:
            return None
        key = (spec.name_group, value.casefold())
        return _by_id({i: None for e, i in self._names.get(key, {}) if e == entity})

    def with_doc(self, entity: str, doc: str) -> list[str]:
        """Ids of live ``entity`` objects with DocNumber ``doc``."""
        return list(self._docs.get((entity, doc), {}))

    def max_doc(self, entity: str) -> int | None:
        """The largest numeric DocNumber any ``entity`` ever stored (deleted included)."""
        return self._doc_max.get(entity)

    def of_customer(self, entity: str, customer_id: str) -> list[str]:
        """Ids of live ``entity`` transactions whose CustomerRef is ``customer_id``."""
        return list(self._customers.get((entity, customer_id), {}))

    def bills_of(self, vendor_id: str) -> list[str]:
        """Ids of the live bills whose VendorRef is ``vendor_id``."""
        return list(self._vendor_bills.get(vendor_id, {}))

    def children(self, customer_id: str) -> list[str]:
        """Ids of the sub-customers of ``customer_id``."""
        return _by_id(self._children.get(customer_id, {}))

    def payments(self, entity: str, obj_id: str) -> list[str]:
        """Ids of live payments (bill payments for a Bill) linking ``entity`` ``obj_id``."""
        return _by_id(self._payments.get((entity, obj_id), {}))

    def id_ordered(self, entity: str) -> bool:
        """Whether ``entity``'s objects were stored in increasing numeric id order."""
        return entity not in self._unordered


def _discard(index: dict[Any, dict[Any, None]], key: Any, member: Any) -> None:
    members = index.get(key)
    if members is None:
        return
    members.pop(member, None)
    if not members:
        del index[key]
