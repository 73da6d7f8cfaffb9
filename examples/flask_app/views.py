"""The ``qbo`` blueprint: connect, OAuth callback, webhooks, sync and status.

Routes (under ``/qbo``):

- ``GET /connect``: the "Connect to QuickBooks" button; redirects to Intuit.
- ``GET /callback``: Intuit redirects back here; flashes the outcome and
  redirects to the status page.
- ``POST /webhooks``: Intuit's notifications; the signature is checked over
  the raw body, then the events are handed to ``engine.pull_events``.
- ``POST /sync``: push the product's records now (small books; hand big ones
  to a worker, see examples/rq_worker).
- ``GET /status``: the integration-status JSON a settings page renders.

The tenant comes from :func:`current_tenant`; a real app takes it from its
login (Flask-Login's ``current_user``), and checks the user may manage it.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_flashed_messages,
    jsonify,
    redirect,
    request,
    url_for,
)

from qbo_sync.errors import LockTimeoutError, QBOError

from .integration import QBOIntegration, report_json

bp = Blueprint("qbo", __name__, url_prefix="/qbo")


def qbo() -> QBOIntegration:
    """The app's :class:`QBOIntegration`."""
    integration: QBOIntegration = current_app.extensions["qbo"]
    return integration


def current_tenant() -> str:
    """The product tenant of this request (one fixed tenant in this example)."""
    return str(current_app.config["QBO_TENANT_ID"])


@bp.get("/connect")
def connect() -> Response:
    """Start the OAuth flow: a one-time ``state`` bound to the tenant, then Intuit's page."""
    consent = qbo().oauth.authorization_url(tenant_id=current_tenant())
    return redirect(consent.url)


@bp.get("/callback")
def callback() -> Response:
    """Finish the OAuth flow: check the state, exchange the code once, store the tokens."""
    try:
        result = qbo().oauth.handle_callback(request.args, tenant_id=current_tenant())
    except QBOError as exc:  # the app's credentials are wrong, or Intuit did not answer
        current_app.logger.warning("QuickBooks callback failed: %s", exc)
        flash("QuickBooks could not be reached; please try again.", "error")
        return redirect(url_for("qbo.status"))
    if result.ok:
        flash(f"Connected to {result.company_name}", "success")
    else:
        flash(result.message, "error")
    return redirect(url_for("qbo.status"))


@bp.post("/webhooks")
def webhooks() -> tuple[str, int]:
    """Intuit's notifications: verified over the raw bytes, de-duplicated, then pulled."""
    handler = qbo().webhooks
    if handler is None:
        return "webhooks are not configured (QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN)", 404
    result = handler.handle(request.get_data(cache=False), request.headers)
    return "", result.status


@bp.post("/sync")
def sync() -> Any:
    """Push every record of the product to the tenant's company; the run's report."""
    integration = qbo()
    realm_id = integration.realm_for(current_tenant())
    if realm_id is None:
        return jsonify(error="not_connected", message="Connect to QuickBooks first"), 409
    try:
        with integration.engine(realm_id) as engine:
            if not engine.settings().account_mapping:
                # A real settings page shows these to the user before saving them.
                engine.map_accounts(**engine.suggest_accounts())
            report = engine.push()
    except LockTimeoutError:
        return jsonify(error="busy", message="A sync of this company is already running"), 409
    return jsonify(report_json(report))


@bp.get("/status")
def status() -> Any:
    """Connection badge, company, per-entity counts, last sync and health, as JSON."""
    document = qbo().status(current_tenant())
    document["messages"] = [
        {"category": category, "text": text}
        for category, text in get_flashed_messages(with_categories=True)
    ]
    return jsonify(document)
