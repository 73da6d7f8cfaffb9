"""The accounting engine of the fake QBO: companies, entities, queries, batch, CDC.

:class:`Ledger` answers the part of a request after ``/v3/company/{realmId}/``
with the status and JSON body real QBO would send. It knows nothing of HTTP,
OAuth or rate limits: the fake's service layer (``FakeQBO``) owns those and
calls :meth:`Ledger.handle`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from qbo_sync import _json
from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_company import seed_company
from qbo_sync.testing._fake._core_feeds import cdc, run_batch, run_query_text, write_entity
from qbo_sync.testing._fake._core_realm import Realm
from qbo_sync.testing._fake._core_taxservice import create_tax_code
from qbo_sync.testing._fake._core_time import response_time
from qbo_sync.testing._fake._core_values import clone
from qbo_sync.testing._fake._entities import BY_NAME, EntitySpec, spec_for
from qbo_sync.testing._fake._wire import fault_envelope

__all__ = ["ChangeEvent", "CoreResponse", "Ledger", "LedgerStats"]

_JSON = "application/json"
#: requestid limits (facts 4.2, 3.4): 50 characters, 36 on batch requests.
_MAX_REQUEST_ID = 50
_MAX_BATCH_REQUEST_ID = 36


@attrs.frozen
class CoreResponse:
    """What the ledger answers: status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str = _JSON

    def json(self) -> Any:
        """The body parsed with ``qbo_sync._json.loads`` (money as Decimal)."""
        return _json.loads(self.body)


@attrs.frozen
class ChangeEvent:
    """One change to a company's data, as webhooks report it.

    Attributes:
        realm_id: The company.
        entity: QBO's entity name (``Invoice``).
        id: The object's id.
        operation: ``Create``, ``Update``, ``Delete``, ``Void``, ``Emailed`` or ``Merge``.
        time: When it happened (the ledger clock).
    """

    realm_id: str
    entity: str
    id: str
    operation: str
    time: datetime


@attrs.frozen
class LedgerStats:
    """Counters of one company (or all, when asked without a realm).

    Attributes:
        writes: Successful writes (creates, updates, deletes, voids, sends,
            including balance updates a payment causes on invoices).
        requests: Requests handled (replays included).
        replays: Requests answered from the ``requestid`` cache.
        objects: Live objects per entity (deleted excluded, inactive included).
    """

    writes: int
    requests: int
    replays: int
    objects: Mapping[str, int]


class Ledger:
    """Stateful QBO companies behind one method, :meth:`handle`.

    Args:
        clock: Returns the current aware datetime (virtual time in tests).

    Thread-safe: one lock serialises every call.
    """

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._realms: dict[str, Realm] = {}
        self._replay: dict[tuple[str, str], CoreResponse] = {}
        self._listeners: list[Callable[[ChangeEvent], None]] = []
        self._requests: dict[str, int] = {}
        self._replays: dict[str, int] = {}
        self._next_realm = 9341453000000000

    # -- companies -------------------------------------------------------------

    def add_company(
        self,
        *,
        realm_id: str | None = None,
        company_name: str = "Sandbox Company_US_1",
        country: str = "US",
        seed_defaults: bool = True,
        custom_txn_numbers: bool = False,
        multicurrency: bool = False,
        automated_sales_tax: bool | None = None,
    ) -> str:
        """Create a company.

        CompanyInfo and Preferences always exist; ``seed_defaults`` adds the
        accounts, tax codes, Net 30 term and Services item a new sandbox has.

        Args:
            realm_id: Its id (digits); a fresh one when None.
            company_name: ``CompanyInfo.CompanyName``.
            country: ``CompanyInfo.Country``.
            seed_defaults: Create the default chart of accounts, items and terms.
            custom_txn_numbers: ``Preferences.SalesFormsPrefs.CustomTxnNumbers``:
                no automatic DocNumbers, and duplicates are refused (6140).
            multicurrency: ``Preferences.CurrencyPrefs.MultiCurrencyEnabled``.
            automated_sales_tax: ``Preferences.TaxPrefs.PartnerTaxEnabled``;
                None means on for a US company, off elsewhere.

        Returns:
            The realm id.

        Raises:
            ValueError: If ``realm_id`` is not digits or already exists.
        """
        with self._lock:
            if realm_id is None:
                while str(self._next_realm) in self._realms:
                    self._next_realm += 1
                realm_id = str(self._next_realm)
                self._next_realm += 1
            if not realm_id.isdigit():
                raise ValueError(f"realm_id must be digits, got {realm_id!r}")
            if realm_id in self._realms:
                raise ValueError(f"company {realm_id} already exists")
            realm = Realm(realm_id, self._clock)
            seed_company(
                realm,
                company_name=company_name,
                country=country,
                seed_defaults=seed_defaults,
                custom_txn_numbers=custom_txn_numbers,
                multicurrency=multicurrency,
                automated_sales_tax=automated_sales_tax,
            )
            realm.changes.clear()
            realm.writes = 0
            self._realms[realm_id] = realm
            return realm_id

    def has_company(self, realm_id: str) -> bool:
        """Whether ``realm_id`` is a company of this ledger."""
        with self._lock:
            return realm_id in self._realms

    def subscribe(self, listener: Callable[[ChangeEvent], None]) -> None:
        """Call ``listener`` after every change (create, update, delete, void, send)."""
        with self._lock:
            self._listeners.append(listener)

    # -- the request entry point ---------------------------------------------------

    def handle(
        self,
        realm_id: str,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: bytes,
    ) -> CoreResponse:
        """Answer one accounting API request.

        Args:
            realm_id: The company in the URL.
            method: ``GET`` or ``POST``.
            path: What follows ``/v3/company/{realmId}/`` (``invoice/12``).
            params: Query parameters (``minorversion``, ``requestid``, ``operation``...).
            body: The raw request body (JSON, or the query text for ``query``).

        Returns:
            The response; faults come back as QBO's ``{"Fault": ...}`` bodies,
            never as exceptions. An internal error is a 500 ``SystemFault``.
        """
        with self._lock:
            realm = self._realms.get(realm_id)
            self._requests[realm_id] = self._requests.get(realm_id, 0) + 1
            if realm is None:
                return self._fault(
                    faults.FaultError(
                        "3100",
                        "ApplicationAuthorizationFailed",
                        f"message=ApplicationAuthorizationFailed; errorCode=003100; "
                        f"statusCode=403: no company {realm_id}",
                        status=403,
                        fault_type="SERVICE",
                    )
                )
            request_id = params.get("requestid")
            if request_id is not None:
                cached = self._replay.get((realm_id, request_id))
                if cached is not None:
                    self._replays[realm_id] = self._replays.get(realm_id, 0) + 1
                    return cached
            response = self._dispatch_safely(realm, method.upper(), path, params, body)
            # Replays cover everything QBO answered deliberately; a 5xx means
            # "try again", so it is not remembered.
            if request_id is not None and response.status < 500:
                self._replay[(realm_id, request_id)] = response
            self._flush(realm)
            return response

    def _dispatch_safely(
        self, realm: Realm, method: str, path: str, params: Mapping[str, str], body: bytes
    ) -> CoreResponse:
        try:
            return self._dispatch(realm, method, path, params, body)
        except faults.FaultError as fault:
            return self._fault(fault)
        except Exception as exc:  # a fake that crashes must still answer like QBO
            return self._fault(
                faults.FaultError(
                    "10000",
                    "An application error has occurred while processing your request",
                    f"System Failure Error: {type(exc).__name__}: {exc}",
                    status=500,
                    fault_type="SystemFault",
                )
            )

    def _dispatch(
        self, realm: Realm, method: str, path: str, params: Mapping[str, str], body: bytes
    ) -> CoreResponse:
        _check_params(params, batch=path.strip("/").lower() == "batch")
        parts = [part for part in path.strip("/").split("/") if part]
        if not parts:
            raise faults.unsupported(f"{method} /")
        head = parts[0].lower()
        if head == "query" and len(parts) == 1:
            text = params.get("query") if method == "GET" else _text(body)
            if method == "POST" and not text:
                text = params.get("query")
            if not text:
                raise faults.required("query")
            return self._ok(run_query_text(realm, text))
        if head == "batch" and len(parts) == 1 and method == "POST":
            return self._ok(run_batch(realm, _parse(body, "BatchItemRequest")))
        if head == "cdc" and len(parts) == 1 and method == "GET":
            return self._ok(cdc(realm, params, self._clock()))
        if head == "taxservice" and [p.lower() for p in parts[1:]] == ["taxcode"]:
            if method != "POST":
                raise faults.unsupported(f"{method} /{path}")
            return self._ok(create_tax_code(realm, _parse(body, "TaxService")))
        spec = spec_for(head)
        if spec is None:
            raise faults.unsupported(f"{method} /{path}")
        if spec.kind == "singleton":
            return self._singleton(
                realm=realm, spec=spec, method=method, parts=parts, body=body, params=params
            )
        if method == "GET" and len(parts) == 2:
            return self._entity(realm, spec, realm.get(spec, parts[1]))
        if method == "GET" and len(parts) == 3 and parts[2].lower() == "pdf":
            data = realm.get(spec, parts[1])
            return CoreResponse(200, _pdf(spec.name, data), "application/pdf")
        if method == "POST" and len(parts) == 3 and parts[2].lower() == "send":
            return self._entity(realm, spec, realm.send(spec, parts[1], params.get("sendTo")))
        if method == "POST" and len(parts) == 1:
            payload = _parse(body, spec.name)
            return self._entity(realm, spec, write_entity(realm, spec, payload, params))
        raise faults.unsupported(f"{method} /{path}")

    def _singleton(
        self,
        *,
        realm: Realm,
        spec: EntitySpec,
        method: str,
        parts: list[str],
        body: bytes,
        params: Mapping[str, str],
    ) -> CoreResponse:
        if method == "GET" and len(parts) <= 2:
            return self._entity(realm, spec, realm.get(spec, "1"))
        if method == "POST" and len(parts) == 1:
            payload = _parse(body, spec.name)
            if params.get("operation", "update").lower() != "update":
                raise faults.unsupported(f"{params.get('operation')} on {spec.name}")
            return self._entity(realm, spec, realm.update(spec, payload))
        raise faults.unsupported(f"{method} /{'/'.join(parts)}")

    def forget_request_ids(self, realm_id: str | None = None) -> int:
        """Drop remembered ``requestid`` answers (of one company, or all); returns how many.

        How long QBO remembers a ``requestid`` is not documented; this lets a
        test play the moment it forgot.
        """
        with self._lock:
            keys = [k for k in self._replay if realm_id is None or k[0] == realm_id]
            for key in keys:
                del self._replay[key]
            return len(keys)

    # -- direct access (tests and the service layer) ----------------------------------

    def seed(
        self,
        realm_id: str,
        entity: str,
        data: Mapping[str, Any],
        *,
        with_id: str | None = None,
    ) -> dict[str, Any]:
        """Write an object directly, as someone working in QBO itself would.

        Same rules and derived fields as the API; no SyncToken is needed for
        an update (``data`` with an ``Id`` is a sparse update of that object).
        Change events are published as for API writes.

        Args:
            realm_id: The company.
            entity: QBO's entity name.
            data: The object (an ``Id`` in it makes this an update).
            with_id: Create the object under this id (digits, not yet used),
                e.g. to mirror a recording; later ids continue after it.

        Returns:
            The object as the API would return it.

        Raises:
            KeyError: For an unknown realm or entity.
            qbo_sync.errors.QBOError: The error a client would get for the
                fault QBO would send (``DuplicateNameError`` for 6240 ...).
        """
        with self._lock:
            realm = self._realm(realm_id)
            spec = _spec(entity)
            payload = _json.loads(_json.dumps(dict(data)))
            try:
                if payload.get("Id") is not None and with_id is None:
                    stored = realm.update(spec, payload, sparse=True, check_token=False)
                else:
                    stored = realm.create(spec, payload, obj_id=with_id)
            except faults.FaultError as fault:
                raise fault.to_qbo_error() from None
            finally:
                self._flush(realm)
            return realm.render(spec, stored)

    def add_tax_code(self, realm_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a tax code and its rates as ``POST taxservice/taxcode`` would.

        Returns:
            The tax service's answer (``TaxCodeId``, ``TaxRateDetails``...).

        Raises:
            KeyError: For an unknown realm.
            qbo_sync.errors.QBOError: The error a client would get.
        """
        with self._lock:
            realm = self._realm(realm_id)
            try:
                return create_tax_code(realm, _json.loads(_json.dumps(dict(body))))
            except faults.FaultError as fault:
                raise fault.to_qbo_error() from None

    def set_automated_sales_tax(
        self, realm_id: str, *, enabled: bool = True, rate: Decimal | int | str | None = None
    ) -> None:
        """Turn automated sales tax on or off and set the percent the fake charges with it."""
        with self._lock:
            realm = self._realm(realm_id)
            if rate is not None:
                value = Decimal(str(rate))
                if not Decimal(0) <= value <= Decimal(100):
                    raise ValueError(f"rate must be a percent between 0 and 100, got {rate!r}")
                realm.ast_rate = value
            self._merge_preferences(realm, {"TaxPrefs": {"PartnerTaxEnabled": enabled}})

    def update_preferences(self, realm_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the company's Preferences, section by section.

        Returns:
            The Preferences object as the API would return it.
        """
        with self._lock:
            realm = self._realm(realm_id)
            return self._merge_preferences(realm, _json.loads(_json.dumps(dict(changes))))

    def _merge_preferences(self, realm: Realm, changes: dict[str, Any]) -> dict[str, Any]:
        spec = BY_NAME["Preferences"]
        current = clone(realm.get(spec, "1"))
        for section, values in changes.items():
            if isinstance(values, dict) and isinstance(current.get(section), dict):
                current[section] = {**current[section], **values}
            else:
                current[section] = values
        try:
            stored = realm.update(spec, current, check_token=False)
        except faults.FaultError as fault:
            raise fault.to_qbo_error() from None
        finally:
            self._flush(realm)
        return realm.render(spec, stored)

    def read(self, realm_id: str, entity: str, id: str) -> dict[str, Any] | None:  # noqa: A002
        """The object as the API would return it, or None if unknown or deleted."""
        with self._lock:
            realm = self._realm(realm_id)
            spec = _spec(entity)
            data = realm.live(spec.name, id)
            return None if data is None else realm.render(spec, data)

    def objects(
        self,
        realm_id: str,
        entity: str,
        *,
        include_inactive: bool = True,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Every object of ``entity`` in creation order, as the API would return them.

        Deleted objects (with ``include_deleted``) appear as their last state
        with ``"status": "Deleted"``.
        """
        with self._lock:
            realm = self._realm(realm_id)
            spec = _spec(entity)
            out = []
            for record in realm.iter_records(spec.name):
                if record.deleted and not include_deleted:
                    continue
                if not include_inactive and record.data.get("Active") is False:
                    continue
                item = realm.render(spec, record.data)
                if record.deleted:
                    item["status"] = "Deleted"
                out.append(item)
            return out

    def stats(self, realm_id: str | None = None) -> LedgerStats:
        """Counters for one company, or summed over all of them."""
        with self._lock:
            realms = [self._realm(realm_id)] if realm_id else list(self._realms.values())
            objects: dict[str, int] = {}
            for realm in realms:
                for name in BY_NAME:
                    live = sum(1 for r in realm.iter_records(name) if not r.deleted)
                    objects[name] = objects.get(name, 0) + live
            ids = [realm.realm_id for realm in realms]
            return LedgerStats(
                writes=sum(realm.writes for realm in realms),
                requests=sum(self._requests.get(i, 0) for i in ids),
                replays=sum(self._replays.get(i, 0) for i in ids),
                objects=MappingProxyType(objects),
            )

    @property
    def write_count(self) -> int:
        """Successful writes over every company."""
        return self.stats().writes

    # -- helpers --------------------------------------------------------------------

    def _realm(self, realm_id: str) -> Realm:
        realm = self._realms.get(realm_id)
        if realm is None:
            raise KeyError(f"no company {realm_id!r} in this ledger")
        return realm

    def _flush(self, realm: Realm) -> None:
        changes, realm.changes = realm.changes, []
        for change in changes:
            event = ChangeEvent(
                realm.realm_id, change.entity, change.id, change.operation, change.time
            )
            for listener in list(self._listeners):
                listener(event)

    def _ok(self, payload: dict[str, Any]) -> CoreResponse:
        payload["time"] = response_time(self._clock())
        return CoreResponse(200, _json.dumps(payload))

    def _entity(self, realm: Realm, spec: EntitySpec, data: dict[str, Any]) -> CoreResponse:
        return self._ok({spec.name: realm.render(spec, data)})

    def _fault(self, fault: faults.FaultError) -> CoreResponse:
        payload = fault_envelope(fault.fault(), now=self._clock())
        return CoreResponse(fault.status, _json.dumps(payload))


def _spec(entity: str) -> EntitySpec:
    spec = spec_for(entity)
    if spec is None:
        raise KeyError(f"unknown entity {entity!r}")
    return spec


def _check_params(params: Mapping[str, str], *, batch: bool) -> None:
    minor = params.get("minorversion")
    if minor is not None and not minor.strip().isdigit():
        raise faults.bad_property(f"minorversion must be an integer, got {minor!r}", "minorversion")
    request_id = params.get("requestid")
    limit = _MAX_BATCH_REQUEST_ID if batch else _MAX_REQUEST_ID
    if request_id is not None and not 0 < len(request_id) <= limit:
        raise faults.bad_property(f"requestid must be 1 to {limit} characters", "requestid")


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise faults.unsupported("with a body that is not UTF-8") from None


def _parse(body: bytes, what: str) -> Any:
    text = _text(body)
    if not text:
        raise faults.bad_property(f"the request body is empty (expected {what})")
    try:
        return _json.loads(text)
    except (ValueError, RecursionError):
        raise faults.bad_property(f"the request body is not valid JSON (expected {what})") from None


def _pdf(entity: str, data: dict[str, Any]) -> bytes:
    title = f"{entity} {data.get('DocNumber') or data['Id']}".encode("ascii", "replace")
    return b"%PDF-1.4\n% qbo_sync fake QBO\n% " + title + b"\n%%EOF\n"
