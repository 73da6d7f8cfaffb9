"""The integration page: plain server-rendered HTML and CSS, a few lines of JavaScript.

:func:`render_page` takes the same documents the JSON routes return
(``/api/integration`` and ``/api/history``), so the page and the API never
disagree. Every value is escaped.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

__all__ = ["render_page"]

_TIER_COLORS = {"green": "#16a34a", "blue": "#2563eb", "yellow": "#ca8a04", "red": "#dc2626",
                "grey": "#9ca3af"}

_CSS = """
:root {
  --bg: #f4f6f8; --card: #fff; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb;
  --brand: #0f766e; --ok: #15803d; --ok-bg: #dcfce7; --warn: #a16207; --warn-bg: #fef3c7;
  --bad: #b91c1c; --bad-bg: #fee2e2; --off: #4b5563; --off-bg: #e5e7eb; --qb: #2ca01c;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
.wrap { max-width: 1120px; margin: 0 auto; padding: 0 24px; }
.topbar { background: #fff; border-bottom: 1px solid var(--line); }
.topbar .wrap { display: flex; align-items: center; gap: 16px; height: 52px; }
.logo { font-weight: 700; font-size: 17px; color: var(--brand); letter-spacing: -.01em; }
.crumbs { color: var(--muted); }
.crumbs b { color: var(--ink); font-weight: 600; }
h1 { font-size: 22px; margin: 28px 0 2px; }
h2 { font-size: 16px; margin: 0; }
h3 { font-size: 14px; margin: 0; }
.sub { color: var(--muted); margin: 0 0 20px; }
.muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 20px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
.top { display: grid; grid-template-columns: 1.55fr 1fr; gap: 16px; margin-bottom: 28px; }
.connection { display: flex; gap: 16px; }
.qb-logo { flex: none; width: 44px; height: 44px; border-radius: 50%; background: var(--qb);
  color: #fff; font-weight: 700; font-size: 17px; display: grid; place-items: center; }
.conn-body { flex: 1; min-width: 0; }
.title-row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.title-row h2 { font-size: 18px; }
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 2px 10px;
  border-radius: 999px; font-size: 12px; font-weight: 600; }
.badge::before { content: ""; width: 7px; height: 7px; border-radius: 50%;
  background: currentColor; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.off { color: var(--off); background: var(--off-bg); }
.meta { display: grid; grid-template-columns: repeat(4, auto); justify-content: start;
  gap: 4px 28px; margin: 14px 0 0; }
.meta dt { color: var(--muted); font-size: 12px; }
.meta dd { margin: 0; font-weight: 500; font-variant-numeric: tabular-nums; }
.notice { margin: 14px 0 0; padding: 8px 12px; border-radius: 8px; font-size: 13px; }
.notice.warn { background: var(--warn-bg); color: #713f12; }
.notice.bad { background: var(--bad-bg); color: #7f1d1d; }
.actions { margin-top: 16px; display: flex; gap: 8px; }
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 6px;
  border: 1px solid #d1d5db; background: #fff; color: var(--ink); border-radius: 7px;
  padding: 7px 14px; font: inherit; font-weight: 600; cursor: pointer; text-decoration: none; }
.btn:hover { background: #f9fafb; }
.btn.primary { background: var(--brand); border-color: var(--brand); color: #fff; }
.btn.primary:hover { background: #115e59; }
.btn.qb { background: var(--qb); border-color: var(--qb); color: #fff; }
.btn.small { padding: 4px 11px; font-size: 13px; }
.btn:disabled { opacity: .55; cursor: progress; }
.health h3, .entity h3 { color: var(--muted); font-weight: 600; text-transform: uppercase;
  letter-spacing: .04em; font-size: 12px; }
.health-main { display: flex; align-items: center; gap: 16px; margin: 10px 0 12px; }
.score { font-size: 34px; font-weight: 700; line-height: 1; font-variant-numeric: tabular-nums; }
.score small { font-size: 14px; color: var(--muted); font-weight: 500; }
.tier-name { font-weight: 700; font-size: 15px; }
.dots { display: inline-flex; gap: 5px; vertical-align: middle; }
.dot { width: 12px; height: 12px; border-radius: 50%; background: #e5e7eb; }
.dots.small { gap: 3px; }
.dots.small .dot { width: 7px; height: 7px; }
.tiers { list-style: none; margin: 0; padding: 10px 0 0; border-top: 1px solid var(--line);
  display: grid; grid-template-columns: repeat(5, 1fr); gap: 4px; }
.tiers li { text-align: center; font-size: 11px; color: var(--muted); padding: 4px 0;
  border-radius: 6px; }
.tiers li.current { background: #f3f4f6; color: var(--ink); font-weight: 600; }
.tiers li span.lbl { display: block; margin-top: 2px; }
.reasons { margin: 10px 0 0; padding-left: 18px; color: var(--muted); font-size: 13px; }
.all-good { margin: 10px 0 0; color: var(--muted); font-size: 13px; }
.section-head { display: flex; align-items: center; gap: 12px; margin-bottom: 12px; }
.section-head .grow { flex: 1; }
.grid4 { display: grid; grid-template-columns: repeat(4, 1fr); gap: 16px; margin-bottom: 28px; }
.entity header { display: flex; align-items: center; justify-content: space-between; }
.counts { display: grid; grid-template-columns: repeat(3, 1fr); margin: 14px 0 12px; }
.counts div { display: flex; flex-direction: column; }
.counts .n { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.counts .l { font-size: 12px; color: var(--muted); }
.counts .failed.has { color: var(--bad); }
.entity footer { border-top: 1px solid var(--line); padding-top: 10px; font-size: 12px;
  color: var(--muted); }
.entity footer .attention { color: var(--bad); font-weight: 600; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600;
  border-bottom: 1px solid var(--line); padding: 8px 10px; }
td { border-bottom: 1px solid #f1f2f4; padding: 9px 10px; }
tr:last-child td { border-bottom: 0; }
th.num, td.num { text-align: right; }
td.fail-n { color: var(--bad); font-weight: 600; }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px;
  font-weight: 600; }
.pill.success { color: var(--ok); background: var(--ok-bg); }
.pill.partial { color: var(--warn); background: var(--warn-bg); }
.pill.failed { color: var(--bad); background: var(--bad-bg); }
.pill.running { color: #1d4ed8; background: #dbeafe; }
.empty { color: var(--muted); text-align: center; padding: 24px; }
.history { margin-bottom: 28px; padding: 6px 10px 8px; }
.history h2 { padding: 12px 10px 6px; }
.flash { display: flex; gap: 10px; padding: 12px 16px; border-radius: 10px; margin: 0 0 18px;
  border: 1px solid; }
.flash.ok { background: #f0fdf4; border-color: #bbf7d0; color: #14532d; }
.flash.error { background: #fef2f2; border-color: #fecaca; color: #7f1d1d; }
.activity { list-style: none; margin: 0; padding: 0; }
.activity li { display: flex; gap: 12px; padding: 8px 0; border-bottom: 1px solid #f1f2f4; }
.activity li:last-child { border-bottom: 0; }
.activity .when { color: var(--muted); width: 110px; flex: none; }
footer.page { color: var(--muted); font-size: 12px; padding: 0 0 32px; }
@media (max-width: 900px) {
  .top { grid-template-columns: 1fr; }
  .grid4 { grid-template-columns: repeat(2, 1fr); }
  .meta { grid-template-columns: repeat(2, auto); }
}
"""

_JS = """
for (const button of document.querySelectorAll("[data-sync]")) {
  button.addEventListener("click", async () => {
    const target = button.dataset.sync;
    document.querySelectorAll("[data-sync]").forEach((b) => { b.disabled = true; });
    button.textContent = "Syncing\\u2026";
    try {
      const answer = await fetch(target ? "/api/sync/" + target : "/api/sync", {method: "POST"});
      if (!answer.ok) {
        const body = await answer.json().catch(() => ({}));
        sessionStorage.setItem("syncError", body.message || answer.statusText);
      }
    } catch (error) {
      sessionStorage.setItem("syncError", String(error));
    }
    location.reload();
  });
}
const syncError = sessionStorage.getItem("syncError");
if (syncError) {
  sessionStorage.removeItem("syncError");
  const box = document.getElementById("sync-error");
  box.textContent = "Sync did not complete: " + syncError;
  box.hidden = false;
}
"""


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _ago(value: str | None, now: dt.datetime) -> str:
    moment = _parse(value)
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    return moment.strftime("%b %d, %Y")


def _date(value: str | None) -> str:
    moment = _parse(value)
    return moment.strftime("%b %d, %Y") if moment else "\u2014"


def _time(value: str | None, now: dt.datetime) -> str:
    moment = _parse(value)
    if moment is None:
        return "\u2014"
    if moment.date() == now.date():
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%b %d, %H:%M")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "\u2014"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _dots(count: int, color: str, *, small: bool = False) -> str:
    fill = _TIER_COLORS.get(color, "#9ca3af")
    spans = "".join(
        f'<span class="dot{" on" if i < count else ""}"'
        + (f' style="background:{fill}"' if i < count else "") + "></span>"
        for i in range(5)
    )
    return (f'<span class="dots{" small" if small else ""}" role="img" '
            f'aria-label="{count} of 5">{spans}</span>')


def _connection_card(c: dict[str, Any]) -> str:
    state = c["state"]
    name = c["company_name"] or ("QuickBooks Online" if state == "disconnected" else "Unnamed")
    if state == "disconnected":
        meta = ('<p class="muted" style="margin:10px 0 0">Connect your QuickBooks Online company'
                " to sync customers, invoices, payments and items.</p>")
        button = '<a class="btn qb" href="/qbo/connect" id="connect">Connect to QuickBooks</a>'
    else:
        env = (c["environment"] or "").capitalize() or "\u2014"
        meta = (
            '<dl class="meta">'
            f'<div><dt>Realm ID</dt><dd id="realm-id">{escape(c["realm_id"] or "")}</dd></div>'
            f"<div><dt>Environment</dt><dd>{escape(env)}</dd></div>"
            f"<div><dt>Connected</dt><dd>{_date(c['connected_at'])}</dd></div>"
            f"<div><dt>Authorized until</dt><dd>{_date(c['expires_at'])}</dd></div>"
            "</dl>"
        )
        button = '<a class="btn" href="/qbo/connect" id="connect">Reconnect</a>'
    notice = ""
    if c["expiring_soon"]:
        notice = ('<p class="notice warn">QuickBooks access expires on '
                  f"{_date(c['expires_at'])}. Reconnect before then to keep syncing.</p>")
        button = '<a class="btn qb" href="/qbo/connect" id="connect">Reconnect now</a>'
    elif c["needs_reauthorization"]:
        why = ("QuickBooks refused the saved authorization"
               if c["reason"] == "invalid_grant" else "The QuickBooks authorization has expired")
        notice = (f'<p class="notice bad">{why}. Syncing is paused until you reconnect.</p>')
        button = ('<a class="btn qb" href="/qbo/connect" id="connect">'
                  "Reconnect to QuickBooks</a>")
    return (
        f'<article class="card connection" id="connection" data-state="{escape(state)}">'
        '<div class="qb-logo" aria-hidden="true">qb</div><div class="conn-body">'
        f'<div class="title-row"><h2 id="company-name">{escape(name)}</h2>'
        f'<span class="badge {escape(c["tone"])}" id="connection-badge">'
        f"{escape(c['badge'])}</span></div>"
        f'{meta}{notice}<div class="actions">{button}</div></div></article>'
    )


def _health_card(h: dict[str, Any], *, never_connected: bool) -> str:
    fill = _TIER_COLORS.get(h["color"], "#9ca3af")
    tiers = "".join(
        f'<li class="{"current" if t["tier"] == h["tier"] else ""}" data-tier="{t["tier"]}">'
        f'{_dots(t["dots"], t["color"], small=True)}<span class="lbl">{escape(t["label"])}'
        "</span></li>"
        for t in h["tiers"]
    )
    todo = ["Connect QuickBooks to start syncing"] if never_connected else h["actions"][:3]
    actions = "".join(f"<li>{escape(a)}</li>" for a in todo)
    advice = (f'<ul class="reasons">{actions}</ul>' if actions
              else '<p class="all-good">No action needed.</p>')
    return (
        f'<article class="card health" id="health" data-tier="{escape(h["tier"])}"'
        f' data-dots="{h["dots"]}"><h3>Sync health</h3>'
        '<div class="health-main">'
        f'<div class="score" id="health-score">{h["score"]}<small>/100</small></div>'
        f'<div><div class="tier-name" id="health-tier" style="color:{fill}">'
        f'{escape(h["label"])}</div>{_dots(h["dots"], h["color"])}</div></div>'
        f'<ul class="tiers" aria-label="Health tiers">{tiers}</ul>{advice}</article>'
    )


def _entity_card(e: dict[str, Any], now: dt.datetime, *, connected: bool) -> str:
    counts = "".join(
        f'<div><span class="n {name}{" has" if name == "failed" and e[name] else ""}"'
        f' data-count="{name}">{e[name]}</span><span class="l">{name.capitalize()}</span></div>'
        for name in ("created", "updated", "failed")
    )
    footer = f'{e["linked"]} linked \u00b7 synced {_ago(e["last_synced_at"], now)}'
    if e["failing"]:
        footer += f' \u00b7 <span class="attention">{e["failing"]} need attention</span>'
    disabled = "" if connected else " disabled"
    return (
        f'<article class="card entity" data-entity="{escape(e["entity"])}">'
        f'<header><h3>{escape(e["label"])}</h3>'
        f'<button class="btn small" data-sync="{escape(e["slug"])}"{disabled}>Sync</button>'
        f"</header><div class=\"counts\">{counts}</div><footer>{footer}</footer></article>"
    )


def _history_table(runs: list[dict[str, Any]], now: dt.datetime) -> str:
    head = ("<thead><tr><th>Started</th><th>Type</th><th>Direction</th>"
            '<th class="num">Created</th><th class="num">Updated</th><th class="num">Failed</th>'
            '<th class="num">Skipped</th><th class="num">Duration</th><th>Status</th></tr></thead>')
    if not runs:
        body = '<tr><td colspan="9" class="empty">No sync yet.</td></tr>'
    else:
        rows = []
        for r in runs:
            arrow = "\u2191 Push" if r["direction"] == "push" else (
                "\u2193 Pull" if r["direction"] == "pull" else "\u21c5 Both")
            fail = ' fail-n' if r["failed"] else ""
            title = escape(r["message"] or ", ".join(r["entities"]))
            rows.append(
                f'<tr data-run="{escape(r["run_id"])}" title="{title}">'
                f'<td>{_time(r["started_at"], now)}</td><td>{escape(r["type"])}</td>'
                f"<td>{arrow}</td>"
                f'<td class="num">{r["created"]}</td><td class="num">{r["updated"]}</td>'
                f'<td class="num{fail}">{r["failed"]}</td><td class="num">{r["skipped"]}</td>'
                f'<td class="num">{_duration(r["duration_seconds"])}</td>'
                f'<td><span class="pill {escape(r["status"])}">{escape(r["status"].capitalize())}'
                "</span></td></tr>"
            )
        body = "".join(rows)
    return f'<table id="history">{head}<tbody>{body}</tbody></table>'


def _activity(items: list[dict[str, Any]], now: dt.datetime) -> str:
    if not items:
        return ""
    lines = "".join(
        f'<li><span class="when">{_ago(i["at"], now)}</span><span><b>{escape(i["number"])}</b>'
        f' \u00b7 {escape(i["note"])}'
        + (f' \u00b7 ${escape(i["amount"])}' if i["amount"] else "") + "</span></li>"
        for i in items
    )
    return (f'<section class="card" id="activity" style="margin-bottom:28px">'
            f'<h2 style="margin-bottom:6px">From QuickBooks</h2><ul class="activity">{lines}'
            "</ul></section>")


def render_page(
    status: dict[str, Any],
    history: list[dict[str, Any]],
    *,
    flash: Any = None,
    activity: list[dict[str, Any]] | None = None,
    product_name: str = "FieldDesk",
) -> str:
    """The integration page for ``status`` (``/api/integration``) and ``history`` rows."""
    now = dt.datetime.fromisoformat(status["generated_at"])
    connection = status["connection"]
    banner = ""
    if flash is not None:
        banner = (f'<div class="flash {escape(flash.kind)}" id="flash" role="status"'
                  f' data-reason="{escape(flash.reason or "")}">'
                  f"<b>{escape(flash.title)}</b><span>{escape(flash.message)}</span></div>")
    last = status["last_sync"]
    last_text = (f'Last sync {_ago(last["at"], now)} ({escape(last["status"])})'
                 if last else "Not synced yet")
    can_sync = bool(connection["connected"])
    cards = "".join(_entity_card(e, now, connected=can_sync) for e in status["entities"])
    disabled = "" if can_sync else " disabled"
    health = _health_card(status["health"], never_connected=connection["realm_id"] is None)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QuickBooks integration \u00b7 {escape(product_name)}</title>
<style>{_CSS}</style></head>
<body>
<header class="topbar"><div class="wrap"><span class="logo">{escape(product_name)}</span>
<span class="crumbs">Settings \u203a Integrations \u203a <b>QuickBooks Online</b></span>
</div></header>
<main class="wrap">
<h1>QuickBooks Online</h1>
<p class="sub">Customers, invoices, payments and items stay in step with your QuickBooks
company.</p>
{banner}
<div class="flash error" id="sync-error" role="alert" hidden></div>
<section class="top">{_connection_card(connection)}{health}</section>
<section>
<div class="section-head"><h2>Records</h2>
<span class="muted grow" id="last-sync">Last {status["counts_window_hours"]} hours \u00b7
{last_text}</span>
<button class="btn primary" id="sync-all" data-sync=""{disabled}>Sync all</button></div>
<div class="grid4" id="entities">{cards}</div>
</section>
{_activity(activity or [], now)}
<section class="card history"><h2>Sync history</h2>{_history_table(history, now)}</section>
<footer class="page">Built with qbo_sync \u00b7 <a href="/api/integration">/api/integration</a>
\u00b7 <a href="/api/history">/api/history</a></footer>
</main>
<script>{_JS}</script>
</body></html>
"""
