"""The real-company commands after ``connect``: status, checks, syncs, history, health, disconnect.

Every command prints its result on stdout (``--json`` where scripts want
data), progress and prompts on stderr, and raises :class:`CLIError` for a
failure: one line with the QBO code and ``intuit_tid`` when QuickBooks said
something, a hint, and an exit status (see ``_errors``). Tokens, the client
secret and the encryption key are never printed: only expiry times are.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs

from qbo_sync._json import dumps
from qbo_sync.auth import CheckOutcome, ConnectionState, OAuthManager, compute_connection_info
from qbo_sync.cli import _summary as summary
from qbo_sync.cli._company import (
    Company,
    library_errors,
    oauth_manager,
    open_store,
    pick,
    ready,
)
from qbo_sync.cli._errors import (
    EXIT_FAILED,
    EXIT_NOT_CONNECTED,
    EXIT_RETRY_LATER,
    EXIT_USAGE,
    HINT_CONNECT,
    HINT_RECONNECT,
    HINT_RETRY_LATER,
    CLIError,
)
from qbo_sync.cli._progress import PushProgress
from qbo_sync.cli._records import JsonLinesSink, load_records
from qbo_sync.cli._render import dots, plural
from qbo_sync.health import dashboard_for_realm, health_for_realm
from qbo_sync.storage import ConnectionStatus, EntityCounts, LinkStatus, RunRecord, Store
from qbo_sync.sync import DEFAULT_ITEM_ID, MemorySource, RecordOutcome, SyncEngine, SyncReport

__all__ = [
    "run_configure",
    "run_disconnect",
    "run_health",
    "run_history",
    "run_map_accounts",
    "run_retry_failed",
    "run_status",
    "run_sync",
    "run_test_connection",
]

_PUSH_ORDER = ("Item", "Customer", "Vendor", "Invoice", "CreditMemo", "Payment", "Purchase",
               "Bill")
_TEMPORARY = {"write_unconfirmed", "conflict"}
_MAP_ACCOUNTS = "map the accounts: qbo-sync map-accounts --suggested"
_REASON_HINTS = {
    "mapping_missing": f"{_MAP_ACCOUNTS}, then qbo-sync retry-failed --records FILE",
    "dependency_missing": "put the customers and items the records need in --records too "
    "(or push them first)",
    "invalid_record": "fix the record in the file, then sync again",
    "ambiguous_match": "several QuickBooks objects match the record: link one by hand "
    "(SyncEngine.link), then sync again",
    "duplicate_name": "QuickBooks uses the name for another object (a vendor?): rename the "
    "record in the file, then qbo-sync retry-failed --records FILE",
    "not_found": "the QuickBooks object is gone: unlink the record (SyncEngine.unlink) to "
    "create it again",
    "needs_review": "check QuickBooks, then link the record (SyncEngine.link) or unlink it",
    "sink_failed": "the changes could not be written out; sync again",
    "conflict": HINT_RETRY_LATER,
    "write_unconfirmed": HINT_RETRY_LATER,
}


def _when(value: dt.datetime | None) -> str:
    return "-" if value is None else value.astimezone(dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC")


def _emit(out: TextIO, lines: Iterable[str]) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()


def _json_out(out: TextIO, data: Any) -> None:
    out.write(dumps(data).decode("utf-8") + "\n")
    out.flush()


def _table(head: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> list[str]:
    """Columns two spaces apart: numbers right-aligned, text left-aligned."""
    cells = [list(map(str, head))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    numeric = [bool(rows) and all(isinstance(row[i], int) for row in rows)
               for i in range(len(head))]
    lines = []
    for row in cells:
        columns = zip(row, widths, numeric, strict=True)
        parts = [c.rjust(w) if right else c.ljust(w) for c, w, right in columns]
        lines.append(indent + "  ".join(parts).rstrip())
    return lines


def _counts_rows(counts: dict[str, EntityCounts]) -> list[list[object]]:
    return [[entity, c.created, c.updated, c.matched, c.failed, c.skipped]
            for entity, c in summary.in_push_order(counts).items()
            if c.created + c.updated + c.matched + c.failed + c.skipped]


_COUNT_HEAD = ("entity", "created", "updated", "matched", "failed", "skipped")


# -- progress ---------------------------------------------------------------------------


class CliProgress:
    """``progress(entity, done, total)`` for the engine, drawn on stderr.

    Pushes draw a bar per entity (:class:`PushProgress`); pulls (``total``
    0: not known) count the records read per entity.
    """

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._tty = err.isatty()
        self._push = PushProgress(err, indent="  ")
        self._push.active = True
        self._pulling: str | None = None
        self._pulled = 0

    def __call__(self, entity: str, done: int, total: int) -> None:
        if total > 0:
            self._end_pull()
            self._push(entity, done, total)
            return
        if entity != self._pulling:
            self._end_pull()
            self._pulling = entity
        self._pulled = done
        if self._tty:
            self._err.write(f"\r  {entity:<10} {done:>8,} read")
            self._err.flush()

    def _end_pull(self) -> None:
        if self._pulling is None:
            return
        line = f"  {self._pulling:<10} {self._pulled:>8,} read"
        self._err.write(("\r" + line if self._tty else line) + "\n")
        self._err.flush()
        self._pulling = None

    def stop(self) -> None:
        """End any open line."""
        self._end_pull()
        self._push.stop()
        self._push.active = True


# -- status -----------------------------------------------------------------------------


def _status_data(store: Store, company: Company, now: dt.datetime) -> dict[str, Any]:
    info = compute_connection_info(company.realm_id, company.connection,
                                   store.get_tokens(company.realm_id), now=now)
    settings = store.get_settings(company.realm_id)
    links = store.link_counts(company.realm_id)
    runs = store.list_runs(realm_id=company.realm_id, limit=1, include_failures=False)
    return {
        "realm_id": company.realm_id,
        "company_name": info.company_name,
        "environment": info.environment.value if info.environment else None,
        "tenant_id": info.tenant_id,
        "state": info.state.value,
        "reason": info.reason,
        "connected_at": info.connected_at.isoformat() if info.connected_at else None,
        "disconnected_at": info.disconnected_at.isoformat() if info.disconnected_at else None,
        "access_expires_at": _iso(info.access_expires_at),
        "refresh_expires_at": _iso(info.refresh_expires_at),
        "refresh_hard_expires_at": _iso(info.refresh_hard_expires_at),
        "account_mapping": dict(settings.account_mapping) if settings else {},
        "links": {entity: {"synced": c.synced, "pending": c.pending, "failed": c.failed}
                  for entity, c in summary.in_push_order(links).items()},
        "last_run": summary.run(runs[0]) if runs else None,
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _status_lines(data: dict[str, Any]) -> list[str]:
    name = data["company_name"] or "(name unknown)"
    lines = [f"{name}  realm {data['realm_id']}, {data['environment']}"
             + (f", tenant {data['tenant_id']}" if data["tenant_id"] else "")]
    state = data["state"].replace("_", " ")
    if data["reason"]:
        state += f" ({data['reason']})"
    lines.append(f"  state        {state}")
    lines.append(f"  connected    {_fmt_iso(data['connected_at'])}")
    if data["disconnected_at"]:
        lines.append(f"  disconnected {_fmt_iso(data['disconnected_at'])}")
    if data["refresh_expires_at"]:
        lines.append(f"  tokens       access until {_fmt_iso(data['access_expires_at'])} "
                     "(refreshed when needed)")
        lines.append(f"               refresh until {_fmt_iso(data['refresh_expires_at'])}"
                     + (f", hard expiry {_fmt_iso(data['refresh_hard_expires_at'])}"
                        if data["refresh_hard_expires_at"] else ""))
    mapping = data["account_mapping"]
    if mapping.get("income") and mapping.get("accounts_receivable"):
        lines.append(f"  accounts     income {mapping['income']}, accounts receivable "
                     f"{mapping['accounts_receivable']}")
    else:
        lines.append(f"  accounts     not mapped: invoices cannot be pushed ({_MAP_ACCOUNTS})")
    if data["links"]:
        parts = [f"{entity} {c['synced']}" + (f" (+{c['pending']} pending)" if c["pending"]
                                              else "") + (f" ({c['failed']} failed)"
                                                          if c["failed"] else "")
                 for entity, c in data["links"].items()]
        lines.append(f"  linked       {', '.join(parts)}")
    else:
        lines.append("  linked       nothing yet")
    run = data["last_run"]
    if run:
        lines.append(f"  last run     {run['direction']} {run['kind']}, {run['status']}, "
                     f"{_fmt_iso(run['started_at'])}")
    return lines


def _fmt_iso(text: str | None) -> str:
    return _when(dt.datetime.fromisoformat(text)) if text else "-"


def run_status(args: argparse.Namespace, *, out: TextIO) -> int:
    """Show the connection(s): state, token expiries, account mapping, links, last run."""
    store = open_store(args)
    try:
        with library_errors():
            if args.realm is not None:
                companies = [pick(store, args.realm, connected=False)]
            else:
                companies = [Company(c.realm_id, c) for c in store.list_connections()]
            if not companies:
                raise CLIError("no QuickBooks company is connected in this database",
                               exit_code=EXIT_NOT_CONNECTED, hint=HINT_CONNECT)
            now = dt.datetime.now(dt.timezone.utc)
            found = [_status_data(store, c, now) for c in companies]
    finally:
        store.close()
    if args.json:
        _json_out(out, {"companies": found})
    else:
        for n, data in enumerate(found):
            if n:
                out.write("\n")
            _emit(out, _status_lines(data))
    usable = [d for d in found if d["state"] in (ConnectionState.CONNECTED.value,
                                                 ConnectionState.EXPIRING_SOON.value)]
    if usable:
        return 0
    if any(d["state"] == ConnectionState.NEEDS_REAUTHORIZATION.value for d in found):
        raise CLIError("the connection needs reauthorization", exit_code=EXIT_NOT_CONNECTED,
                       hint=HINT_RECONNECT)
    raise CLIError("no QuickBooks company is connected", exit_code=EXIT_NOT_CONNECTED,
                   hint=HINT_CONNECT)


# -- test-connection --------------------------------------------------------------------

_CHECK_EXITS = {
    CheckOutcome.NOT_CONNECTED: (EXIT_NOT_CONNECTED, HINT_CONNECT),
    CheckOutcome.NEEDS_REAUTHORIZATION: (EXIT_NOT_CONNECTED, HINT_RECONNECT),
    CheckOutcome.UNAUTHORIZED: (EXIT_NOT_CONNECTED, HINT_RECONNECT),
    CheckOutcome.FORBIDDEN: (EXIT_NOT_CONNECTED, (
        "the QuickBooks user lacks permission, the subscription lapsed, or a sandbox company "
        "is used with QUICKBOOKS_ENVIRONMENT=production; then reconnect: qbo-sync connect")),
    CheckOutcome.THROTTLED: (EXIT_RETRY_LATER, HINT_RETRY_LATER),
    CheckOutcome.UNAVAILABLE: (EXIT_RETRY_LATER, HINT_RETRY_LATER),
    CheckOutcome.ERROR: (EXIT_FAILED, None),
}


def run_test_connection(args: argparse.Namespace, *, out: TextIO) -> int:
    """One read-only CompanyInfo call with the stored tokens (refreshed first if needed)."""
    store = open_store(args)
    try:
        with library_errors():
            company = pick(store, args.realm, connected=False)
            oauth = oauth_manager(store, args, company)
            try:
                check = oauth.test_connection(company.realm_id)
                info = oauth.connection_info(company.realm_id)
            finally:
                oauth.close()
    finally:
        store.close()
    if check.ok:
        out.write(f"ok: {check.message} Realm {company.realm_id}, "
                  f"{info.environment.value if info.environment else '?'}; state "
                  f"{info.state.value.replace('_', ' ')}\n")
        out.flush()
        return 0
    code, hint = _CHECK_EXITS.get(check.outcome, (EXIT_FAILED, None))
    tid = f" [intuit_tid {check.intuit_tid}]" if check.intuit_tid else ""
    raise CLIError(f"{company.name}: {check.outcome.value}: {check.message}{tid}",
                   exit_code=code, hint=hint)


# -- map-accounts -----------------------------------------------------------------------


#: The account-mapping roles ``map-accounts`` shows and sets, in order.
ACCOUNT_ROLES = ("income", "accounts_receivable", "expense", "bank", "credit_card",
                 "accounts_payable")


@contextlib.contextmanager
def _company_engine(args: argparse.Namespace) -> Iterator[tuple[Company, SyncEngine]]:
    """The chosen company and a ready engine for it (tokens refreshed when needed)."""
    store = open_store(args)
    try:
        with library_errors():
            company = pick(store, args.realm)
            oauth = oauth_manager(store, args, company)
            try:
                ready(oauth, company)
                with SyncEngine.for_realm(oauth, company.realm_id, store=store) as engine:
                    yield company, engine
            finally:
                oauth.close()
    finally:
        store.close()


def run_map_accounts(args: argparse.Namespace, *, out: TextIO) -> int:
    """Show or save the accounts invoices and expenses are posted to, by role."""
    chosen = {role: getattr(args, role) for role in ACCOUNT_ROLES if getattr(args, role)}
    with _company_engine(args) as (company, engine):
        suggested = engine.suggest_accounts()
        before = dict(engine.settings().account_mapping)
        if args.suggested:
            chosen = {**suggested, **chosen}
        if chosen:
            engine.map_accounts(**chosen)
        after = dict(engine.settings().account_mapping)
    lines = [f"{company.name}"]
    for role in ACCOUNT_ROLES:
        label = role.replace("_", " ")
        now_id = after.get(role)
        note = " (saved now)" if chosen.get(role) and before.get(role) != now_id else ""
        lines.append(f"  {label:<20} {now_id or 'not mapped'}{note}   "
                     f"suggested: {suggested.get(role, 'none found')}")
    if not chosen and not (after.get("income") and after.get("accounts_receivable")):
        lines.append("save the suggestions with --suggested, or choose with --income ID "
                     "--accounts-receivable ID")
    _emit(out, lines)
    return 0


# -- configure --------------------------------------------------------------------------


def _tax_code_pairs(values: Sequence[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        local, sep, qbo = value.partition("=")
        if not sep or not local.strip() or not qbo.strip():
            raise CLIError(f"--tax-code {value!r}: expected LOCAL=QBO_ID, e.g. standard=3",
                           exit_code=EXIT_USAGE)
        pairs[local.strip()] = qbo.strip()
    return pairs


def run_configure(args: argparse.Namespace, *, out: TextIO) -> int:
    """Show or save the company-level choices and the tax-code mapping."""
    tax_codes = _tax_code_pairs(args.tax_code)
    automated = None if args.automated_sales_tax is None else args.automated_sales_tax == "yes"
    with _company_engine(args) as (company, engine):
        codes = engine.tax_codes()
        unknown = sorted(set(tax_codes.values()) - {code.id for code in codes})
        if unknown:
            raise CLIError(f"--tax-code: no TaxCode {', '.join(unknown)} in "
                           f"{company.name} (see the list: qbo-sync configure)",
                           exit_code=EXIT_USAGE)
        if args.expense_entity or args.tax_calculation or automated is not None:
            engine.configure(expense_entity=args.expense_entity,
                             tax_calculation=args.tax_calculation,
                             automated_sales_tax=automated)
        if tax_codes:
            engine.map_tax_codes(tax_codes)
        settings = engine.settings()
        expense_entity, calculation, ast = engine.choices(settings)
    lines = [f"{company.name}",
             f"  expense entity       {expense_entity}"
             f"{'' if settings.expense_entity else ' (default)'}",
             f"  tax calculation      {calculation}"
             f"{'' if settings.tax_calculation else ' (default)'}   (companies outside the US)",
             "  automated sales tax  "
             + ("read from the company's preferences" if ast is None else
                ("yes" if ast else "no")) + "   (US companies)",
             "  tax codes (product code -> QuickBooks TaxCode):"]
    mapping = settings.tax_code_mapping
    lines += [f"    {local} -> {qbo}" for local, qbo in sorted(mapping.items())] or \
        ["    none mapped: qbo-sync configure --tax-code LOCAL=ID"]
    lines.append("  the company's tax codes (id, name, sales %, purchase %):")
    for code in codes:
        sales = "-" if code.sales_rate is None else f"{code.sales_rate}"
        purchase = "-" if code.purchase_rate is None else f"{code.purchase_rate}"
        lines.append(f"    {code.id:<6} {code.name or '':<24} {sales:>6} {purchase:>6}")
    _emit(out, lines)
    return 0


# -- sync and retry-failed --------------------------------------------------------------


def _run_lines(label: str, report: SyncReport) -> list[str]:
    head = (f"{label}: {report.status.value}; {report.total('created')} created, "
            f"{report.total('updated')} updated, {report.total('matched')} matched, "
            f"{report.total('failed')} failed, {report.total('skipped')} skipped; "
            f"{plural(report.requests, 'request')}, "
            f"{plural(report.write_requests, 'batch write')}"
            + (f", {report.throttled} throttled" if report.throttled else ""))
    lines = [head]
    rows = _counts_rows(report.counts)
    if rows:
        lines += _table(_COUNT_HEAD, rows)
    for outcome in report.failures[:20]:
        lines.append(_failure_line(outcome))
    if len(report.failures) > 20:
        lines.append(f"  ... {len(report.failures) - 20} more failures (qbo-sync history "
                     "--failures)")
    if report.message:
        lines.append(f"  stopped: {report.message}")
    return lines


def _failure_line(outcome: RecordOutcome) -> str:
    tid = f" [intuit_tid {outcome.intuit_tid}]" if outcome.intuit_tid else ""
    return (f"  failed  {outcome.entity} {outcome.local_id}: {outcome.reason}: "
            f"{' '.join((outcome.message or '').split())}{tid}")


def _plan_lines(report: SyncReport) -> list[str]:
    actions = Counter((o.entity, o.action.value) for o in report.outcomes)
    names = ("create", "update", "match", "void", "delete", "inactivate", "skip", "fail")
    rows: list[list[object]] = [
        [entity, *(actions[entity, a] for a in names)]
        for entity in summary.in_push_order(report.counts)
        if any(actions[entity, a] for a in names)]
    lines = [f"plan (dry run: nothing written): {plural(report.requests, 'read request')}"]
    lines += _table(("entity", *names), rows)
    lines += [_failure_line(o) for o in report.failures[:20]]
    return lines


def _failed_error(report: SyncReport, label: str) -> CLIError:
    reasons = Counter(str(o.reason) for o in report.failures)
    said = ", ".join(f"{reason} x{n}" for reason, n in reasons.most_common())
    first = report.failures[0]
    tid = f" [first: {first.entity} {first.local_id}" + (
        f", intuit_tid {first.intuit_tid}" if first.intuit_tid else "") + "]"
    top = reasons.most_common(1)[0][0]
    hint = _REASON_HINTS.get(top, "fix the record (QuickBooks' message above names the field), "
                             "then qbo-sync retry-failed --records FILE")
    temporary = all(r in _TEMPORARY for r in reasons)
    return CLIError(f"{label}: {plural(len(report.failures), 'record')} failed ({said}){tid}",
                    exit_code=EXIT_RETRY_LATER if temporary else EXIT_FAILED, hint=hint)


def _stopped_error(report: SyncReport, label: str, state: ConnectionState) -> CLIError:
    message = report.message or "stopped"
    if state is ConnectionState.NEEDS_REAUTHORIZATION or message.startswith(
            "QBO refused the credentials"):
        return CLIError(f"{label} {message}", exit_code=EXIT_NOT_CONNECTED, hint=HINT_RECONNECT)
    return CLIError(f"{label} {message}", exit_code=EXIT_RETRY_LATER, hint=HINT_RETRY_LATER)


def _check_sync_options(args: argparse.Namespace) -> tuple[bool, bool]:
    """Whether to push and whether to pull; bad combinations exit 2."""
    direction = args.direction
    if direction == "push" and args.records is None:
        raise CLIError("sync --direction push needs --records FILE: the command line keeps "
                       "none of the product's records", exit_code=EXIT_USAGE,
                       hint="write them as JSON (see docs/cli.md, 'Records file')")
    if direction == "pull" and args.records is not None:
        raise CLIError("--records is for pushing; a pull reads QuickBooks",
                       exit_code=EXIT_USAGE)
    if direction == "pull" and args.dry_run:
        raise CLIError("a pull writes nothing to QuickBooks; --dry-run plans a push",
                       exit_code=EXIT_USAGE)
    if args.output is not None and (direction == "push" or args.dry_run):
        raise CLIError("--output is where a pull writes its changes; this sync does not pull",
                       exit_code=EXIT_USAGE)
    if direction == "both" and args.dry_run and args.records is None:
        raise CLIError("--dry-run plans a push: give --records FILE", exit_code=EXIT_USAGE)
    push = args.records is not None
    pull = direction == "pull" or (direction == "both" and not args.dry_run)
    return push, pull


@attrs.define
class _SyncRun:
    """One ``qbo-sync sync``: its engine, options, streams and JSON summary."""

    engine: SyncEngine
    oauth: OAuthManager
    args: argparse.Namespace
    progress: CliProgress
    out: TextIO
    err: TextIO
    report_out: TextIO
    results: dict[str, Any]

    def say(self, line: str) -> None:
        self.err.write(line + "\n")
        self.err.flush()

    def push(self, records: list[Any], entities: set[str] | None) -> CLIError | None:
        engine, args = self.engine, self.args
        self.say(f"{'planning' if args.dry_run else 'pushing'} "
                 f"{plural(len(records), 'record')} from {args.records} to {engine.realm_id}"
                 + (f" ({', '.join(sorted(entities))} only)" if entities else ""))
        if args.dry_run:
            report = engine.plan(records, entities=entities)
        else:
            report = engine.push(records, entities=entities)
        self.progress.stop()
        self.results["push"] = {**summary.report(report), "dry_run": report.dry_run,
                                "failures": [summary.outcome(o) for o in report.failures]}
        if not args.json:
            _emit(self.report_out,
                  _plan_lines(report) if args.dry_run else _run_lines("push", report))
        if report.message:
            return _stopped_error(report, "push",
                                  self.oauth.connection_info(engine.realm_id).state)
        if report.failures and not args.dry_run:
            return _failed_error(report, "push")
        return None

    def pull(self, entities: set[str] | None) -> CLIError | None:
        engine, args = self.engine, self.args
        to_stdout = args.output in (None, "-")
        target = "standard output" if to_stdout else str(args.output)
        self.say(f"pulling changes from {engine.realm_id} to {target} (JSON lines)")
        with contextlib.ExitStack() as stack:
            if to_stdout:
                sink = JsonLinesSink(self.out)
            else:
                try:
                    handle = stack.enter_context(Path(args.output).open("w", encoding="utf-8"))
                except OSError as exc:
                    raise CLIError(f"--output {args.output}: {exc.strerror or exc}",
                                   exit_code=EXIT_USAGE) from None
                sink = JsonLinesSink(handle)
            report = engine.pull(sink, entities=entities)
        self.progress.stop()
        echoes = sum(1 for o in report.outcomes if o.reason == "echo")
        self.results["pull"] = {**summary.report(report), "changes_written": sink.written,
                                "by_kind": dict(sink.by_kind), "output": target,
                                "failures": [summary.outcome(o) for o in report.failures]}
        if not args.json:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(sink.by_kind.items()))
            lines = _run_lines("pull", report)
            lines.insert(1, f"  {plural(sink.written, 'change')} written to {target}"
                         + (f" ({kinds})" if kinds else "")
                         + f"; {echoes} {'echo' if echoes == 1 else 'echoes'} of our "
                         "own writes skipped")
            _emit(self.report_out, lines)
        if report.message:
            return _stopped_error(report, "pull",
                                  self.oauth.connection_info(engine.realm_id).state)
        if report.failures:
            return _failed_error(report, "pull")
        return None


def run_sync(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    """Push a records file, pull QuickBooks' changes as JSON lines, or both (push first)."""
    push, pull = _check_sync_options(args)
    records = load_records(args.records) if push else None
    entities = set(args.entity) if args.entity else None
    if entities and "Expense" in entities:  # the product's expenses: QBO purchases and bills
        entities = (entities - {"Expense"}) | {"Purchase", "Bill"}
    to_stdout = pull and args.output in (None, "-")
    report_out = err if to_stdout else out
    results: dict[str, Any] = {}
    error: CLIError | None = None
    store = open_store(args)
    try:
        with library_errors():
            company = pick(store, args.realm)
            results["realm_id"] = company.realm_id
            oauth = oauth_manager(store, args, company)
            progress = CliProgress(err)
            try:
                ready(oauth, company)
                with SyncEngine.for_realm(
                    oauth, company.realm_id, store=store, progress=progress,
                    source=MemorySource(records) if records is not None else None,
                ) as engine:
                    run = _SyncRun(engine=engine, oauth=oauth, args=args, progress=progress,
                                   out=out, err=err, report_out=report_out, results=results)
                    if records is not None:
                        error = run.push(records, entities)
                    if pull and error is None:
                        error = run.pull(entities)
            finally:
                progress.stop()
                oauth.close()
    finally:
        store.close()
    if args.json:
        _json_out(report_out, results)
    if error is not None:
        raise error
    return 0


def run_retry_failed(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    """Push again the records of the file whose last push failed."""
    records = load_records(args.records)
    store = open_store(args)
    try:
        with library_errors():
            company = pick(store, args.realm)
            failed = store.list_links(company.realm_id, status=LinkStatus.FAILED)
            if not failed:
                out.write(f"{company.name}: nothing to retry, no record failed\n")
                out.flush()
                return 0
            source = MemorySource(records)
            missing = [f"{link.entity_type} {link.local_id}" for link in failed
                       if link.local_id != DEFAULT_ITEM_ID
                       and not source.get(link.entity_type, [link.local_id])]
            oauth = oauth_manager(store, args, company)
            progress = CliProgress(err)
            try:
                ready(oauth, company)
                err.write(f"retrying {plural(len(failed) - len(missing), 'failed record')} "
                          f"from {args.records}\n")
                err.flush()
                with SyncEngine.for_realm(oauth, company.realm_id, store=store, source=source,
                                          progress=progress) as engine:
                    report = engine.retry_failed()
                state = oauth.connection_info(company.realm_id).state
            finally:
                progress.stop()
                oauth.close()
    finally:
        store.close()
    if args.json:
        _json_out(out, {"realm_id": company.realm_id, **summary.report(report),
                        "failures": [summary.outcome(o) for o in report.failures],
                        "not_in_records": missing})
    else:
        lines = _run_lines("retry", report)
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            lines.append(f"  not in {args.records} (not retried): {shown}")
        _emit(out, lines)
    if report.message:
        raise _stopped_error(report, "retry", state)
    if report.failures:
        raise _failed_error(report, "retry")
    if missing:
        raise CLIError(f"{plural(len(missing), 'failed record')} not in {args.records}",
                       exit_code=EXIT_FAILED,
                       hint="give the file holding those records (qbo-sync history --failures "
                       "lists them)")
    return 0


# -- history ----------------------------------------------------------------------------


def _total(run: RunRecord) -> EntityCounts:
    total = EntityCounts()
    for c in run.counts.values():
        total = EntityCounts(created=total.created + c.created, updated=total.updated + c.updated,
                             matched=total.matched + c.matched, failed=total.failed + c.failed,
                             skipped=total.skipped + c.skipped)
    return total


def _duration(run: RunRecord) -> str:
    if run.finished_at is None:
        return "-"
    return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"


def run_history(args: argparse.Namespace, *, out: TextIO) -> int:
    """The run history, newest first: type, direction, counts, duration, status."""
    store = open_store(args)
    try:
        with library_errors():
            company = pick(store, args.realm, connected=False)
            runs = store.list_runs(realm_id=company.realm_id, limit=args.limit,
                                   include_failures=args.failures or args.json)
    finally:
        store.close()
    if args.json:
        _json_out(out, {"realm_id": company.realm_id, "runs": [
            {**summary.run(r), "finished_at": _iso(r.finished_at), "message": r.message,
             "throttled": r.throttled_requests,
             "failures": [{"entity": f.entity_type, "local_id": f.local_id,
                           "reason": f.reason_code, "message": f.message,
                           "qbo_id": f.qbo_id, "intuit_tid": f.intuit_tid}
                          for f in r.failures]} for r in runs]})
        return 0
    if not runs:
        _emit(out, [f"{company.name}: no runs yet (qbo-sync sync)"])
        return 0
    rows = []
    for run in runs:
        t = _total(run)
        rows.append([_when(run.started_at), run.direction.value, run.kind.value,
                     run.status.value, t.created, t.updated, t.matched, t.failed, t.skipped,
                     run.requests, _duration(run)])
    lines = [f"{company.name}: {plural(len(runs), 'run')}, newest first"]
    table = _table(("started", "direction", "type", "status", "created", "updated",
                    "matched", "failed", "skipped", "requests", "duration"), rows)
    lines.append(table[0])
    for run, line in zip(runs, table[1:], strict=True):
        lines.append(line)
        if run.message:
            lines.append(f"      {run.message}")
        if args.failures:
            for f in run.failures:
                tid = f" [intuit_tid {f.intuit_tid}]" if f.intuit_tid else ""
                lines.append(f"      failed {f.entity_type} {f.local_id or '-'}: "
                             f"{f.reason_code}: {' '.join(f.message.split())}{tid}")
    _emit(out, lines)
    return 0


# -- health -----------------------------------------------------------------------------


def run_health(args: argparse.Namespace, *, out: TextIO) -> int:
    """The health score (tier, dots, reasons with actions) and the dashboard figures."""
    store = open_store(args)
    try:
        with library_errors():
            company = pick(store, args.realm, connected=False)
            now = dt.datetime.now(dt.timezone.utc)
            report = health_for_realm(store, company.realm_id, now=now)
            board = dashboard_for_realm(store, company.realm_id, now=now)
    finally:
        store.close()
    if args.json:
        _json_out(out, {"realm_id": company.realm_id, "health": summary.health(report),
                        "dashboard": summary.dashboard(board)})
        return 0
    lines = [f"{company.name}",
             f"  health  {report.score}/100 {report.tier.label} {dots(report.dots)} "
             f"({report.color})"]
    lines += [f"    -{r.points} {r.message} -> {r.action}" for r in report.reasons]
    if not report.reasons:
        lines.append("    nothing to fix")
    lines += _table(("entity", "synced", "pending", "failed", "last synced"),
                    [[row.entity, row.synced, row.pending, row.failed,
                      _when(row.last_synced_at)] for row in board.entities])
    recent = board.recent
    lines.append(f"  last 24 h: {plural(recent.runs, 'run')} ({recent.failed_runs} failed), "
                 f"{recent.records} records written, {recent.failures} failed, "
                 f"{recent.skipped} skipped")
    _emit(out, lines)
    return 0


# -- disconnect -------------------------------------------------------------------------


def _confirm(question: str, *, err: TextIO, stdin: TextIO) -> bool:
    err.write(f"{question} [y/N] ")
    err.flush()
    return stdin.readline().strip().lower() in ("y", "yes")


def run_disconnect(args: argparse.Namespace, *, out: TextIO, err: TextIO,
                   stdin: TextIO | None = None) -> int:
    """Revoke the tokens at Intuit and delete them, after voiding synced invoices if asked."""
    stdin = stdin or sys.stdin
    store = open_store(args)
    try:
        with library_errors():
            company = pick(store, args.realm, connected=args.void_invoices)
            if company.connection.status is ConnectionStatus.DISCONNECTED:
                out.write(f"{company.name} is already disconnected\n")
                out.flush()
                return 0
            invoices = [link for link in store.list_links(company.realm_id,
                                                          entity_type="Invoice")
                        if link.qbo_id]
            if args.void_invoices and not args.yes:
                question = (f"Void {plural(len(invoices), 'invoice')} in QuickBooks company "
                            f"{company.name}, then disconnect?")
                if not stdin.isatty():
                    raise CLIError(f"--void-invoices voids {plural(len(invoices), 'invoice')} "
                                   "in QuickBooks and cannot be undone",
                                   exit_code=EXIT_USAGE, hint="add --yes to confirm")
                if not _confirm(question, err=err, stdin=stdin):
                    raise CLIError("not confirmed; nothing was done", exit_code=EXIT_FAILED)
            oauth = oauth_manager(store, args, company)
            progress = CliProgress(err)
            try:
                if args.void_invoices:
                    ready(oauth, company)
                    err.write(f"voiding {plural(len(invoices), 'invoice')} the product "
                              "synced\n")
                    err.flush()
                with SyncEngine.for_realm(oauth, company.realm_id, store=store,
                                          progress=progress) as engine:
                    voids, done = engine.disconnect(oauth, void_invoices=args.void_invoices)
            finally:
                progress.stop()
                oauth.close()
    finally:
        store.close()
    lines = []
    if voids is not None:
        lines += _run_lines("void", voids)
    lines.append(f"disconnected {company.name}: "
                 + ("revoked at Intuit, " if done.revoked else "")
                 + ("tokens deleted" if done.tokens_deleted else "no tokens were stored")
                 + "; links and run history kept (qbo-sync connect resumes)")
    _emit(out, lines)
    if done.revoke_error:
        err.write(f"qbo-sync: warning: Intuit did not confirm the revocation "
                  f"({done.revoke_error}); the tokens are deleted here anyway. Remove the "
                  "app under QuickBooks' Settings > Manage apps if it is still listed.\n")
        err.flush()
    if voids is not None and voids.message:
        raise CLIError(f"void {voids.message}", exit_code=EXIT_FAILED,
                       hint="the company is disconnected; reconnect to void the rest")
    if voids is not None and voids.failures:
        failed = _failed_error(voids, "void")
        raise CLIError(str(failed), exit_code=EXIT_FAILED,
                       hint="the company is disconnected; void those in QuickBooks by hand, "
                       "or reconnect and run disconnect --void-invoices again")
    return 0
