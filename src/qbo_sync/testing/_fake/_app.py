"""FakeQBO: the ledger behind Intuit's front door (routing, OAuth, limits, faults, webhooks).

One synchronous :meth:`FakeQBO.dispatch` answers every request; the
in-process transport and the ASGI app are two thin ways of feeding it.
Routing looks at the PATH only, so a client built for the sandbox or
production host talks to the fake unchanged.

Order of checks on an Accounting API request, and why:

1. fault injection (a 503 or a dropped connection happens before QBO's
   gateway looks at the request, so it ignores auth and limits);
2. bearer token (401 / 403 come from the gateway, before throttling);
3. per-realm limits (429; a throttled request is not counted);
4. the ledger.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import attrs
import httpx

from qbo_sync import _json
from qbo_sync.errors import ConfigurationError
from qbo_sync.testing._fake._clock import Clock, FakeClock, RealClock
from qbo_sync.testing._fake._inject import Fault, FaultInjector
from qbo_sync.testing._fake._ledger import ChangeEvent, Ledger
from qbo_sync.testing._fake._limits import LimitConfig, RealmLimiter
from qbo_sync.testing._fake._oauth import OAuthConfig, OAuthServer
from qbo_sync.testing._fake._webhooks import WebhookDelivery, WebhookEmitter, WebhookFormat
from qbo_sync.testing._fake._wire import (
    Reply,
    auth_failed,
    authorization_failed,
    intuit_tid,
    json_reply,
    server_error,
    text_reply,
    throttled,
)

if TYPE_CHECKING:
    from qbo_sync.testing._fake._asgi import AsgiApp

__all__ = ["FakeQBO", "FakeRequest", "FakeStats", "Outcome"]

_API = re.compile(r"^/v3/company/(?P<realm>[^/]+)/(?P<rest>.*)$")
_DISCOVERY = re.compile(r"^/\.well-known/openid[_-](?P<sandbox>sandbox[_-])?configuration/?$")
DEFAULT_VERIFIER_TOKEN = "fake-qbo-verifier-token"  # noqa: S105 - a fake's default, not a secret


@attrs.frozen(kw_only=True)
class FakeRequest:
    """A request as the fake sees it, whichever way it arrived.

    Attributes:
        method: Upper-case HTTP method.
        path: URL path (host ignored).
        query: Query parameters (the last value wins for repeated names).
        headers: Lower-case header names.
        body: Raw body.
        base_url: ``scheme://host[:port]`` when served over HTTP, else None.
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""
    base_url: str | None = None


@attrs.frozen(kw_only=True)
class Outcome:
    """What to do with a request: answer it, or break the connection after ``reply``.

    Attributes:
        reply: The answer (for ``timeout``/``drop``, what would have been sent).
        fault: A ``timeout`` or ``drop`` fault the transport must act out, else None.
    """

    reply: Reply
    fault: Fault | None = None


class FakeStats:
    """Counters a test or benchmark can read, as ``fake.stats``. Thread-safe.

    Attributes:
        requests: Requests by kind: ``read``, ``query``, ``write``, ``batch``,
            ``cdc``, ``oauth``, ``other``.
        statuses: Responses by HTTP status.
        writes: Changes committed in the ledger (batch items included, replays
            of a known ``requestid`` excluded).
        throttled: 429 answers (limits and injected).
        faults_injected: Requests a fault rule hit.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.writes = 0
        self.throttled = 0
        self.faults_injected = 0

    def count(self, kind: str, status: int | None) -> None:
        """Record one request of ``kind`` answered with ``status``."""
        with self._lock:
            self.requests[kind] += 1
            if status is not None:
                self.statuses[status] += 1
                if status == 429:
                    self.throttled += 1

    def count_write(self) -> None:
        """Record one committed change."""
        with self._lock:
            self.writes += 1

    def count_fault(self) -> None:
        """Record one injected fault."""
        with self._lock:
            self.faults_injected += 1

    @property
    def total(self) -> int:
        """All requests counted."""
        with self._lock:
            return sum(self.requests.values())

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self.writes = self.throttled = self.faults_injected = 0

    def snapshot(self) -> dict[str, Any]:
        """The counters as plain data (for printing or JSON)."""
        with self._lock:
            return {
                "requests": dict(self.requests),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "writes": self.writes,
                "throttled": self.throttled,
                "faults_injected": self.faults_injected,
            }

    def __repr__(self) -> str:
        return f"FakeStats({self.snapshot()})"


def _kind(method: str, rest: str) -> str:
    head = rest.split("/", 1)[0].lower()
    if head in ("query", "batch", "cdc"):
        return head
    return "read" if method == "GET" else "write"


class FakeQBO:
    """A stateful fake QuickBooks Online: Accounting API, OAuth, limits, faults, webhooks.

    Works on raw JSON dicts. Serve it in-process with :meth:`transport` (fast,
    the usual choice) or over real HTTP with :attr:`asgi_app` /
    :class:`~qbo_sync.testing.FakeQBOServer`.

    Args:
        clock: Time for everything (token lifetimes, limits, MetaData times).
            Pass a :class:`~qbo_sync.testing.FakeClock` for virtual time;
            defaults to real time.
        verifier_token: Webhook HMAC key (default ``"fake-qbo-verifier-token"``).
        seed: Seed for random fault injection, so failing runs replay.
        limits: ``True`` (QBO's limits), ``False`` (none), or a
            :class:`~qbo_sync.testing.LimitConfig`.
        oauth: Token lifetimes and refresh-token rotation rules.
        require_auth: With False, API requests need no bearer token.
        webhook_format: ``"legacy"`` (eventNotifications) or ``"cloudevents"``.
        webhook_delivery: ``"immediate"`` or ``"manual"`` (see :meth:`flush_webhooks`).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        verifier_token: str | None = None,
        seed: int | None = None,
        limits: LimitConfig | bool = True,
        oauth: OAuthConfig | None = None,
        require_auth: bool = True,
        webhook_format: WebhookFormat = "legacy",
        webhook_delivery: WebhookDelivery = "immediate",
    ) -> None:
        self.clock: Clock = clock if clock is not None else RealClock()
        if isinstance(limits, bool):
            limits = LimitConfig(enabled=limits)
        self.ledger = Ledger(clock=self.clock.now)
        self.limiter = RealmLimiter(clock=self.clock, config=limits)
        self.oauth = OAuthServer(
            clock=self.clock, config=oauth or OAuthConfig(), resolve_realm=self._resolve_realm
        )
        self.faults = FaultInjector(seed=seed)
        self.webhooks = WebhookEmitter(
            clock=self.clock,
            verifier_token=verifier_token or DEFAULT_VERIFIER_TOKEN,
            format=webhook_format,
            delivery=webhook_delivery,
        )
        self.require_auth = require_auth
        self.stats = FakeStats()
        self._realms: list[str] = []
        self._asgi: AsgiApp | None = None
        self.ledger.subscribe(self._on_change)

    def __repr__(self) -> str:
        return f"FakeQBO(companies={len(self._realms)}, clock={self.clock!r})"

    # -- companies and state ------------------------------------------------------------

    def add_company(self, *, realm_id: str | None = None, **options: Any) -> str:
        """Create a company (with the ledger's default set-up) and return its realm id.

        Args:
            realm_id: A fixed id (default: a fresh one).
            **options: Passed to the ledger: ``company_name``, ``country``
                (``"US"``; ``"GB"``, ``"CA"``, ``"AU"``... make a VAT/GST
                company without the TAX/NON pseudo codes), ``seed_defaults``,
                ``custom_txn_numbers``, ``multicurrency`` and
                ``automated_sales_tax`` (default: on in the US only).
        """
        try:
            realm = self.ledger.add_company(realm_id=realm_id, **options)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"FakeQBO.add_company: {exc}") from exc
        self._realms.append(realm)
        return realm

    def has_company(self, realm_id: str) -> bool:
        """Whether ``realm_id`` is a company of this fake."""
        return self.ledger.has_company(realm_id)

    @property
    def realm_ids(self) -> tuple[str, ...]:
        """Realm ids of the companies added, oldest first."""
        return tuple(self._realms)

    def seed(
        self,
        realm_id: str,
        entity: str,
        data: Mapping[str, Any],
        *,
        with_id: str | None = None,
    ) -> dict[str, Any]:
        """Write an entity directly, as someone working in QBO would (no request, no limits).

        Same rules and derived fields as the API; ``data`` with an ``Id`` is a
        sparse update of that object. Webhook events are sent as for API writes.

        Args:
            realm_id: The company.
            entity: QBO's entity name (``Customer``).
            data: The object.
            with_id: Create it under this id (digits, unused), e.g. to replay a
                recording's requests unchanged; later ids continue after it.

        Returns:
            The object as the API would return it.

        Raises:
            KeyError: For an unknown realm or entity.
            qbo_sync.errors.QBOError: What a client would get for the fault
                QBO would send (``DuplicateNameError`` for 6240 ...).
        """
        return self.ledger.seed(realm_id, entity, data, with_id=with_id)

    def add_tax_code(
        self,
        realm_id: str,
        name: str,
        *,
        sales: Mapping[str, Decimal | int | str] | None = None,
        purchase: Mapping[str, Decimal | int | str] | None = None,
        agency_id: str = "1",
    ) -> dict[str, Any]:
        """Create a tax code with its rates, as the TaxService endpoint does.

        Each mapping names new TaxRates and their percent (``{"VAT 20%": 20}``);
        a name that already belongs to a TaxRate reuses that rate, so one rate
        can sit on both lists. The same is reachable over the API as
        ``POST taxservice/taxcode``.

        Args:
            realm_id: The company.
            name: The TaxCode's name (unique).
            sales: Rates charged on sales lines (``SalesTaxRateList``).
            purchase: Rates on bill and expense lines (``PurchaseTaxRateList``).
            agency_id: ``TaxAgencyId`` of new rates (the fake keeps no agencies).

        Returns:
            The TaxCode as a read of ``taxcode/{id}`` returns it.

        Raises:
            KeyError: For an unknown realm.
            qbo_sync.errors.QBOError: ``DuplicateNameError`` for a tax code name in use.
        """
        details: list[dict[str, Any]] = []
        for side, rates in (("Sales", sales or {}), ("Purchase", purchase or {})):
            for rate_name, value in rates.items():
                existing = self._rate_named(realm_id, rate_name)
                if existing is not None:
                    details.append({"TaxRateId": existing, "TaxApplicableOn": side})
                else:
                    details.append(
                        {
                            "TaxRateName": rate_name,
                            "RateValue": str(value),
                            "TaxAgencyId": agency_id,
                            "TaxApplicableOn": side,
                        }
                    )
        answer = self.ledger.add_tax_code(realm_id, {"TaxCode": name, "TaxRateDetails": details})
        code = self.ledger.read(realm_id, "TaxCode", str(answer["TaxCodeId"]))
        if code is None:  # pragma: no cover - the ledger just stored it
            raise KeyError(answer["TaxCodeId"])
        return code

    def _rate_named(self, realm_id: str, name: str) -> str | None:
        for rate in self.ledger.objects(realm_id, "TaxRate"):
            if str(rate.get("Name", "")).casefold() == name.casefold():
                return str(rate["Id"])
        return None

    def set_automated_sales_tax(
        self,
        realm_id: str,
        *,
        enabled: bool = True,
        rate: Decimal | int | str | None = None,
    ) -> None:
        """Turn a company's automated sales tax (AST) on or off.

        With AST on (``Preferences.TaxPrefs.PartnerTaxEnabled``) real QBO picks
        tax rates from the addresses. The fake cannot, so it charges ``rate``
        percent (default 0, kept between calls) on lines with tax code ``TAX``.

        Raises:
            KeyError: For an unknown realm.
            ValueError: For a rate outside 0 to 100.
        """
        self.ledger.set_automated_sales_tax(realm_id, enabled=enabled, rate=rate)

    def update_preferences(self, realm_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change a company's Preferences as its owner would in QBO's settings.

        ``changes`` is merged section by section, e.g.
        ``{"AccountingInfoPrefs": {"TrackDepartments": True}}`` keeps the other
        AccountingInfoPrefs keys.

        Returns:
            The Preferences object as the API returns it.
        """
        return self.ledger.update_preferences(realm_id, changes)

    def read(self, realm_id: str, entity: str, entity_id: str) -> dict[str, Any] | None:
        """The stored entity as the API would return it, or None if unknown or deleted."""
        return self.ledger.read(realm_id, entity, entity_id)

    def objects(
        self,
        realm_id: str,
        entity: str,
        *,
        include_inactive: bool = True,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Every ``entity`` of the company in creation order, as the API returns them."""
        return self.ledger.objects(
            realm_id, entity, include_inactive=include_inactive, include_deleted=include_deleted
        )

    def object_counts(self, realm_id: str | None = None) -> dict[str, int]:
        """Live objects per entity (inactive included), for one company or all."""
        return {k: v for k, v in self.ledger.stats(realm_id).objects.items() if v}

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Save the companies and the OAuth apps, grants and live tokens to a JSON file.

        The file holds client secrets and tokens: it is written with mode
        0600, atomically. Not saved: the ``requestid`` replay cache, pending
        codes, unflushed webhooks, limit windows, :attr:`stats` and the
        ID-token key. See :meth:`load_state`.
        """
        from qbo_sync.testing._fake._state import save_state  # noqa: PLC0415 - rarely used

        save_state(self, path)

    def load_state(self, path: str | os.PathLike[str]) -> datetime:
        """Load a file written by :meth:`save_state` into this fake, which has no company yet.

        Tokens issued before the save work again (until they expire); a
        :class:`~qbo_sync.testing.FakeClock` behind the saved time is moved
        forward to it.

        Returns:
            When the state was saved (on the saving fake's clock).

        Raises:
            ConfigurationError: This fake has companies, or the file is not a snapshot.
        """
        from qbo_sync.testing._fake._state import load_state  # noqa: PLC0415 - rarely used

        return load_state(self, path)

    # -- auth ---------------------------------------------------------------------------

    def issue_access_token(self, realm_id: str, *, lifetime: float | None = None) -> str:
        """A bearer token for ``realm_id``, for tests that skip OAuth.

        Raises:
            ConfigurationError: If the company does not exist.
        """
        if not self.has_company(realm_id):
            raise ConfigurationError(f"FakeQBO has no company with realm id {realm_id!r}")
        return self.oauth.issue_access_token(realm_id, lifetime=lifetime)

    def forget_request_ids(self, realm_id: str | None = None) -> int:
        """Forget the answers kept for ``requestid`` replay, as QBO eventually may.

        Intuit does not document how long a ``requestid`` is remembered
        (facts 4.2); use this to test what a client does after QBO forgot.

        Args:
            realm_id: Only this company's (default: all).

        Returns:
            How many remembered answers were dropped.
        """
        return self.ledger.forget_request_ids(realm_id)

    def live_refresh_tokens(
        self, realm_id: str | None = None, *, client_id: str | None = None
    ) -> list[str]:
        """Refresh tokens the token endpoint would accept right now, oldest first.

        Not revoked, not expired, not superseded by a newer value (beyond
        ``OAuthConfig.refresh_token_grace``). For assertions such as "after
        concurrent refreshes exactly one refresh token per grant is live".

        Args:
            realm_id: Only grants of this company (default: all).
            client_id: Only grants of this app (default: all).

        Returns:
            The token values (secrets: keep them out of logs outside tests).
        """
        return self.oauth.live_refresh_tokens(realm_id, client_id=client_id)

    def register_app(
        self, *, client_id: str, client_secret: str, redirect_uris: list[str] | tuple[str, ...]
    ) -> None:
        """Register an OAuth app (client credentials and allowed redirect URIs)."""
        self.oauth.register_app(
            client_id=client_id, client_secret=client_secret, redirect_uris=redirect_uris
        )

    def next_consent(self, *, realm_id: str | None = None, deny: bool = False) -> None:
        """How the next authorize request is answered: which company, or a denial."""
        if realm_id is not None and not self.has_company(realm_id):
            raise ConfigurationError(f"FakeQBO has no company with realm id {realm_id!r}")
        self.oauth.next_consent(realm_id=realm_id, deny=deny)

    def _resolve_realm(self, wanted: str | None) -> str | None:
        if wanted:
            return wanted if self.has_company(wanted) else None
        if self._realms:
            return self._realms[0]
        return self.add_company()

    # -- limits, webhooks ---------------------------------------------------------------

    def set_limits(self, limits: LimitConfig | bool) -> None:
        """Change the per-realm limits (``False`` turns them off)."""
        self.limiter.config = LimitConfig(enabled=limits) if isinstance(limits, bool) else limits

    def flush_webhooks(self) -> int:
        """Send pending webhook events now (``webhook_delivery="manual"``); returns how many."""
        return self.webhooks.flush()

    def _on_change(self, event: ChangeEvent) -> None:
        self.stats.count_write()
        self.webhooks.on_change(event)

    # -- serving ------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An in-process ``httpx.BaseTransport`` answering every host from this fake."""
        from qbo_sync.testing._fake._asgi import FakeTransport  # noqa: PLC0415 - import cycle

        return FakeTransport(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An in-process ``httpx.AsyncBaseTransport`` for :class:`~qbo_sync.AsyncQBOClient`.

        Injected timeouts and drops surface as httpx errors, as with
        :meth:`transport`.
        """
        from qbo_sync.testing._fake._asgi import AsyncFakeTransport  # noqa: PLC0415 - import cycle

        return AsyncFakeTransport(self)

    @property
    def asgi_app(self) -> AsgiApp:
        """An ASGI 3 application serving this fake over real HTTP (e.g. with uvicorn)."""
        if self._asgi is None:
            from qbo_sync.testing._fake._asgi import AsgiApp  # noqa: PLC0415 - import cycle

            self._asgi = AsgiApp(self)
        return self._asgi

    def dispatch(self, request: FakeRequest) -> Outcome:
        """Answer one request (both transports call this)."""
        path = request.path
        match = _API.match(path)
        if match is not None:
            return self._api(request, match["realm"], match["rest"])
        outcome = self._front_door(request)
        kind = "other" if path.startswith("/_fake/") else "oauth"
        self.stats.count(kind, None if outcome.fault else outcome.reply.status)
        return outcome

    def _front_door(self, request: FakeRequest) -> Outcome:
        path = request.path.rstrip("/") or "/"
        fault = self._pick_fault(request, None) if not path.startswith("/_fake") else None
        if fault is not None:
            reply = self._fault_reply(fault)
            if reply is not None:
                return Outcome(reply=reply)
            if fault.kind == "latency":
                self.clock.sleep(fault.seconds)
            elif fault.kind == "timeout" and not fault.commit:
                return Outcome(reply=Reply(status=200), fault=fault)
        # As on the API: a drop (or a committing timeout) acts after the work is
        # done, so a refresh can rotate at "Intuit" while the client loses the answer.
        reply = self._front_door_reply(request, path)
        if fault is not None and fault.kind in ("timeout", "drop"):
            return Outcome(reply=reply, fault=fault)
        return Outcome(reply=reply)

    def _front_door_reply(self, request: FakeRequest, path: str) -> Reply:
        method = request.method
        if method == "GET" and path == "/connect/oauth2":
            return self.oauth.authorize(request.query)
        if method == "POST" and path == "/oauth2/v1/tokens/bearer":
            return self.oauth.token(request.headers, request.body)
        if method == "POST" and path == "/v2/oauth2/tokens/revoke":
            return self.oauth.revoke(request.headers, request.body)
        if method == "GET" and path == "/v1/openid_connect/userinfo":
            return self.oauth.userinfo(request.headers.get("authorization"))
        if method == "GET" and path == "/op/v1/jwks":
            return json_reply(200, self.oauth.jwks())
        discovery = _DISCOVERY.match(request.path)
        if method == "GET" and discovery is not None:
            doc = self.oauth.discovery(request.base_url, sandbox=bool(discovery["sandbox"]))
            return json_reply(200, doc)
        if path.startswith("/_fake/"):
            return self._admin(request)
        return _not_found(path)

    def _pick_fault(self, request: FakeRequest, realm_id: str | None) -> Fault | None:
        fault = self.faults.pick(request.method, request.path, realm_id)
        if fault is not None:
            self.stats.count_fault()
        return fault

    def _fault_reply(self, fault: Fault) -> Reply | None:
        if fault.kind == "error":
            return server_error(fault.status, now=self.clock.now())
        if fault.kind == "throttle":
            return throttled(now=self.clock.now())
        return None

    def _api(self, request: FakeRequest, realm_id: str, rest: str) -> Outcome:
        kind = _kind(request.method, rest)
        fault = self._pick_fault(request, realm_id)
        if fault is not None:
            reply = self._fault_reply(fault)
            if reply is not None:
                self.stats.count(kind, reply.status)
                return Outcome(reply=reply)
            if fault.kind == "timeout" and not fault.commit:
                self.stats.count(kind, None)
                return Outcome(reply=Reply(status=200), fault=fault)
        reply = self._api_checked(request, realm_id, rest, kind, fault)
        self.stats.count(kind, reply.status)
        if fault is not None and fault.kind in ("timeout", "drop"):
            return Outcome(reply=reply, fault=fault)
        return Outcome(reply=reply)

    def _api_checked(
        self, request: FakeRequest, realm_id: str, rest: str, kind: str, fault: Fault | None
    ) -> Reply:
        now = self.clock.now()
        if self.require_auth:
            refused = self.oauth.check_access(request.headers.get("authorization"), realm_id)
            if refused is not None:
                if refused.status == 403:
                    return authorization_failed(now=now)
                return auth_failed(refused.detail, now=now)
        if not self.has_company(realm_id):
            return authorization_failed(now=now)
        if not self.limiter.try_acquire(realm_id, batch=kind == "batch"):
            return throttled(now=now)
        try:
            if fault is not None and fault.kind == "latency":
                self.clock.sleep(fault.seconds)
            core = self.ledger.handle(realm_id, request.method, rest, request.query, request.body)
        finally:
            self.limiter.release(realm_id)
        headers = (("Content-Type", core.content_type), ("intuit_tid", intuit_tid()))
        return Reply(status=core.status, headers=headers, body=core.body)

    # -- /_fake admin endpoints (used by the CLI server and other processes) ----------

    def _admin(self, request: FakeRequest) -> Reply:
        path = request.path.rstrip("/")
        try:
            payload = _json.loads(request.body) if request.body else {}
        except ValueError:
            return json_reply(400, {"error": "body must be JSON"})
        if not isinstance(payload, dict):
            return json_reply(400, {"error": "body must be a JSON object"})
        try:
            if request.method == "POST" and path == "/_fake/companies":
                realm = self.add_company(**{str(k): v for k, v in payload.items()})
                return json_reply(201, {"realm_id": realm})
            if request.method == "POST" and path == "/_fake/tokens":
                token = self.issue_access_token(str(payload.get("realm_id", "")))
                return json_reply(200, {"access_token": token})
            if request.method == "POST" and path == "/_fake/apps":
                self.register_app(
                    client_id=str(payload.get("client_id", "")),
                    client_secret=str(payload.get("client_secret", "")),
                    redirect_uris=[str(u) for u in payload.get("redirect_uris", [])],
                )
                return json_reply(201, {"client_id": payload.get("client_id")})
            if request.method == "POST" and path == "/_fake/clock/advance":
                if not isinstance(self.clock, FakeClock):
                    return json_reply(409, {"error": "the fake runs on real time"})
                self.clock.advance(float(payload.get("seconds", 0)))
                return json_reply(200, {"now": self.clock.now().isoformat()})
            if request.method == "POST" and path == "/_fake/webhooks/flush":
                return json_reply(200, {"sent": self.flush_webhooks()})
            if request.method == "GET" and path == "/_fake/stats":
                return json_reply(200, self.stats.snapshot())
        except (ConfigurationError, TypeError, ValueError) as exc:
            return json_reply(400, {"error": str(exc)})
        return _not_found(path)


def _not_found(path: str) -> Reply:
    return text_reply(404, f"FakeQBO: no route for {path}")


def parse_query(raw: str) -> dict[str, str]:
    """Query string to a dict (last value wins), keeping blank values."""
    return dict(parse_qsl(raw, keep_blank_values=True))
