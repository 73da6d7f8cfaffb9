"""``qbo-sync`` on a company: every command run as a user runs it, against ``qbo-sync fake-server``.

One ``qbo-sync fake-server`` process per test module (per xdist worker) serves
the fake QuickBooks Online over loopback HTTP. Each test adds its own company
and OAuth app to it (``/_fake/companies``, ``/_fake/apps``), then runs
``python -m qbo_sync COMMAND`` in a subprocess with the ``QUICKBOOKS_*``
variables set, pointed at the fake with the hidden ``--api-base-url`` and
``--oauth-base-url``. The test plays the browser: it fetches the authorization
URL from the fake, which redirects to the CLI's loopback callback server.

Every secret the fake or the test handed out (client secret, encryption key,
authorization codes, every access and refresh token seen in the store) is
checked to appear in no command's output.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from qbo_sync import SyncEngine
from qbo_sync.auth import IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.cli._records import load_records
from qbo_sync.storage import SQLAlchemyStore, SQLiteStore, Store, TokenCipher

BROWSER = textwrap.dedent(
    """
    # The test's browser: consent on the fake for QBO_TEST_REALM, then the redirect.
    import os, sys
    from urllib.parse import parse_qs, urlsplit
    import httpx

    answer = httpx.get(sys.argv[1] + "&realmId=" + os.environ["QBO_TEST_REALM"], timeout=30)
    location = answer.headers["location"]
    with open(os.environ["QBO_TEST_BROWSER_LOG"], "a") as log:   # before the CLI may exit
        log.write(parse_qs(urlsplit(location).query).get("code", [""])[0] + "\\n")
    httpx.get(location, timeout=30)
    """
)

BOOK: dict[str, list[dict[str, Any]]] = {
    "Customer": [
        {"id": "c-1", "display_name": "Ada Lovelace", "email": "ada@example.com"},
        {"id": "c-2", "display_name": "Grace Hopper", "phone": "555-0100"},
    ],
    "Item": [{"id": "i-1", "name": "Boiler service", "unit_price": "60.00"}],
    "Invoice": [
        {"id": "inv-1", "customer_id": "c-1", "number": "1001", "date": "2026-03-01",
         "lines": [{"item_id": "i-1", "quantity": 2, "unit_price": "60.00"},
                   {"description": "Parts", "amount": "12.50"}]},
        {"id": "inv-2", "customer_id": "c-2", "number": "1002",
         "lines": [{"description": "Call-out", "amount": 95}]},
    ],
}
BOOK_RECORDS = sum(len(v) for v in BOOK.values())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("QUICKBOOKS_", "QBO_TEST_")) and k != "BROWSER"}


class FakeServer:
    """The ``qbo-sync fake-server`` process and its admin endpoints."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def add_company(self, name: str) -> str:
        answer = self.http.post("/_fake/companies", json={"company_name": name})
        assert answer.status_code == 201, answer.text
        realm: str = answer.json()["realm_id"]
        return realm

    def register_app(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        answer = self.http.post("/_fake/apps", json={
            "client_id": client_id, "client_secret": client_secret,
            "redirect_uris": [redirect_uri]})
        assert answer.status_code == 201, answer.text

    def api(self, realm: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A QBO API call with a token of the fake's own (as an accountant's app would)."""
        token = self.http.post("/_fake/tokens", json={"realm_id": realm}).json()["access_token"]
        return self.http.request(method, f"/v3/company/{realm}/{path}", headers={
            "Authorization": f"Bearer {token}", "Accept": "application/json"}, **kwargs)

    def query(self, realm: str, text: str) -> list[dict[str, Any]]:
        answer = self.api(realm, "GET", "query", params={"query": text})
        assert answer.status_code == 200, answer.text
        entity = text.split()[3]
        found: list[dict[str, Any]] = answer.json()["QueryResponse"].get(entity, [])
        return found

    def writes(self) -> int:
        counted = self.http.get("/_fake/stats").json()["requests"]
        return int(counted.get("write", 0)) + int(counted.get("batch", 0))


@pytest.fixture(scope="module")
def fake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeServer]:
    """``qbo-sync fake-server`` on a free loopback port, for this module."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "qbo_sync", "fake-server", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_clean_env(),
        cwd=tmp_path_factory.mktemp("fake-server"),
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == f"FakeQBO on http://127.0.0.1:{port}"
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30  # a start-up deadline, not a speed assertion
        while True:
            try:
                httpx.get(f"{base}/.well-known/openid_configuration", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.05)
        fake = FakeServer(base)
        yield fake
        fake.http.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


class Cli:
    """A user's shell: a company on the fake, an app, the variables, a database."""

    def __init__(self, fake: FakeServer, folder: Path, *, database_url: str | None = None,
                 redirect_uri: str | None = None) -> None:
        self.fake = fake
        self.folder = folder
        self.realm = fake.add_company(f"Company {secrets.token_hex(3)}")
        self.client_id = f"app-{secrets.token_hex(4)}"
        self.client_secret = secrets.token_urlsafe(24)
        self.redirect_uri = redirect_uri or f"http://localhost:{_free_port()}/callback"
        fake.register_app(self.client_id, self.client_secret, self.redirect_uri)
        self.key = TokenCipher.generate_key()
        self.db = folder / "qbo-sync.sqlite3"
        self.database_url = database_url
        self.browser_log = folder / "browser.log"
        script = folder / "browser.py"
        script.write_text(BROWSER)
        self.env = {
            **_clean_env(),
            "QUICKBOOKS_CLIENT_ID": self.client_id,
            "QUICKBOOKS_CLIENT_SECRET": self.client_secret,
            "QUICKBOOKS_REDIRECT_URI": self.redirect_uri,
            "QUICKBOOKS_ENVIRONMENT": "sandbox",
            "QUICKBOOKS_TOKEN_ENCRYPTION_KEY": self.key,
            "BROWSER": f"{sys.executable} {script} %s",
            "QBO_TEST_REALM": self.realm,
            "QBO_TEST_BROWSER_LOG": str(self.browser_log),
        }
        self.secrets = {self.client_secret, self.key}
        self.printed: list[str] = []

    def argv(self, command: str, *args: str, fake: bool = True) -> list[str]:
        where = (["--database-url", self.database_url] if self.database_url
                 else ["--db", str(self.db)])
        hosts = ["--api-base-url", self.fake.base_url,
                 "--oauth-base-url", self.fake.base_url] if fake else []
        return [sys.executable, "-m", "qbo_sync", command, *where, *hosts, *args]

    def run(self, command: str, *args: str, stdin: str = "", fake: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.argv(command, *args, fake=fake), input=stdin, capture_output=True, text=True,
            env=env if env is not None else self.env, cwd=self.folder, timeout=60, check=False,
        )
        self.printed += [done.stdout, done.stderr]
        self.collect_secrets()
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def ok(self, command: str, *args: str, stdin: str = "") -> str:
        done = self.run(command, *args, stdin=stdin)
        assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stderr}"
        return done.stdout

    def store(self) -> Store:
        cipher = TokenCipher([self.key])
        if self.database_url:
            return SQLAlchemyStore(self.database_url, encryption=cipher)
        return SQLiteStore(self.db, encryption=cipher)

    def collect_secrets(self) -> None:
        """Every token the store holds now, and every code the browser saw."""
        if self.browser_log.exists():
            self.secrets.update(c for c in self.browser_log.read_text().split() if c)
        if self.database_url is None and not self.db.exists():
            return
        store = self.store()
        try:
            tokens = store.get_tokens(self.realm)
        finally:
            store.close()
        if tokens is not None:
            self.secrets.update({tokens.access_token, tokens.refresh_token})

    def connect(self) -> None:
        """``qbo-sync connect`` with the test's browser (``$BROWSER``)."""
        out = self.ok("connect", "--timeout", "30")
        assert out.startswith("connected: Company ")
        assert f"realm {self.realm}, sandbox" in out

    def start(self, command: str, *args: str) -> Running:
        """A command left running (``connect``), its stderr read line by line."""
        return Running(self, self.argv(command, *args))

    # In-process set-up for tests about other commands: the library, as the CLI uses it.

    def oauth(self, store: Store) -> OAuthManager:
        config = OAuthConfig(client_id=self.client_id, client_secret=self.client_secret,
                             redirect_uri=self.redirect_uri, environment="sandbox",
                             token_encryption_key=self.key)
        return OAuthManager(store=store, config=config, api_base_url=self.fake.base_url,
                            endpoints=IntuitEndpoints.for_base_url(self.fake.base_url))

    def connect_in_process(self) -> None:
        """What ``connect`` does, without a process and a browser (set-up only)."""
        with contextlib.closing(self.store()) as store, self.oauth(store) as oauth:
            url = oauth.authorization_url().url + f"&realmId={self.realm}"
            callback = self.fake.http.get(url).headers["location"]
            self.secrets.update(parse_qs(urlsplit(callback).query)["code"])
            assert oauth.handle_callback(callback).ok
        self.collect_secrets()

    def set_up(self, work: Callable[[SyncEngine], object]) -> None:
        """Run ``work`` on an engine of the company (accounts mapped or runs made as set-up)."""
        with contextlib.closing(self.store()) as store, self.oauth(store) as oauth, \
                SyncEngine.for_realm(oauth, self.realm, store=store) as engine:
            work(engine)
        self.collect_secrets()

    def map_accounts(self) -> Cli:
        self.set_up(lambda engine: engine.map_accounts(**engine.suggest_accounts()))
        return self

    def push(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.set_up(lambda engine: engine.push(load_records(str(self.records(data)))))

    def records(self, data: dict[str, Any], name: str = "book.json") -> Path:
        path = self.folder / name
        path.write_text(json.dumps(data))
        return path

    def assert_no_secret_printed(self, *, seen: int = 5) -> None:
        """No secret in any output; ``seen``: key, client secret, a code, two tokens."""
        text = "\n".join(self.printed)
        leaked = sorted(s for s in self.secrets if s and s in text)
        assert len(self.secrets) >= seen
        assert leaked == [], f"{len(leaked)} secret(s) printed"


class Running:
    """A command running in the background; a thread collects its stderr lines."""

    def __init__(self, cli: Cli, argv: list[str]) -> None:
        self._cli = cli
        self.proc = subprocess.Popen(argv, env=cli.env, cwd=cli.folder, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def url(self) -> str:
        """The authorization URL the command printed (waits for it)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if "/connect/oauth2?" in line:
                    return line.strip()
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError("no authorization URL printed: " + "".join(self.lines))

    def finish(self, stdin: str = "") -> tuple[int, str, str]:
        """Send ``stdin``, wait, and return the status, stdout and stderr."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        if stdin:
            self.proc.stdin.write(stdin)
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        self.proc.wait(timeout=60)
        self._reader.join(timeout=30)
        self.proc.stdout.close()
        err = "".join(self.lines)
        self._cli.printed += [out, err]
        self._cli.collect_secrets()
        assert "Traceback" not in err, err
        return self.proc.returncode, out, err


@pytest.fixture
def cli(fake_server: FakeServer, tmp_path: Path) -> Cli:
    """A fresh company, app and SQLite database; not connected yet."""
    return Cli(fake_server, tmp_path)


@pytest.fixture
def connected(cli: Cli) -> Cli:
    """``cli`` with the company connected (in process: ``connect`` has tests of its own)."""
    cli.connect_in_process()
    return cli


# -- connect ------------------------------------------------------------------------------


def test_connect_flow_with_the_test_as_browser(cli: Cli) -> None:
    """``connect --no-browser`` prints Intuit's (here the fake's) URL and listens on the
    redirect URI; the test fetches the URL, follows the redirect to the CLI's loopback server
    and sees the "Connected" page; the tokens are stored encrypted (not in the file in clear)
    and no secret is printed."""
    running = cli.start("connect", "--no-browser", "--timeout", "30")
    url = running.url()
    assert url.startswith(f"{cli.fake.base_url}/connect/oauth2?")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [cli.client_id]
    assert query["redirect_uri"] == [cli.redirect_uri]
    consent = httpx.get(url + f"&realmId={cli.realm}", timeout=30)   # Intuit's page: 302
    assert consent.status_code == 302
    callback = consent.headers["location"]
    assert callback.startswith(cli.redirect_uri + "?")
    cli.secrets.update(parse_qs(urlsplit(callback).query)["code"])
    page = httpx.get(callback, timeout=30)                            # the CLI's server
    assert page.status_code == 200
    assert "Connected to Company " in page.text
    status, out, err = running.finish()
    assert status == 0, err
    assert out.startswith("connected: Company ")
    assert f"realm {cli.realm}, sandbox" in out
    assert f"Waiting for the callback on {cli.redirect_uri}" in err
    raw = cli.db.read_bytes()
    with contextlib.closing(cli.store()) as store:
        tokens = store.get_tokens(cli.realm)
    assert tokens is not None
    assert tokens.version == 1
    assert tokens.access_token.encode() not in raw
    assert tokens.refresh_token.encode() not in raw
    cli.assert_no_secret_printed()


def test_connect_opens_the_browser_and_works_on_a_sqlalchemy_database(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """Without --no-browser, connect opens ``$BROWSER`` (here a script that consents and follows
    the redirect); with --database-url the tokens go to SQLAlchemyStore, and status and a pull
    read them from there."""
    cli = Cli(fake_server, tmp_path, database_url=f"sqlite:///{tmp_path / 'sa.sqlite3'}")
    cli.connect()
    out = cli.ok("status")
    assert "state        connected" in out
    assert cli.run("sync", "--direction", "pull").returncode == 0
    cli.assert_no_secret_printed()


def test_connect_cancelled_on_intuits_page_says_so(cli: Cli) -> None:
    """When the user presses Cancel (Intuit redirects with error=access_denied), connect exits 1
    with the reason and a hint, and the browser is told too; a request with another state is
    refused while the wait goes on; nothing is connected."""
    running = cli.start("connect", "--no-browser", "--timeout", "30")
    state = parse_qs(urlsplit(running.url()).query)["state"][0]
    stray = httpx.get(f"{cli.redirect_uri}?error=access_denied&state=someone-else", timeout=30)
    assert stray.status_code == 400
    page = httpx.get(f"{cli.redirect_uri}?error=access_denied&state={state}", timeout=30)
    assert page.status_code == 400
    assert "Not connected" in page.text
    status, _, err = running.finish()
    assert status == 1
    assert "qbo-sync: error: connect failed (access_denied)" in err
    assert "qbo-sync: hint: run qbo-sync connect again and choose Connect" in err
    assert cli.run("status").returncode == 3


def test_connect_times_out_and_refuses_a_bad_configuration(cli: Cli) -> None:
    """No callback within --timeout exits 1 with a hint; missing or malformed QUICKBOOKS_*
    variables exit 2 naming every variable at fault, never echoing a secret."""
    done = cli.run("connect", "--no-browser", "--timeout", "1")
    assert done.returncode == 1
    assert "qbo-sync: error: no sign-in callback within 1 s" in done.stderr
    assert "qbo-sync: hint: run qbo-sync connect again" in done.stderr
    env = {k: v for k, v in cli.env.items() if k != "QUICKBOOKS_CLIENT_ID"}
    env["QUICKBOOKS_REDIRECT_URI"] = "http://example.com/callback"
    done = cli.run("connect", "--no-browser", env=env)
    assert done.returncode == 2
    error = done.stderr.splitlines()[0]
    assert "QUICKBOOKS_CLIENT_ID is not set" in error
    assert "QUICKBOOKS_REDIRECT_URI: 'http://example.com/callback'" in error
    assert "qbo-sync: hint: set QUICKBOOKS_CLIENT_ID" in done.stderr
    cli.assert_no_secret_printed(seen=2)


def test_connect_by_pasting_the_callback_for_a_non_loopback_redirect(
    fake_server: FakeServer, tmp_path: Path
) -> None:
    """With an https redirect URI nothing can listen locally: connect asks for the address the
    browser was sent to, and the pasted callback connects the company."""
    cli = Cli(fake_server, tmp_path, redirect_uri="https://app.example.com/qbo/callback")
    running = cli.start("connect", "--no-browser")
    url = running.url()
    callback = httpx.get(url + f"&realmId={cli.realm}", timeout=30).headers["location"]
    assert callback.startswith("https://app.example.com/qbo/callback?")
    cli.secrets.update(parse_qs(urlsplit(callback).query)["code"])
    status, out, err = running.finish(callback + "\n")
    assert status == 0, err
    assert "paste the full address" in err
    assert out.startswith("connected: Company ")
    assert cli.realm in out
    cli.assert_no_secret_printed()


# -- status, test-connection, map-accounts -----------------------------------------------


def test_status_test_connection_and_map_accounts(connected: Cli) -> None:
    """status shows the connection (state, expiry times, never tokens) and that accounts are not
    mapped; test-connection reads CompanyInfo; map-accounts shows QuickBooks' suggestions and
    --suggested saves them, which status --json then shows."""
    cli = connected
    out = cli.ok("status")
    assert f"realm {cli.realm}, sandbox" in out
    assert "state        connected" in out
    assert "refresh until 20" in out
    assert "accounts     not mapped" in out
    assert "qbo-sync map-accounts --suggested" in out
    out = cli.ok("test-connection")
    assert out.startswith("ok: Connected to Company ")
    assert cli.realm in out
    out = cli.ok("map-accounts")
    assert "income               not mapped   suggested: 1" in out
    assert "accounts receivable  not mapped   suggested: 3" in out
    out = cli.ok("map-accounts", "--suggested")
    assert "income               1 (saved now)" in out
    (company,) = json.loads(cli.ok("status", "--json"))["companies"]
    assert company["realm_id"] == cli.realm
    assert company["state"] == "connected"
    assert company["account_mapping"] == {"income": "1", "accounts_receivable": "3", "bank": "6",
                                          "accounts_payable": "7", "expense": "9"}
    assert company["last_run"] is None
    cli.assert_no_secret_printed()


# -- sync ----------------------------------------------------------------------------------


def test_sync_push_of_a_records_file_then_a_second_sync_writes_nothing(connected: Cli) -> None:
    """A dry run plans without writing; sync --records creates every record in QuickBooks
    (checked through the API), with progress on stderr; the same file again is skipped record
    by record with no request at all."""
    cli = connected.map_accounts()
    book = cli.records(BOOK)
    writes = cli.fake.writes()
    plan = cli.run("sync", "--records", str(book), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.startswith("plan (dry run: nothing written)")
    assert plan.stdout.splitlines()[1].split() == [
        "entity", "create", "update", "match", "void", "delete", "inactivate", "skip", "fail"]
    assert plan.stdout.splitlines()[3].split() == ["Customer", "2", "0", "0", "0", "0", "0",
                                                   "0", "0"]
    assert cli.fake.writes() == writes
    assert cli.fake.query(cli.realm, "select * from Customer") == []

    first = cli.run("sync", "--records", str(book), "--direction", "push")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("push: success; 6 created, 0 updated")  # + default item
    assert "pushing 5 records from" in first.stderr
    assert "Invoice    [########################]      2/2" in first.stderr
    names = {c["DisplayName"] for c in cli.fake.query(cli.realm, "select * from Customer")}
    assert names == {"Ada Lovelace", "Grace Hopper"}
    (invoice,) = cli.fake.query(cli.realm, "select * from Invoice where DocNumber = '1001'")
    assert invoice["TotalAmt"] == 132.5
    writes = cli.fake.writes()

    again = cli.run("sync", "--records", str(book), "--direction", "push", "--json")
    assert again.returncode == 0, again.stderr
    push = json.loads(again.stdout)["push"]
    assert push["totals"]["skipped"] == BOOK_RECORDS
    assert push["totals"]["created"] == 0
    assert push["write_requests"] == 0
    assert push["requests"] == 0
    assert cli.fake.writes() == writes
    cli.assert_no_secret_printed()


def test_sync_pushes_vendors_and_expenses_as_purchases_and_bills(connected: Cli) -> None:
    """A records file with vendors and expenses: a purchase and a bill in QuickBooks; then
    ``--entity expense`` selects the expenses (both QBO entities): one changed memo goes out."""
    cli = connected.map_accounts()
    records = {
        "Vendor": [{"id": "v-1", "display_name": "Pipe World"}],
        "Expense": [
            {"id": "e-1", "vendor_id": "v-1", "payment_type": "Check",
             "lines": [{"amount": "42.50", "description": "Copper pipe"}]},
            {"id": "e-2", "vendor_id": "v-1", "entity": "Bill", "due_date": "2026-04-01",
             "lines": [{"amount": 310, "description": "Boiler"}]},
        ],
    }
    first = cli.run("sync", "--records", str(cli.records(records)), "--direction", "push")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("push: success; 3 created, 0 updated")
    (purchase,) = cli.fake.query(cli.realm, "select * from Purchase")
    (bill,) = cli.fake.query(cli.realm, "select * from Bill")
    assert (purchase["PaymentType"], purchase["TotalAmt"]) == ("Check", 42.5)
    assert (bill["DueDate"], bill["Balance"]) == ("2026-04-01", 310)
    records["Expense"][0]["memo"] = "paid by cheque 1042"
    again = cli.run("sync", "--records", str(cli.records(records)), "--direction", "push",
                    "--entity", "expense", "--json")
    assert again.returncode == 0, again.stderr
    push = json.loads(again.stdout)["push"]
    assert push["counts"]["Vendor"]["skipped"] == 1  # in the file, not selected
    assert (push["counts"]["Purchase"]["updated"], push["counts"]["Bill"]["skipped"]) == (1, 1)
    (purchase,) = cli.fake.query(cli.realm, "select * from Purchase")
    assert purchase["PrivateNote"] == "paid by cheque 1042"


def test_configure_saves_the_expense_choice_and_tax_codes_then_sync_uses_them(
    connected: Cli
) -> None:
    """configure lists the company's tax codes and the defaults; --expense-entity Bill and
    --tax-code are saved (a TaxCode the company lacks is refused, exit 2, nothing saved); the
    next sync writes an expense without an entity of its own as a bill."""
    cli = connected.map_accounts()
    out = cli.ok("configure")
    assert "expense entity       Purchase (default)" in out
    assert "none mapped: qbo-sync configure --tax-code LOCAL=ID" in out
    assert "    TAX " in out
    assert "    NON " in out
    refused = cli.run("configure", "--expense-entity", "Bill", "--tax-code", "standard=999")
    assert refused.returncode == 2
    assert "--tax-code: no TaxCode 999" in refused.stderr
    assert "Purchase (default)" in cli.ok("configure")
    out = cli.ok("configure", "--expense-entity", "Bill", "--tax-code", "standard=TAX",
                 "--tax-code", "exempt=NON")
    assert "expense entity       Bill\n" in out
    assert "    exempt -> NON" in out
    assert "    standard -> TAX" in out
    bad = cli.run("configure", "--tax-code", "standard")
    assert bad.returncode == 2
    assert "expected LOCAL=QBO_ID" in bad.stderr
    records = {
        "Vendor": [{"id": "v-1", "display_name": "Pipe World"}],
        "Expense": [{"id": "e-1", "vendor_id": "v-1",
                     "lines": [{"amount": "42.50", "description": "Copper pipe"}]}],
    }
    done = cli.run("sync", "--records", str(cli.records(records)), "--direction", "push")
    assert done.returncode == 0, done.stderr
    (bill,) = cli.fake.query(cli.realm, "select * from Bill")
    assert bill["TotalAmt"] == 42.5
    assert cli.fake.query(cli.realm, "select * from Purchase") == []
    cli.assert_no_secret_printed()


def test_pull_writes_quickbooks_changes_as_json_lines(connected: Cli) -> None:
    """After a push, a customer an accountant adds in QuickBooks comes out of sync --direction
    pull as a JSON line on stdout, with the report on stderr; with --entity and --output the
    lines go to the file and the report to stdout, and only that entity is read."""
    cli = connected.map_accounts()
    cli.push(BOOK)
    added = cli.fake.api(cli.realm, "POST", "customer", json={"DisplayName": "Walk-in Wanda"})
    assert added.status_code == 200, added.text

    done = cli.run("sync", "--direction", "pull")
    assert done.returncode == 0, done.stderr
    changes = [json.loads(line) for line in done.stdout.splitlines()]
    created = {(c["entity"], c["record"]["display_name" if c["entity"] == "Customer" else "name"])
               for c in changes if c["kind"] == "created"}
    assert created == {("Customer", "Walk-in Wanda"), ("Item", "Services")}  # QBO's own item
    assert {c["local_id"] for c in changes if c["kind"] == "created"} == {None}
    assert "pull: success; 2 created" in done.stderr
    assert "echoes of our own writes skipped" in done.stderr

    target = cli.folder / "changes.jsonl"
    out = cli.ok("sync", "--direction", "pull", "--entity", "customers", "--output", str(target))
    assert out.startswith("pull: success")
    assert f"written to {target}" in out
    again = [json.loads(line) for line in target.read_text().splitlines()]
    # At least once: an object nobody linked comes again within the cursor's overlap.
    assert {c["entity"] for c in again} <= {"Customer"}
    assert {c["qbo_id"] for c in again} <= {c["qbo_id"] for c in changes}
    cli.assert_no_secret_printed()


def test_unmapped_accounts_fail_with_a_hint_then_retry_failed_pushes_them(connected: Cli) -> None:
    """Without mapped accounts the items and invoices fail (mapping_missing): exit 1, a line per
    failure with its reason, one error line and a hint to map accounts; after map-accounts,
    retry-failed --records creates exactly the failed ones, and then has nothing to do."""
    cli = connected
    book = cli.records(BOOK)
    done = cli.run("sync", "--records", str(book), "--direction", "push")
    assert done.returncode == 1
    assert done.stdout.startswith("push: partial; 2 created, 0 updated, 0 matched, 3 failed")
    assert "  failed  Invoice inv-1: mapping_missing: " in done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("qbo-sync: ")]
    assert errors[0].startswith("qbo-sync: error: push: 3 records failed (mapping_missing x3)")
    assert errors[1] == ("qbo-sync: hint: map the accounts: qbo-sync map-accounts --suggested, "
                         "then qbo-sync retry-failed --records FILE")
    assert len(errors) == 2

    cli.ok("map-accounts", "--suggested")
    out = cli.ok("retry-failed", "--records", str(book))
    assert out.startswith("retry: success; 4 created")          # + the default item
    out = cli.ok("retry-failed", "--records", str(book))
    assert out.endswith("nothing to retry, no record failed\n")
    cli.assert_no_secret_printed()


# -- history and health --------------------------------------------------------------------


def test_history_and_health(connected: Cli) -> None:
    """history lists the runs newest first with direction, type, status, counts and duration,
    and with --failures each failure's reason; health shows the score, tier, dots, reasons and
    the per-entity dashboard; both have --json."""
    cli = connected
    cli.push(BOOK)                              # fails: accounts not mapped
    cli.map_accounts()
    cli.set_up(lambda engine: engine.retry_failed(load_records(str(cli.records(BOOK)))))

    out = cli.ok("history", "--failures")
    lines = out.splitlines()
    assert lines[0].endswith("2 runs, newest first")
    assert lines[1].split() == ["started", "direction", "type", "status", "created", "updated",
                                "matched", "failed", "skipped", "requests", "duration"]
    assert lines[2].split()[3:10] == ["push", "record", "success", "4", "0", "0", "0"]
    assert lines[3].split()[3:10] == ["push", "entity", "partial", "2", "0", "0", "3"]
    assert "      failed Invoice inv-1: mapping_missing:" in out
    runs = json.loads(cli.ok("history", "--json", "--limit", "1"))["runs"]
    assert [(r["direction"], r["kind"], r["status"]) for r in runs] == [
        ("push", "record", "success")]

    out = cli.ok("health")
    assert re.fullmatch(r"  health  \d{1,3}/100 \w+ [●○]{5} \(\w+\)", out.splitlines()[1])
    assert any(line.split()[:4] == ["Invoice", "2", "0", "0"] for line in out.splitlines())
    health = json.loads(cli.ok("health", "--json"))
    assert health["health"]["score"] <= 100
    assert health["health"]["tier"] in {"excellent", "good", "warning"}
    assert health["dashboard"]["entities"]["Customer"] == {"synced": 2, "pending": 0, "failed": 0}
    cli.assert_no_secret_printed()


# -- disconnect ----------------------------------------------------------------------------


def test_disconnect_void_invoices_voids_them_and_revokes(connected: Cli) -> None:
    """disconnect --void-invoices asks for --yes when it cannot prompt; with --yes every pushed
    invoice is voided in QuickBooks, the grant is revoked (the old access token is refused) and
    the company shows as disconnected; commands that need QBO then exit 3 with a hint."""
    cli = connected.map_accounts()
    cli.push(BOOK)
    with contextlib.closing(cli.store()) as store:
        tokens = store.get_tokens(cli.realm)
    assert tokens is not None

    refused = cli.run("disconnect", "--void-invoices")               # stdin is not a terminal
    assert refused.returncode == 2
    assert "voids 2 invoices in QuickBooks and cannot be undone" in refused.stderr
    assert "qbo-sync: hint: add --yes to confirm" in refused.stderr

    out = cli.ok("disconnect", "--void-invoices", "--yes")
    assert out.startswith("void: success; 0 created, 2 updated")
    assert "revoked at Intuit, tokens deleted; links and run history kept" in out
    invoices = cli.fake.query(cli.realm, "select * from Invoice")
    assert sorted((i["DocNumber"], i["TotalAmt"]) for i in invoices) == [("1001", 0), ("1002", 0)]
    answer = cli.fake.http.get(f"/v3/company/{cli.realm}/companyinfo/{cli.realm}",
                               headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert answer.status_code == 401

    status = cli.run("status")
    assert status.returncode == 3
    assert "state        disconnected (user_disconnected)" in status.stdout
    done = cli.run("sync", "--direction", "pull")
    assert done.returncode == 3
    assert "qbo-sync: hint: connect a company first: qbo-sync connect" in done.stderr
    cli.assert_no_secret_printed()


# -- error paths ---------------------------------------------------------------------------


def test_not_connected_exits_3_with_a_hint_to_connect(cli: Cli) -> None:
    """No database, or a database with no company: commands that need one exit 3 with one
    error line and the hint to connect, and no traceback."""
    for command in ("status", "sync", "disconnect"):
        done = cli.run(command)
        assert done.returncode == 3, (command, done.stderr)
        assert done.stderr.splitlines() == [
            f"qbo-sync: error: no database at {cli.db}: no QuickBooks company is connected there",
            "qbo-sync: hint: connect a company first: qbo-sync connect (or pass the --db / "
            "--database-url it was connected with)",
        ]
    SQLiteStore(cli.db, encryption=None).close()                        # empty, not connected
    done = cli.run("sync", "--direction", "pull")
    assert done.returncode == 3
    assert done.stderr.splitlines()[-2:] == [
        "qbo-sync: error: no QuickBooks company is connected",
        "qbo-sync: hint: connect a company first: qbo-sync connect",
    ]


def test_bad_database_url_and_bad_records_exit_2(cli: Cli) -> None:
    """A --database-url that is not a URL or names no known dialect exits 2 with the password
    masked; a records file with an unknown field or a bad amount exits 2 naming the record and
    the field, before anything is opened; a push without a records file exits 2."""
    for url in ("not a url", "nosuchdb://ada:hunter2secret@localhost/qbo"):
        done = subprocess.run(
            [sys.executable, "-m", "qbo_sync", "status", "--database-url", url],
            capture_output=True, text=True, env=cli.env, cwd=cli.folder, timeout=60, check=False)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("qbo-sync: error: --database-url ")
        assert "hunter2secret" not in done.stderr
        assert "Traceback" not in done.stderr
    bad = cli.records({"Customer": [{"id": "c-1", "display_name": "Ada", "emial": "a@b"}],
                       "Invoice": [{"id": "i", "customer_id": "c-1",
                                    "lines": [{"amount": True}]}]}, "bad.json")
    done = cli.run("sync", "--records", str(bad))
    assert done.returncode == 2
    error = done.stderr.splitlines()[0]
    assert "extra fields found (emial) @ Customer[0]" in error
    assert "@ Invoice[0].lines[0].amount" in error
    done = cli.run("sync", "--direction", "push")
    assert done.returncode == 2
    assert "needs --records FILE" in done.stderr


def test_a_record_quickbooks_refuses_shows_its_code_and_intuit_tid(connected: Cli) -> None:
    """A customer whose name QuickBooks already uses for a vendor fails with duplicate_name:
    its line and the one error line carry the intuit_tid, and the hint says to rename it."""
    cli = connected
    vendor = cli.fake.api(cli.realm, "POST", "vendor", json={"DisplayName": "Hedy Lamarr"})
    assert vendor.status_code == 200, vendor.text
    book = cli.records({"Customer": [{"id": "c-9", "display_name": "Hedy Lamarr"}]})
    done = cli.run("sync", "--records", str(book), "--direction", "push")
    assert done.returncode == 1
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("  failed  ")]
    tid = re.search(r"\[intuit_tid (\S+)\]$", line)
    assert tid is not None, line
    assert line.startswith("  failed  Customer c-9: duplicate_name: ")
    errors = [x for x in done.stderr.splitlines() if x.startswith("qbo-sync: ")]
    assert errors == [
        "qbo-sync: error: push: 1 record failed (duplicate_name x1) "
        f"[first: Customer c-9, intuit_tid {tid[1]}]",
        "qbo-sync: hint: QuickBooks uses the name for another object (a vendor?): rename the "
        "record in the file, then qbo-sync retry-failed --records FILE",
    ]


def test_quickbooks_unreachable_exits_4_with_a_hint_to_retry_later(connected: Cli) -> None:
    """When QuickBooks does not answer (nothing listens on the API host), test-connection says
    unavailable, exits 4 and hints to retry later."""
    closed = f"http://127.0.0.1:{_free_port()}"
    done = cli_run_with_api(connected, closed, "test-connection")
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("qbo-sync: error: Company ")
    assert ": unavailable: " in done.stderr
    assert "qbo-sync: hint: retry later" in done.stderr


def cli_run_with_api(cli: Cli, api: str, command: str, *args: str
                     ) -> subprocess.CompletedProcess[str]:
    """``command`` with the OAuth host of the fake and another API host."""
    argv = [sys.executable, "-m", "qbo_sync", command, "--db", str(cli.db),
            "--oauth-base-url", cli.fake.base_url, "--api-base-url", api, *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=cli.env, cwd=cli.folder,
                          timeout=60, check=False)
    cli.printed += [done.stdout, done.stderr]
    assert "Traceback" not in done.stderr
    return done
