"""A FastAPI app with a QuickBooks Online integration, built on qbo_sync.

Routes:

- ``GET /qbo/connect``: redirect to Intuit's consent page;
- ``GET /qbo/callback``: finish the connection (every outcome is shown on the page);
- ``POST /qbo/webhook``: verify Intuit's signature, queue the events; a worker
  thread hands them to ``SyncEngine.pull_events`` (a paid invoice turns paid);
- ``GET /api/integration``: the connection, per-entity counts, last sync and health;
- ``POST /api/sync`` and ``POST /api/sync/{entity}``: push, then pull;
- ``GET /api/history``: the run history;
- ``GET /api/invoices/{local_id}``: one of the product's invoices and its timeline;
- ``GET /``: the integration page (server-rendered HTML).

:class:`Integration` holds the logic and knows nothing of FastAPI; the routes
only translate HTTP. Run it with ``python -m examples.fastapi_app`` (against the
bundled fake QBO) or see ``README.md`` for a real company.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import queue
import secrets
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from qbo_sync import SyncEngine
from qbo_sync.auth import (
    Connected,
    ConnectFailure,
    ConnectionInfo,
    ConnectionState,
    IntuitEndpoints,
    OAuthConfig,
    OAuthManager,
)
from qbo_sync.errors import AuthError, LockTimeoutError, QBOError
from qbo_sync.health import (
    HealthInputs,
    HealthReport,
    HealthTier,
    compute_health,
    dashboard_for_realm,
    health_for_realm,
)
from qbo_sync.http import RealmPacer
from qbo_sync.storage import RunRecord, SQLiteStore, Store
from qbo_sync.sync import SyncReport
from qbo_sync.webhooks import WebhookEvent, WebhookHandler

from .page import render_page
from .product import ProductDB, ProductSink

__all__ = ["ENTITY_CARDS", "Flash", "Integration", "WebhookWorker", "create_app"]

_log = logging.getLogger("examples.fastapi_app")

#: The entity cards of the page: (QBO entity, label, URL slug).
ENTITY_CARDS: tuple[tuple[str, str, str], ...] = (
    ("Customer", "Customers", "customers"),
    ("Invoice", "Invoices", "invoices"),
    ("Payment", "Payments", "payments"),
    ("Item", "Items", "items"),
)
#: Every entity ``POST /api/sync/{entity}`` takes, by slug and by QBO name.
SYNCABLE: dict[str, str] = {
    **{slug: entity for entity, _, slug in ENTITY_CARDS},
    **{entity.lower(): entity for entity, _, _ in ENTITY_CARDS},
    "credit-memos": "CreditMemo",
    "creditmemo": "CreditMemo",
}
#: The window of the entity cards' created / updated / failed counts.
COUNT_WINDOW = dt.timedelta(hours=24)

_BADGES = {
    ConnectionState.CONNECTED: ("Connected", "ok"),
    ConnectionState.EXPIRING_SOON: ("Expires soon", "warn"),
    ConnectionState.NEEDS_REAUTHORIZATION: ("Needs reauthorization", "bad"),
    ConnectionState.DISCONNECTED: ("Not connected", "off"),
}
_KIND_LABELS = {"full": "Full sync", "entity": "Entity sync", "webhook": "Webhook",
                "record": "Retry"}
_FAILURE_TITLES = {
    ConnectFailure.ACCESS_DENIED: "Connection cancelled",
    ConnectFailure.REALM_CHANGE_REFUSED: "A different company",
    ConnectFailure.REALM_IN_USE: "Company already connected",
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@attrs.frozen(kw_only=True)
class Flash:
    """A one-time message for the next page view (the OAuth callback's outcome)."""

    kind: str  # "ok" or "error"
    title: str
    message: str
    reason: str | None = None


class WebhookWorker:
    """Runs ``pull(events)`` for queued webhook events in one background thread.

    The webhook endpoint only enqueues (Intuit wants an answer within three
    seconds); this thread does the pull. Events that queued up meanwhile are
    merged into one pull. In production, use your task queue (Celery, RQ ...).
    """

    def __init__(self, pull: Callable[[list[WebhookEvent]], object]) -> None:
        self._pull = pull
        self._queue: queue.Queue[list[WebhookEvent] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, events: Sequence[WebhookEvent]) -> None:
        """Queue a delivery's new events (the ``WebhookHandler`` callback)."""
        self.start()
        self._queue.put(list(events))

    def start(self) -> None:
        """Start the thread (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="qbo-webhook-worker")
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def join(self) -> None:
        """Wait until everything queued so far was pulled."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            taken = 1
            stop = batch is None
            events = list(batch or [])
            while not stop:  # merge what queued up while the last pull ran
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                stop = more is None
                events.extend(more or [])
            try:
                if events:
                    self._pull(events)
            except Exception:
                # The scheduled pull() (CDC) catches up on whatever was missed.
                _log.exception("webhook pull failed")
            finally:
                for _ in range(taken):
                    self._queue.task_done()
            if stop:
                return


class Integration:
    """The QuickBooks integration of one product tenant, without any web framework.

    Args:
        oauth: The OAuth manager.
        store: qbo_sync's storage (the manager's).
        db: The product's records.
        tenant_id: The product tenant the page belongs to (one, in this example).
        verifier_token: The webhook verifier token; ``None`` turns webhooks off.
        clock: The current aware time.
        engine_options: More :class:`~qbo_sync.SyncEngine` arguments.
    """

    def __init__(
        self,
        *,
        oauth: OAuthManager,
        store: Store,
        db: ProductDB,
        tenant_id: str = "demo-tenant",
        verifier_token: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.oauth = oauth
        self.store = store
        self.db = db
        self.tenant_id = tenant_id
        self._now = clock or _utcnow
        self.sink = ProductSink(db, clock=self._now)
        self._engine_options = dict(engine_options or {})
        self._flashes: collections.OrderedDict[str, Flash] = collections.OrderedDict()
        self._flash_lock = threading.Lock()
        self._pacers: dict[str, RealmPacer] = {}
        self.worker = WebhookWorker(self.pull_events)
        self.webhooks = (
            WebhookHandler(verifier_token=verifier_token, on_events=self.worker.enqueue)
            if verifier_token else None
        )

    def close(self) -> None:
        """Stop the webhook worker and close the OAuth manager."""
        self.worker.stop()
        self.oauth.close()

    # -- connection --------------------------------------------------------------------

    def realm_id(self) -> str | None:
        """The tenant's company: the connected one, else the one connected last."""
        connections = self.store.list_connections(tenant_id=self.tenant_id)
        if not connections:
            return None
        epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        connections.sort(key=lambda c: (c.status.value != "disconnected",
                                        c.connected_at or epoch))
        return connections[-1].realm_id

    def connection(self) -> ConnectionInfo | None:
        """The computed connection state (connected, expiring soon ...), or ``None``."""
        realm = self.realm_id()
        return self.oauth.connection_info(realm) if realm else None

    def connect_url(self, *, allow_realm_change: bool = False) -> str:
        """Intuit's authorization URL for this tenant (a state is stored)."""
        return self.oauth.authorization_url(
            tenant_id=self.tenant_id, allow_realm_change=allow_realm_change
        ).url

    def finish_connect(self, params: Mapping[str, Any]) -> Flash:
        """Handle the OAuth callback; returns what the page should say."""
        try:
            result = self.oauth.handle_callback(params, tenant_id=self.tenant_id)
        except QBOError as exc:  # OAuthError (app misconfigured) or TransportError
            return Flash(kind="error", title="QuickBooks did not answer as expected",
                         message=str(exc), reason=type(exc).__name__)
        if not isinstance(result, Connected):
            title = _FAILURE_TITLES.get(result.reason, "Could not connect QuickBooks")
            return Flash(kind="error", title=title, message=result.message,
                         reason=result.reason.value)
        self._map_accounts(result.realm_id)
        name = result.company_name or "your company"
        verb = "Reconnected to" if result.reconnected else "Connected to"
        return Flash(kind="ok", title=f"{verb} {name}",
                     message=f"Company {result.realm_id} ({result.environment.value}).")

    def _map_accounts(self, realm_id: str) -> None:
        """Accept QBO's default income and A/R accounts (a real product asks its user)."""
        try:
            with self._engine(realm_id) as engine:
                if not engine.settings().account_mapping:
                    engine.map_accounts(**engine.suggest_accounts())
        except QBOError as exc:  # the first sync tries again
            _log.warning("account mapping failed for realm %s: %s", realm_id, exc)

    def add_flash(self, flash: Flash) -> str:
        """Keep ``flash`` for one page view; returns its key."""
        key = secrets.token_urlsafe(12)
        with self._flash_lock:
            self._flashes[key] = flash
            while len(self._flashes) > 100:
                self._flashes.popitem(last=False)
        return key

    def pop_flash(self, key: str | None) -> Flash | None:
        """The flash stored under ``key``, once."""
        if not key:
            return None
        with self._flash_lock:
            return self._flashes.pop(key, None)

    # -- sync --------------------------------------------------------------------------

    def _engine(self, realm_id: str) -> SyncEngine:
        options = dict(self._engine_options)
        with self._flash_lock:  # one pacer per realm, shared by every request and the worker
            pacer = self._pacers.setdefault(realm_id, RealmPacer())
        client_options = {"clock": self._now, "pacer": pacer,
                          **options.pop("client_options", {})}
        return SyncEngine.for_realm(self.oauth, realm_id, store=self.store, source=self.db,
                                    clock=self._now, client_options=client_options, **options)

    def sync(self, entity: str | None = None) -> tuple[int, dict[str, Any]]:
        """Push the product's records, then pull QBO's changes (one entity, or all).

        Returns:
            An HTTP status and the JSON body: 200 with both runs; 409 when not
            connected, when QuickBooks needs reauthorization, or when another
            sync holds the realm; 502 when QuickBooks failed.
        """
        realm = self.realm_id()
        info = self.oauth.connection_info(realm) if realm else None
        if realm is None or info is None or info.state is ConnectionState.DISCONNECTED:
            return 409, {"error": "not_connected", "message": "Connect QuickBooks first."}
        if info.state is ConnectionState.NEEDS_REAUTHORIZATION:
            return 409, _reauthorize_body(info)
        entities = [entity] if entity else None
        runs: dict[str, Any] = {}
        refused = None
        try:
            with self._engine(realm) as engine:
                if not engine.settings().account_mapping:
                    engine.map_accounts(**engine.suggest_accounts())
                # One entity: hand its records over (an "entity" run); what they need
                # and QBO does not have yet (an invoice's customer) is read from the db.
                push = engine.push(self.db.records(entity) if entity else None)
                runs["push"] = report_json(push)
                if (self.oauth.connection_info(realm).state
                        is not ConnectionState.NEEDS_REAUTHORIZATION):
                    runs["pull"] = report_json(engine.pull(self.sink, entities=entities))
        except LockTimeoutError:
            return 409, {"error": "busy", "message": "Another sync of this company is running."}
        except AuthError as exc:  # ReauthorizationRequired, or a 401 after a refresh
            refused = str(exc)
        except QBOError as exc:
            return 502, {"error": "qbo_error", "message": str(exc), **runs}
        info = self.oauth.connection_info(realm)
        if info.state is ConnectionState.NEEDS_REAUTHORIZATION:
            return 409, {**_reauthorize_body(info), **runs}
        if refused is not None:
            return 502, {"error": "auth_error", "message": refused, **runs}
        stopped = [r["message"] for r in runs.values() if r["status"] == "failed" and r["message"]]
        if stopped:
            return 502, {"error": "sync_failed", "message": stopped[0], **runs}
        return 200, runs

    def pull_events(self, events: Iterable[WebhookEvent]) -> SyncReport | None:
        """Pull the objects webhook events name into the product (the worker calls this)."""
        realm = self.realm_id()
        wanted = [e for e in events if e.realm_id == realm]
        if realm is None or not wanted:
            return None
        with self._engine(realm) as engine:
            return engine.pull_events(self.sink, wanted)

    # -- what the page and the JSON show -----------------------------------------------

    def status(self) -> dict[str, Any]:
        """The ``GET /api/integration`` document."""
        now = self._now()
        realm = self.realm_id()
        info = self.oauth.connection_info(realm) if realm else None
        state = info.state if info else ConnectionState.DISCONNECTED
        badge, tone = _BADGES[state]
        health = (health_for_realm(self.store, realm, now=now) if realm
                  else compute_health(HealthInputs(connection=state), now=now))
        runs = (self.store.list_runs(realm_id=realm, since=now - COUNT_WINDOW, limit=10_000,
                                     include_failures=False) if realm else [])
        finished = [r for r in runs if r.finished_at is not None]
        board = (dashboard_for_realm(self.store, realm, now=now,
                                     entities=[e for e, _, _ in ENTITY_CARDS]) if realm else None)
        entities = []
        for entity, label, slug in ENTITY_CARDS:
            counts = [r.counts[entity] for r in finished if entity in r.counts]
            figures = board.entity(entity) if board else None
            entities.append({
                "entity": entity, "label": label, "slug": slug,
                "created": sum(c.created for c in counts),
                "updated": sum(c.updated for c in counts),
                "failed": sum(c.failed for c in counts),
                "linked": figures.synced if figures else 0,
                "failing": figures.failed if figures else 0,
                "last_synced_at": _iso(figures.last_synced_at if figures else None),
            })
        last = self._last_run(realm)
        return {
            "connection": {
                "state": state.value,
                "badge": badge,
                "tone": tone,
                "connected": state in (ConnectionState.CONNECTED, ConnectionState.EXPIRING_SOON),
                "expiring_soon": state is ConnectionState.EXPIRING_SOON,
                "needs_reauthorization": state is ConnectionState.NEEDS_REAUTHORIZATION,
                "reason": info.reason if info else None,
                "company_name": info.company_name if info else None,
                "realm_id": realm,
                "environment": info.environment.value if info and info.environment else None,
                "connected_at": _iso(info.connected_at if info else None),
                "expires_at": _iso(info.expires_at if info else None),
            },
            "entities": entities,
            "counts_window_hours": int(COUNT_WINDOW.total_seconds() // 3600),
            "last_sync": None if last is None else {
                "at": _iso(last.finished_at), "started_at": _iso(last.started_at),
                "status": last.status.value, "direction": last.direction.value,
                "type": _KIND_LABELS.get(last.kind.value, last.kind.value),
            },
            "health": health_json(health),
            "generated_at": now.isoformat(),
        }

    def _last_run(self, realm: str | None) -> RunRecord | None:
        if realm is None:
            return None
        for run in self.store.list_runs(realm_id=realm, limit=20, include_failures=False):
            if run.finished_at is not None:
                return run
        return None

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        """The ``GET /api/history`` rows, newest first."""
        realm = self.realm_id()
        if realm is None:
            return []
        return [run_json(run) for run in
                self.store.list_runs(realm_id=realm, limit=limit, include_failures=False)]

    def invoice(self, local_id: str) -> dict[str, Any] | None:
        """One of the product's invoices, with its timeline."""
        invoice = self.db.invoice(local_id)
        if invoice is None:
            return None
        total = invoice.total
        if total is None:  # not pulled back yet: the product's own sum of the lines
            total = sum((line.amount for line in invoice.lines), Decimal(0))
        return {
            "id": invoice.id, "number": invoice.number,
            "total": _money(total), "balance": _money(invoice.balance),
            "paid": invoice.balance is not None and invoice.balance <= 0 and not invoice.voided,
            "voided": invoice.voided,
            "timeline": [{"at": t.at.isoformat(), "note": t.note, "amount": _money(t.amount)}
                         for t in self.db.timeline(local_id)],
        }

    def activity(self, limit: int = 6) -> list[dict[str, Any]]:
        """The newest timeline lines the pulls wrote (for the page)."""
        out = []
        for entry in self.db.timeline(limit=limit):
            record = self.db.record(entry.entity, entry.local_id)
            out.append({"at": entry.at.isoformat(), "note": entry.note,
                        "amount": _money(entry.amount), "entity": entry.entity,
                        "number": getattr(record, "number", None) or entry.local_id})
        return out


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def _reauthorize_body(info: ConnectionInfo) -> dict[str, Any]:
    return {"error": "needs_reauthorization", "reason": info.reason,
            "message": "QuickBooks needs you to reconnect (Connect to QuickBooks again)."}


def report_json(report: SyncReport) -> dict[str, Any]:
    """A run report as JSON (totals, per entity counts, status)."""
    return {
        "run_id": report.run_id,
        "direction": report.direction.value,
        "status": report.status.value,
        "created": report.total("created"),
        "updated": report.total("updated"),
        "failed": report.total("failed"),
        "skipped": report.total("skipped"),
        "counts": {entity: attrs.asdict(c) for entity, c in report.counts.items()},
        "requests": report.requests,
        "duration_seconds": report.duration.total_seconds(),
        "message": report.message,
    }


def run_json(run: RunRecord) -> dict[str, Any]:
    """A run-history row as JSON."""
    totals = {name: sum(getattr(c, name) for c in run.counts.values())
              for name in ("created", "updated", "failed", "skipped")}
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    label = _KIND_LABELS.get(run.kind.value, run.kind.value)
    busy = [e for e, c in run.counts.items() if c.created + c.updated + c.failed + c.skipped]
    if run.kind.value == "entity" and len(busy) == 1:
        label = f"{label} \u00b7 {busy[0]}"
    return {
        "run_id": run.run_id,
        "kind": run.kind.value,
        "type": label,
        "direction": run.direction.value,
        "status": run.status.value,
        "started_at": run.started_at.isoformat(),
        "finished_at": _iso(run.finished_at),
        "duration_seconds": duration,
        **totals,
        "entities": sorted(run.counts),
        "requests": run.requests,
        "message": run.message,
    }


def health_json(report: HealthReport) -> dict[str, Any]:
    """A health report as JSON: score, tier, dots and what to do."""
    return {
        "score": report.score,
        "tier": report.tier.value,
        "label": report.tier.label,
        "dots": report.dots,
        "dots_display": "●" * report.dots + "○" * (5 - report.dots),
        "color": report.color,
        "reasons": [{"message": r.message, "action": r.action, "points": r.points}
                    for r in report.reasons],
        "actions": report.actions,
        "tiers": [{"tier": t.value, "label": t.label, "dots": t.dots, "color": t.color}
                  for t in HealthTier],
    }


def create_app(
    *,
    config: OAuthConfig | None = None,
    store: Store | None = None,
    transport: httpx.BaseTransport | None = None,
    oauth_base_url: str | None = None,
    api_base_url: str | None = None,
    product: ProductDB | None = None,
    tenant_id: str = "demo-tenant",
    clock: Callable[[], dt.datetime] | None = None,
    engine_options: Mapping[str, Any] | None = None,
    product_name: str = "FieldDesk",
) -> FastAPI:
    """Build the app.

    Args:
        config: The Intuit app's credentials; ``None`` reads ``QUICKBOOKS_*``
            environment variables (:meth:`OAuthConfig.from_env`).
        store: qbo_sync's storage; ``None`` opens ``qbo_example.db`` (SQLite,
            tokens encrypted with ``QUICKBOOKS_TOKEN_ENCRYPTION_KEY``).
        transport: An ``httpx`` transport for every call to Intuit (the fake's
            ``transport()`` in process); ``None`` uses the network.
        oauth_base_url: Serve Intuit's OAuth endpoints from this host instead
            (a fake QBO on loopback); ``None`` uses Intuit's discovery document.
        api_base_url: The Accounting API host; ``None`` follows the environment.
        product: The product's records; ``None`` seeds a sample book.
        tenant_id: The product tenant the page belongs to.
        clock: The current aware time (a fake clock in tests).
        engine_options: More :class:`~qbo_sync.SyncEngine` arguments.
        product_name: Shown in the page header.
    """
    config = config if config is not None else OAuthConfig.from_env()
    if store is None:
        store = SQLiteStore("qbo_example.db")
    oauth = OAuthManager(
        store=store, config=config, transport=transport, api_base_url=api_base_url,
        endpoints=IntuitEndpoints.for_base_url(oauth_base_url) if oauth_base_url else None,
        clock=clock,
    )
    integration = Integration(
        oauth=oauth, store=store, db=product or ProductDB.from_sample_book(),
        tenant_id=tenant_id, verifier_token=config.webhook_verifier_token, clock=clock,
        engine_options=engine_options,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        integration.worker.start()
        yield
        integration.close()

    app = FastAPI(title=f"{product_name}: QuickBooks integration", lifespan=lifespan)
    app.state.integration = integration

    @app.get("/qbo/connect")
    def qbo_connect(allow_realm_change: bool = False) -> RedirectResponse:
        """Send the browser to Intuit's consent page."""
        return RedirectResponse(
            integration.connect_url(allow_realm_change=allow_realm_change), status_code=302
        )

    @app.get("/qbo/callback")
    def qbo_callback(request: Request) -> RedirectResponse:
        """Intuit sends the browser back here; show the outcome on the page."""
        flash = integration.finish_connect(request.query_params)
        key = integration.add_flash(flash)
        return RedirectResponse(f"/?flash={key}", status_code=303)

    @app.post("/qbo/webhook")
    async def qbo_webhook(request: Request) -> Response:
        """Intuit's notifications: verified over the raw bytes, then queued."""
        if integration.webhooks is None:
            return JSONResponse({"error": "webhooks are not configured"}, status_code=503)
        result = integration.webhooks.handle(await request.body(), request.headers)
        return Response(status_code=result.status)

    @app.get("/api/integration")
    def api_integration() -> dict[str, Any]:
        """Connection, per-entity counts, last sync and health."""
        return integration.status()

    @app.post("/api/sync")
    def api_sync_all() -> JSONResponse:
        """Push every entity, then pull."""
        status, body = integration.sync()
        return JSONResponse(body, status_code=status)

    @app.post("/api/sync/{entity}")
    def api_sync_entity(entity: str) -> JSONResponse:
        """Push one entity (and what it needs), then pull it."""
        name = SYNCABLE.get(entity.lower())
        if name is None:
            return JSONResponse({"error": "unknown_entity", "message": f"No entity {entity!r}",
                                 "entities": sorted(SYNCABLE)}, status_code=404)
        status, body = integration.sync(name)
        return JSONResponse(body, status_code=status)

    @app.get("/api/history")
    def api_history(limit: int = 20) -> dict[str, Any]:
        """The sync runs, newest first."""
        return {"runs": integration.history(limit=max(1, min(limit, 200)))}

    @app.get("/api/invoices/{local_id}")
    def api_invoice(local_id: str) -> JSONResponse:
        """One product invoice and its timeline."""
        found = integration.invoice(local_id)
        if found is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return JSONResponse(found)

    @app.get("/", response_class=HTMLResponse)
    def integration_page(flash: str | None = None) -> HTMLResponse:
        """The integration page."""
        return HTMLResponse(render_page(
            integration.status(), integration.history(limit=10),
            flash=integration.pop_flash(flash), activity=integration.activity(),
            product_name=product_name,
        ))

    return app
