"""The QuickBooks side of the app: the store, the OAuth manager and the webhook handler.

Built once per app by :func:`flask_app.create_app` and kept in
``app.extensions["qbo"]`` (the Flask extension idiom), so every request and
every thread shares it. Everything that must hold across processes (tokens,
OAuth states, links, run history, the per-realm run lock) lives in the SQLite
store, so several gunicorn workers can share one file.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from qbo_sync import SyncEngine
from qbo_sync.auth import IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.health import dashboard_for_realm, health_for_realm
from qbo_sync.storage import ConnectionStatus, SQLiteStore, TokenCipher
from qbo_sync.sync import SyncReport
from qbo_sync.webhooks import WebhookEvent, WebhookHandler

from .product import ProductDB, ProductSink, ProductSource

log = logging.getLogger(__name__)


class QBOIntegration:
    """Store, OAuth manager, webhook handler and the product's records for one app.

    Args:
        config: The app's config: ``QUICKBOOKS_*`` (see docs/oauth.md),
            ``QBO_DB_PATH``, ``QBO_BASE_URL`` (a fake QBO on loopback; unset
            for Intuit) and ``QBO_WEBHOOK_INLINE``.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        env = {k: str(v) for k, v in config.items() if k.startswith("QUICKBOOKS_") and v}
        self.oauth_config = OAuthConfig.from_env(env)
        keys = list(self.oauth_config.encryption_keys())
        self.store = SQLiteStore(config["QBO_DB_PATH"], encryption=TokenCipher(keys))
        base_url = config.get("QBO_BASE_URL")
        self.oauth = OAuthManager(
            store=self.store,
            config=self.oauth_config,
            endpoints=IntuitEndpoints.for_base_url(base_url) if base_url else None,
            api_base_url=base_url or None,
        )
        self.product = ProductDB(config["QBO_DB_PATH"])
        token = self.oauth_config.webhook_verifier_token
        self.webhooks = WebhookHandler(verifier_token=token, on_events=self._on_events) \
            if token else None
        # Intuit wants an answer within 3 seconds: the webhook only hands the
        # events over; the pull runs on this one background thread (with RQ,
        # enqueue a job instead, see examples/rq_worker). Inline for tests.
        self._inline = bool(config.get("QBO_WEBHOOK_INLINE", False))
        self._pulls = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="qbo-pull")
        self._pending: list[concurrent.futures.Future[SyncReport]] = []
        self._pending_lock = threading.Lock()

    def close(self) -> None:
        """Finish pending pulls, then close the manager and the store."""
        self._pulls.shutdown(wait=True)
        self.oauth.close()
        self.store.close()

    # -- realms and engines -------------------------------------------------------------

    def realm_for(self, tenant_id: str) -> str | None:
        """The company the tenant connected most recently (``None``: never connected)."""
        connections = [c for c in self.store.list_connections(tenant_id=tenant_id)
                       if c.status is not ConnectionStatus.DISCONNECTED]
        if not connections:
            return None
        newest = max(connections, key=lambda c: c.connected_at or dt.datetime.min.replace(
            tzinfo=dt.timezone.utc))
        return newest.realm_id

    def engine(self, realm_id: str) -> SyncEngine:
        """An engine for one realm, reading the product's records (use it in a ``with``)."""
        return SyncEngine.for_realm(self.oauth, realm_id, store=self.store,
                                    source=ProductSource(self.product))

    # -- webhooks -----------------------------------------------------------------------

    def _on_events(self, events: Sequence[WebhookEvent]) -> None:
        by_realm: dict[str, list[WebhookEvent]] = {}
        for event in events:
            if self.store.get_connection(event.realm_id) is not None:  # ours, else ignored
                by_realm.setdefault(event.realm_id, []).append(event)
        for realm_id, mine in by_realm.items():
            if self._inline:
                self.pull_events(realm_id, mine)
                continue
            future = self._pulls.submit(self.pull_events, realm_id, mine)
            with self._pending_lock:
                self._pending = [f for f in self._pending if not f.done()] + [future]

    def pull_events(self, realm_id: str, events: Sequence[WebhookEvent]) -> SyncReport:
        """Pull the objects the events name and hand them to the product's sink."""
        with self.engine(realm_id) as engine:
            report = engine.pull_events(ProductSink(self.product), events)
        log.info("realm %s: webhook pull %s %s", realm_id, report.status.value,
                 {k: v.updated for k, v in report.counts.items() if v.updated})
        return report

    def drain(self, timeout: float = 30.0) -> list[SyncReport]:
        """Wait for the pulls webhooks started (tests, shutdown); their reports."""
        with self._pending_lock:
            pending, self._pending = self._pending, []
        return [future.result(timeout=timeout) for future in pending]

    # -- the status page ----------------------------------------------------------------

    def status(self, tenant_id: str) -> dict[str, Any]:
        """The integration-status document of the tenant's company (JSON-ready)."""
        realm_id = self.realm_for(tenant_id)
        if realm_id is None:
            return {"connected": False, "state": "disconnected", "needs_reauthorization": False,
                    "realm_id": None, "company_name": None, "entities": {}, "last_sync": None,
                    "health": None}
        now = dt.datetime.now(dt.timezone.utc)
        info = self.oauth.connection_info(realm_id)
        board = dashboard_for_realm(self.store, realm_id, now=now,
                                    entities=("Customer", "Item", "Invoice", "Payment"))
        health = health_for_realm(self.store, realm_id, now=now)
        totals: dict[str, dict[str, int]] = {}
        for run in self.store.list_runs(realm_id=realm_id, limit=200, include_failures=False):
            for entity, counts in run.counts.items():
                row = totals.setdefault(entity, {"created": 0, "updated": 0})
                row["created"] += counts.created
                row["updated"] += counts.updated
        entities = {
            row.entity: {
                **totals.get(row.entity, {"created": 0, "updated": 0}),
                "failed": row.failed,  # failing now (links), not summed over runs
                "synced": row.synced,
                "pending": row.pending,
                "last_synced_at": _iso(row.last_synced_at),
            }
            for row in board.entities
        }
        return {
            "connected": info.state.value in ("connected", "expiring_soon"),
            "state": info.state.value,
            "needs_reauthorization": info.state.value == "needs_reauthorization",
            "realm_id": realm_id,
            "company_name": info.company_name,
            "environment": info.environment.value if info.environment else None,
            "refresh_expires_at": _iso(info.expires_at),
            "entities": entities,
            "last_sync": None if board.last_run_at is None else {
                "at": _iso(board.last_run_at),
                "status": board.last_run_status.value if board.last_run_status else None,
            },
            "health": {
                "tier": health.tier.value,
                "label": health.tier.label,
                "score": health.score,
                "dots": health.dots,
                "dots_text": "●" * health.dots + "○" * (5 - health.dots),
                "color": health.color,
                "actions": health.actions,
            },
        }


def report_json(report: SyncReport) -> dict[str, Any]:
    """A run report as JSON: status, counts per entity, requests and failures."""
    return {
        "run_id": report.run_id,
        "status": report.status.value,
        "message": report.message,
        "counts": {
            entity: {"created": c.created, "updated": c.updated, "matched": c.matched,
                     "skipped": c.skipped, "failed": c.failed}
            for entity, c in report.counts.items()
        },
        "requests": report.requests,
        "write_requests": report.write_requests,
        "failures": [
            {"entity": o.entity, "local_id": o.local_id, "reason": o.reason,
             "message": o.message, "intuit_tid": o.intuit_tid}
            for o in report.failures
        ],
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
