"""One company's books: stored objects, writes with QBO's rules, and derived balances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_index import BALANCE_SOURCES, LINK_TARGETS, PAYER, RealmIndex
from qbo_sync.testing._fake._core_lines import sales_subtotal
from qbo_sync.testing._fake._core_rules import normalize
from qbo_sync.testing._fake._core_schema import KNOWN_FIELDS
from qbo_sync.testing._fake._core_tax import TAX_OVERRIDE
from qbo_sync.testing._fake._core_time import meta_time, today
from qbo_sync.testing._fake._core_values import ZERO, as_bool, as_dict, as_str, clone, money
from qbo_sync.testing._fake._entities import BY_NAME, PARTY, EntitySpec, Ref

__all__ = ["Change", "Realm", "Record"]

_SYSTEM = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status", "time"})


@attrs.define
class Record:
    """One stored object and what the ledger knows about it besides its body."""

    data: dict[str, Any]
    changed: datetime
    seq: int
    deleted: bool = False


@attrs.frozen
class Change:
    """A change to report to subscribers (``operation`` as webhooks spell it)."""

    entity: str
    id: str
    operation: str
    time: datetime


def _sequence(spec: EntitySpec) -> str:
    # Real QBO numbers customers, vendors and employees from one sequence and
    # all transactions from another (recordings: Customer 70 then Vendor 71).
    if spec.name in PARTY:
        return "party"
    return "txn" if spec.kind == "txn" else spec.name


class Realm:
    """A company: its objects, id sequences and pending change events.

    Not thread-safe by itself; the ledger serialises access.
    """

    def __init__(self, realm_id: str, clock: Callable[[], datetime]) -> None:
        self.realm_id = realm_id
        self._clock = clock
        self.records: dict[str, dict[str, Record]] = {name: {} for name in BY_NAME}
        self._next: dict[str, int] = {}
        self._seq = 0
        self.changes: list[Change] = []
        self.writes = 0
        self.index = RealmIndex()
        #: Sorted query matches by query shape, valid for one :attr:`generation`.
        self.query_cache: dict[Any, tuple[Any, list[dict[str, Any]]]] = {}
        #: The percent the fake's automated sales tax charges on taxable lines
        #: (a fake simplification: real AST looks rates up from addresses).
        self.ast_rate = ZERO
        #: Transactions whose TotalTax was sent explicitly (kept, not recomputed).
        self.tax_overrides: set[tuple[str, str]] = set()

    @property
    def generation(self) -> tuple[int, int, int]:
        """Changes whenever any object may have changed (cache validity)."""
        return (self._seq, self.writes, sum(len(r) for r in self.records.values()))

    # -- RealmView -----------------------------------------------------------------

    def live(self, entity: str, obj_id: str) -> dict[str, Any] | None:
        """The stored object, or None if unknown or deleted."""
        record = self.records.get(entity, {}).get(obj_id)
        return None if record is None or record.deleted else record.data

    def target(self, ref: Ref, value: str, element: str) -> tuple[str, dict[str, Any]]:
        """The live, active object a reference names, else fault 610."""
        for entity in ref.targets:
            data = self.live(entity, value)
            if data is not None:
                if data.get("Active") is False:
                    raise faults.not_found(element)
                return entity, data
        raise faults.not_found(element)

    def applied(self, entity: str, obj_id: str, *, excluding: str | None) -> Decimal:
        """What live payments other than ``excluding`` apply to a transaction."""
        total = ZERO
        for payment in self._payments_linking(entity, obj_id):
            if payment["Id"] != excluding:
                total += _linked_amount(payment, entity, obj_id)
        return total

    def today(self) -> date:
        """The company's date now (Pacific)."""
        return today(self._clock())

    def default_item(self) -> dict[str, Any] | None:
        """The ``Services`` item, if the company has it."""
        return self._find("Item", "Name", "Services")

    def deposit_account(self) -> dict[str, Any] | None:
        """The ``Undeposited Funds`` account, if the company has it."""
        return self._find("Account", "AccountSubType", "UndepositedFunds")

    def default_terms_days(self) -> int | None:
        """Due days of ``Preferences.SalesFormsPrefs.DefaultTerms``."""
        prefs = self.live("Preferences", "1") or {}
        ref = prefs.get("SalesFormsPrefs", {}).get("DefaultTerms")
        term = self.live("Term", str(ref.get("value"))) if isinstance(ref, dict) else None
        days = (term or {}).get("DueDays")
        return days if isinstance(days, int) else None

    def multicurrency(self) -> bool:
        """``Preferences.CurrencyPrefs.MultiCurrencyEnabled``."""
        prefs = self.live("Preferences", "1") or {}
        return prefs.get("CurrencyPrefs", {}).get("MultiCurrencyEnabled") is True

    def payables_account(self) -> dict[str, Any] | None:
        """The ``Accounts Payable (A/P)`` account, if the company has it."""
        return self._find("Account", "AccountSubType", "AccountsPayable")

    def country(self) -> str:
        """``CompanyInfo.Country`` (``US`` when unset)."""
        info = self.live("CompanyInfo", "1") or {}
        country = info.get("Country")
        return country if isinstance(country, str) and country else "US"

    def preferences(self) -> dict[str, Any]:
        """The company's Preferences object."""
        return self.live("Preferences", "1") or {}

    def automated_sales_tax_rate(self) -> Decimal:
        """The percent the fake's automated sales tax charges (see :attr:`ast_rate`)."""
        return self.ast_rate

    def tax_overridden(self, entity: str, obj_id: str) -> bool:
        """Whether the stored transaction's TotalTax was an explicit override."""
        return (entity, obj_id) in self.tax_overrides

    def home_currency(self) -> str:
        """``Preferences.CurrencyPrefs.HomeCurrency`` (``USD`` when unset)."""
        home = (self.preferences().get("CurrencyPrefs") or {}).get("HomeCurrency") or {}
        code = home.get("value") if isinstance(home, dict) else None
        return code if isinstance(code, str) and code else "USD"

    def _note_override(self, entity: str, obj_id: str, override: object) -> None:
        if override:
            self.tax_overrides.add((entity, obj_id))
        else:
            self.tax_overrides.discard((entity, obj_id))

    def custom_txn_numbers(self) -> bool:
        """``Preferences.SalesFormsPrefs.CustomTxnNumbers``."""
        prefs = self.live("Preferences", "1") or {}
        return prefs.get("SalesFormsPrefs", {}).get("CustomTxnNumbers") is True

    def _find(self, entity: str, key: str, value: str) -> dict[str, Any] | None:
        for record in self.records[entity].values():
            if not record.deleted and record.data.get(key) == value:
                return record.data
        return None

    # -- reads -----------------------------------------------------------------

    def get(self, spec: EntitySpec, obj_id: str) -> dict[str, Any]:
        """The object with ``obj_id`` (fault 2030 for a malformed id, 610 if unknown)."""
        # TaxCode ids are the pseudo codes TAX/NON in US companies.
        if not obj_id.isdigit() and spec.kind != "readonly":
            raise faults.invalid_id(obj_id)
        data = self.live(spec.name, obj_id)
        if data is None:
            raise faults.not_found()
        return data

    def iter_records(self, entity: str) -> Iterator[Record]:
        """Every record of ``entity`` (deleted ones too), in creation order."""
        return iter(self.records[entity].values())

    # -- writes ----------------------------------------------------------------

    def _stamp(self) -> tuple[datetime, int]:
        self._seq += 1
        return self._clock(), self._seq

    def _incoming(self, spec: EntitySpec, body: object) -> dict[str, Any]:
        obj = as_dict(body, spec.name)
        known = KNOWN_FIELDS[spec.name]
        for key in obj:
            if key not in known:
                raise faults.bad_property(
                    f'Unrecognized field "{key}" (class com.intuit.schema.finance.v3.'
                    f"{spec.name}), not marked as ignorable",
                    key,
                )
        return {k: clone(v) for k, v in obj.items() if k not in _SYSTEM | spec.derived}

    def create(
        self,
        spec: EntitySpec,
        body: object,
        *,
        allow_dup_doc: bool = False,
        obj_id: str | None = None,
    ) -> dict[str, Any]:
        """Create an object from a request body; returns the stored object.

        ``obj_id`` (seeding only) stores it under that id; later ids of its
        sequence continue after it.
        """
        if spec.kind in ("readonly", "singleton"):
            raise faults.unsupported(f"create on {spec.name}")
        if obj_id is not None and (not obj_id.isdigit() or obj_id in self.records[spec.name]):
            raise faults.business(f"{spec.name} id {obj_id!r} is not a free numeric id", "Id")
        obj = normalize(self, spec, self._incoming(spec, body), None)
        override = obj.pop(TAX_OVERRIDE, False)
        self._check_unique(spec, obj, None, allow_dup_doc=allow_dup_doc)
        seq_key = _sequence(spec)
        number = self._next.get(seq_key, 1)
        if obj_id is not None:
            number = max(number - 1, int(obj_id))
        else:
            obj_id = str(number)
        self._next[seq_key] = number + 1
        record = self._store(spec, obj_id, obj)
        self._note_override(spec.name, obj_id, override)
        self._after_write(spec, record.data, "Create", record.changed)
        return record.data

    def insert(self, spec: EntitySpec, obj_id: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a system object as-is (CompanyInfo, Preferences, TaxCode...)."""
        return self._store(spec, obj_id, obj).data

    def _store(self, spec: EntitySpec, obj_id: str, obj: dict[str, Any]) -> Record:
        """Store a new object: version 0, created now, indexed."""
        moment, seq = self._stamp()
        stamp = meta_time(moment)
        data = {
            "Id": obj_id,
            "SyncToken": "0",
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            **obj,
        }
        record = Record(data, moment, seq)
        self.records[spec.name][obj_id] = record
        self.index.stored(spec.name, obj_id)
        self.index.add(spec, data)
        return record

    def _current(
        self, spec: EntitySpec, obj: dict[str, Any], *, check_token: bool = True
    ) -> Record:
        raw_id = obj.get("Id")
        if raw_id is None or raw_id == "":
            raise faults.required("Id")
        obj_id = as_str(raw_id, "Id")
        if not obj_id.isdigit():
            raise faults.invalid_id(obj_id)
        record = self.records[spec.name].get(obj_id)
        if record is None or record.deleted:
            raise faults.not_found()
        if check_token:
            token = obj.get("SyncToken")
            if token is None:
                raise faults.required("SyncToken")
            if as_str(token, "SyncToken") != record.data["SyncToken"]:
                raise faults.stale()
        return record

    def update(
        self,
        spec: EntitySpec,
        body: object,
        *,
        sparse: bool | None = None,
        allow_dup_doc: bool = False,
        check_token: bool = True,
    ) -> dict[str, Any]:
        """Full or sparse update (``sparse`` None: as the body says)."""
        if spec.kind == "readonly":
            raise faults.unsupported(f"update on {spec.name}")
        raw = as_dict(body, spec.name)
        record = self._current(spec, raw, check_token=check_token)
        if sparse is None:
            sparse = raw.get("sparse") is not None and as_bool(raw["sparse"], "sparse")
        incoming = self._incoming(spec, raw)
        old = record.data
        if sparse:
            base = {k: clone(v) for k, v in old.items() if k not in _SYSTEM | spec.derived}
            base.update(incoming)
            incoming = base
        incoming["Id"] = old["Id"]
        obj = normalize(self, spec, incoming, old)
        obj.pop("Id", None)
        override = obj.pop(TAX_OVERRIDE, False)
        self._check_unique(spec, obj, old["Id"], allow_dup_doc=allow_dup_doc)
        data = self._replace(spec, record, obj, "Update")
        self._note_override(spec.name, old["Id"], override)
        return data

    def _replace(
        self, spec: EntitySpec, record: Record, obj: dict[str, Any], operation: str
    ) -> dict[str, Any]:
        old = record.data
        moment, seq = self._stamp()
        data = {
            "Id": old["Id"],
            "SyncToken": str(int(old["SyncToken"]) + 1),
            "MetaData": {
                "CreateTime": old["MetaData"]["CreateTime"],
                "LastUpdatedTime": meta_time(moment),
            },
            **obj,
        }
        self.index.remove(spec, old)
        record.data, record.changed, record.seq = data, moment, seq
        self.index.add(spec, data)
        self._after_write(spec, data, operation, moment, old=old)
        return data

    def delete(self, spec: EntitySpec, body: object) -> dict[str, Any]:
        """Delete a transaction; returns the ``status: Deleted`` stub."""
        if spec.kind != "txn":
            raise faults.unsupported(f"delete on {spec.name} (make it inactive instead)")
        record = self._current(spec, as_dict(body, spec.name))
        data = record.data
        if spec.name in PAYER and self._payments_linking(spec.name, data["Id"]):
            raise faults.business(
                f"{spec.name} {data['Id']} has payments linked to it; unlink them first"
            )
        moment, seq = self._stamp()
        self.index.remove(spec, data, deleting=True)
        record.deleted, record.changed, record.seq = True, moment, seq
        data["MetaData"]["LastUpdatedTime"] = meta_time(moment)
        self._after_write(spec, data, "Delete", moment, old=data)
        return {"domain": "QBO", "status": "Deleted", "Id": data["Id"]}

    def void(self, spec: EntitySpec, body: object) -> dict[str, Any]:
        """Void: amounts become 0, ``Voided`` is prepended to PrivateNote."""
        if not spec.void:
            raise faults.unsupported(f"void on {spec.name}")
        record = self._current(spec, as_dict(body, spec.name))
        obj = clone(record.data)
        for key in _SYSTEM:
            obj.pop(key, None)
        for line in obj.get("Line", []):
            if "Amount" in line:
                line["Amount"] = 0
            detail = line.get("SalesItemLineDetail")
            if isinstance(detail, dict) and "Qty" in detail:
                detail["Qty"] = 0
        note = obj.get("PrivateNote")
        obj["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        for key in ("TotalAmt", "Balance", "UnappliedAmt", "RemainingCredit"):
            if key in obj:
                obj[key] = 0
        if "TxnTaxDetail" in obj:
            obj["TxnTaxDetail"]["TotalTax"] = 0
        if spec.name != "Invoice":
            return self._replace(spec, record, obj, "Void")
        obj["LinkedTxn"] = []
        data = self._replace(spec, record, obj, "Void")
        self._unlink(spec.name, data["Id"])
        return record.data

    def _unlink(self, entity: str, obj_id: str) -> None:
        # Voiding a paid invoice turns what was applied to it into unapplied credit.
        payment_spec = BY_NAME["Payment"]
        for payment in self._payments_linking(entity, obj_id):
            record = self.records["Payment"][payment["Id"]]
            obj = {k: clone(v) for k, v in payment.items() if k not in _SYSTEM}
            obj["Line"] = [
                line
                for line in obj["Line"]
                if not any(
                    link.get("TxnType") == entity and link.get("TxnId") == obj_id
                    for link in line.get("LinkedTxn", [])
                )
            ]
            applied = sum((_signed(line) for line in obj["Line"]), ZERO)
            obj["UnappliedAmt"] = money(Decimal(obj["TotalAmt"]) - applied)
            self._replace(payment_spec, record, obj, "Update")

    def send(self, spec: EntitySpec, obj_id: str, send_to: str | None) -> dict[str, Any]:
        """Record an e-mail send: ``EmailStatus`` EmailSent and ``DeliveryInfo``."""
        if spec.name not in ("Invoice", "CreditMemo", "SalesReceipt", "Payment"):
            raise faults.unsupported(f"send on {spec.name}")
        self.get(spec, obj_id)
        record = self.records[spec.name][obj_id]
        obj = {k: clone(v) for k, v in record.data.items() if k not in _SYSTEM}
        if send_to is not None:
            if "@" not in send_to:
                raise faults.business("sendTo is not an e-mail address", "sendTo")
            obj["BillEmail"] = {"Address": send_to}
        elif not (obj.get("BillEmail") or {}).get("Address"):
            raise faults.required("BillEmail")
        obj["EmailStatus"] = "EmailSent"
        obj["DeliveryInfo"] = {"DeliveryType": "Email", "DeliveryTime": meta_time(self._clock())}
        return self._replace(spec, record, obj, "Emailed")

    # -- cross-object rules ------------------------------------------------------

    def _check_unique(
        self, spec: EntitySpec, obj: dict[str, Any], own_id: str | None, *, allow_dup_doc: bool
    ) -> None:
        if spec.name_field:
            for entity, holder in self.index.holders(spec, obj.get(spec.name_field, "")):
                if not (entity == spec.name and holder == own_id):
                    raise faults.duplicate_name(str(obj.get(spec.name_field)))
        if not spec.doc_number:
            return
        doc = obj.get("DocNumber")
        if doc is not None:
            doc = as_str(doc, "DocNumber")
            if len(doc) > 21:
                raise faults.FaultError(
                    "2050",
                    "String length is either shorter or longer than supported by specification",
                    "DocNumber may hold at most 21 characters",
                    element="DocNumber",
                )
            obj["DocNumber"] = doc
        custom = self.custom_txn_numbers()
        if doc is None and spec.auto_doc and not custom:
            obj["DocNumber"] = self._next_doc_number(spec)
        elif doc is not None and custom and not allow_dup_doc:
            for holder in self.index.with_doc(spec.name, doc):
                if holder != own_id:
                    raise faults.duplicate_doc_number(doc, spec.name, holder)

    def _next_doc_number(self, spec: EntitySpec) -> str:
        highest = self.index.max_doc(spec.name)
        return str((1000 if highest is None else highest) + 1)

    def _payments_linking(self, entity: str, obj_id: str) -> list[dict[str, Any]]:
        payments = self.records[PAYER.get(entity, "Payment")]
        return [payments[payment_id].data for payment_id in self.index.payments(entity, obj_id)]

    def _after_write(
        self,
        spec: EntitySpec,
        data: dict[str, Any],
        operation: str,
        moment: datetime,
        *,
        old: dict[str, Any] | None = None,
    ) -> None:
        self.writes += 1
        self.changes.append(Change(spec.name, data["Id"], operation, moment))
        customers: set[str] = set()
        vendors: set[str] = set()
        targets: set[tuple[str, str]] = set()
        for version in (old, data):
            if version is None:
                continue
            ref = version.get("CustomerRef")
            if isinstance(ref, dict) and ref.get("value"):
                customers.add(str(ref["value"]))
            vendor = version.get("VendorRef")
            if spec.name in ("Bill", "BillPayment") and isinstance(vendor, dict):
                vendors.add(str(vendor.get("value")))
            linkable = LINK_TARGETS.get(spec.name, ())
            for line in version.get("Line", []) if linkable else ():
                for link in line.get("LinkedTxn", []):
                    if link.get("TxnType") in linkable:
                        targets.add((link["TxnType"], link["TxnId"]))
        for entity, obj_id in sorted(targets):
            self._refresh_target(entity, obj_id)
        for customer_id in sorted(customers):
            self._refresh_customer(customer_id)
        for vendor_id in sorted(vendors):
            self._refresh_vendor(vendor_id)

    def _refresh_target(self, entity: str, obj_id: str) -> None:
        record = self.records[entity].get(obj_id)
        if record is None or record.deleted:
            return
        data = record.data
        applied = self.applied(entity, obj_id, excluding=None)
        balance = money(Decimal(data.get("TotalAmt", 0)) - applied)
        # A bill names its bill payments "BillPaymentCheck", whatever their
        # PayType (recorded: quickbooks-ruby change_data_capture_response.xml).
        kind = "BillPaymentCheck" if entity == "Bill" else "Payment"
        payers = self._payments_linking(entity, obj_id)
        links = [{"TxnId": p["Id"], "TxnType": kind} for p in payers]
        if data.get("Balance") == balance and data.get("LinkedTxn", []) == links:
            return
        # A payment applied to an invoice changes the invoice: QBO bumps its
        # SyncToken, so a client holding the old token gets 5010 on update.
        obj = {k: clone(v) for k, v in data.items() if k not in _SYSTEM}
        obj["Balance"] = balance
        obj["LinkedTxn"] = links
        if entity == "CreditMemo":
            obj["RemainingCredit"] = balance
        self._replace(BY_NAME[entity], record, obj, "Update")

    def _refresh_customer(self, customer_id: str) -> None:
        record = self.records["Customer"].get(customer_id)
        if record is None:
            return
        own = ZERO
        keys = (("Balance", 1), ("RemainingCredit", -1), ("UnappliedAmt", -1))
        for entity, (key, sign) in zip(BALANCE_SOURCES, keys, strict=True):
            stored = self.records[entity]
            for other_id in self.index.of_customer(entity, customer_id):
                own += sign * Decimal(stored[other_id].data.get(key, 0))
        record.data["Balance"] = money(own)
        self._refresh_jobs(record)

    def _refresh_vendor(self, vendor_id: str) -> None:
        # A vendor's Balance is what its open bills still owe.
        record = self.records["Vendor"].get(vendor_id)
        if record is None:
            return
        bills = self.records["Bill"]
        owed = sum(
            (Decimal(bills[i].data.get("Balance", 0)) for i in self.index.bills_of(vendor_id)),
            ZERO,
        )
        record.data["Balance"] = money(owed)

    def _refresh_jobs(self, record: Record) -> None:
        # BalanceWithJobs rolls sub-customer balances up the parent chain.
        seen: set[str] = set()
        while record.data["Id"] not in seen:
            seen.add(record.data["Id"])
            total = Decimal(record.data.get("Balance", 0))
            customers = self.records["Customer"]
            for child_id in self.index.children(record.data["Id"]):
                total += Decimal(customers[child_id].data.get("BalanceWithJobs", 0))
            record.data["BalanceWithJobs"] = money(total)
            parent_ref = record.data.get("ParentRef") or {}
            parent = self.records["Customer"].get(str(parent_ref.get("value")))
            if parent is None:
                return
            record = parent

    # -- rendering ---------------------------------------------------------------

    def render(self, spec: EntitySpec, data: dict[str, Any]) -> dict[str, Any]:
        """The object as QBO sends it: ``domain``/``sparse`` first, a subtotal line on sales.

        A ``status: Deleted`` stub (what :meth:`delete` returns) is sent as it is.
        """
        if data.get("status") == "Deleted":
            return data
        out: dict[str, Any] = {"domain": "QBO", "sparse": False}
        out.update(clone(data))
        if spec.sales_lines and isinstance(out.get("Line"), list):
            out["Line"].append(
                {
                    "Amount": sales_subtotal(data),
                    "DetailType": "SubTotalLineDetail",
                    "SubTotalLineDetail": {},
                }
            )
        return out


def _signed(line: dict[str, Any]) -> Decimal:
    links = line.get("LinkedTxn") or [{}]
    sign = -1 if links[0].get("TxnType") == "CreditMemo" else 1
    return sign * Decimal(line.get("Amount", 0))


def _linked_amount(payment: dict[str, Any], entity: str, obj_id: str) -> Decimal:
    total = ZERO
    for line in payment.get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") == entity and link.get("TxnId") == obj_id:
                total += Decimal(line.get("Amount", 0))
                break
    return total
