"""``qbo-sync demo``: the product's flows through SyncEngine, on SQLite and the fake QBO."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qbo_sync.cli import main
from qbo_sync.cli._demo import DemoOptions, run_demo
from qbo_sync.cli._progress import PushProgress
from qbo_sync.errors import EncryptionKeyError
from qbo_sync.storage import LinkStatus, RunDirection, RunKind, RunStatus, SQLiteStore, TokenCipher
from qbo_sync.testing import FakeQBO

from .conftest import file_secrets

STEP_HEADS = [
    "[1/10]  connect",
    "[2/10]  book",
    "[3/10]  accounts",
    "[4/10]  push",
    "[5/10]  payment",
    "[6/10]  void",
    "[7/10]  pull",
    "[8/10]  refresh",
    "[9/10]  runs",
    "[10/10] health",
]
ENTITIES = ["Item", "Customer", "Vendor", "Invoice", "CreditMemo", "Payment", "Purchase", "Bill"]


def _no_secret_in(text: str, secrets: set[str]) -> None:
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == [], f"{len(leaked)} secret(s) printed"


def _sections(out: str) -> dict[str, list[str]]:
    """The printed lines per step ("[4/10]  push" ...), plus "done" for the closing lines."""
    sections: dict[str, list[str]] = {}
    current = "head"
    for line in out.splitlines():
        for head in [*STEP_HEADS, "done"]:
            if line.startswith(head):
                current = head
        sections.setdefault(current, []).append(line)
    return sections


def _row(lines: list[str], entity: str) -> list[int]:
    """The figures of one row of the per-entity table."""
    (row,) = [line.split() for line in lines if line.split()[:1] == [entity]]
    return [int(n) for n in row[1:]]


def _json_run(db: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["demo", "--json", "--db", str(db), *extra]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    summary: dict[str, Any] = json.loads(out)
    return summary


def _product_rows(db: Path) -> dict[tuple[str, str], dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT entity, local_id, data FROM demo_records").fetchall()
    return {(entity, local_id): json.loads(data) for entity, local_id, data in rows}


def test_first_run_pushes_the_book_and_shows_each_flow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_secrets: set[str]
) -> None:
    """The default demo exits 0 and prints its ten steps: the book pushed through the engine
    (93 created, the deliberate failure and its fix), the invoice paid from a QBO payment and
    its webhook, the voided invoice, the pull; no token, code, key or secret is printed."""
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    heads = [h for line in out.splitlines() for h in STEP_HEADS if line.startswith(h)]
    assert heads == STEP_HEADS
    steps = {head: "\n".join(lines) for head, lines in _sections(out).items()}

    assert "connected before" not in steps["[1/10]  connect"]
    assert "token version 1, connected" in steps["[1/10]  connect"]
    book = steps["[2/10]  book"]
    assert "sample_book(): 25 customers, 5 items, 40 invoices, 10 payments, 3 credit memos" in book
    assert "+ customer cust-northwind 'Northwind Traders': QBO already has a vendor" in book
    assert "93 records saved in table demo_records" in book
    assert "suggest_accounts() -> map_accounts()" in steps["[3/10]  accounts"]

    push = steps["[4/10]  push"]
    assert "push(): all 93 records of the product's table" in push
    assert "93 created, 0 updated, 0 matched, 1 failed, 0 skipped" in push
    assert "the default service item 'Professional Services'" in push
    assert "failed (deliberate, as planned): Customer cust-northwind: duplicate_name" in push
    assert "QBO already uses the name 'Northwind Traders'" in push
    assert "rename it in the product or link it by hand" in push
    assert "intuit_tid 1-" in push
    assert "renamed 'Northwind Traders (customer)'; retry_failed(): create (1 batch write)" in push

    payment = steps["[5/10]  payment"]
    assert "an accountant records 677.52 against invoice INV-00040 in QuickBooks" in payment
    assert "2 signed deliveries verified by WebhookHandler, 2 accepted" in payment
    assert "Payment Create, Invoice Update" in payment
    assert "a tampered copy: 401 signature_mismatch" in payment
    assert "the product's invoice inv-00039: paid" in payment
    assert "timeline: Payment confirmed via QuickBooks: 677.52 received on " in payment
    assert "balance 0.00" in payment

    void = steps["[6/10]  void"]
    assert "the product voids invoice INV-00039 (inv-00038" in void
    assert "void sent in 1 batch write; in QBO now: total 0.00, note 'Voided'" in void
    pull = steps["[7/10]  pull"]
    assert "first pull: a paged query per entity" in pull
    assert "8 paid, 3 part-paid, 28 open, 1 voided" in pull
    assert "token version 1 -> 2, refresh token rotated" in steps["[8/10]  refresh"]
    assert "●" in steps["[10/10] health"]

    assert len(demo_secrets) >= 8  # tokens, codes, states, client secret, key were seen
    _no_secret_in(out, demo_secrets | file_secrets(db))


def test_first_run_table_and_run_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Step 9 shows the push per entity (created / updated / matched / failed / skipped) and
    the run history of every run the demo made, as the store saved them."""
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db)]) == 0
    runs = _sections(capsys.readouterr().out)["[9/10]  runs"]
    header = [line.split() for line in runs if "attempted" in line.split()]
    assert header == [
        ["entity", "attempted", "created", "updated", "matched", "failed", "skipped"]
    ]
    #                              attempted created updated matched failed skipped
    assert _row(runs, "Item") == [6, 6, 0, 0, 0, 0]  # 5 items + the default service item
    assert _row(runs, "Customer") == [26, 25, 0, 0, 1, 0]
    assert _row(runs, "Invoice") == [40, 40, 0, 0, 0, 0]
    assert _row(runs, "CreditMemo") == [3, 3, 0, 0, 0, 0]
    assert _row(runs, "Payment") == [10, 10, 0, 0, 0, 0]
    history = [line.split()[:3] for line in runs if line.split()[:1] in (["push"], ["pull"])]
    assert history == [
        ["pull", "full", "success"],
        ["push", "entity", "success"],
        ["pull", "webhook", "success"],
        ["push", "record", "success"],
        ["push", "full", "partial"],
    ]

    store = SQLiteStore(db, encryption=None)  # runs and links are not encrypted
    try:
        (connection,) = store.list_connections()
        realm = connection.realm_id
        saved = store.list_runs(realm_id=realm)
        first = saved[-1]
        assert (first.kind, first.direction, first.status) == (
            RunKind.FULL, RunDirection.PUSH, RunStatus.PARTIAL)
        assert first.counts["Invoice"].created == 40
        (failure,) = first.failures
        assert (failure.local_id, failure.reason_code) == ("cust-northwind", "duplicate_name")
        assert failure.intuit_tid
        counts = store.link_counts(realm)
        assert (counts["Customer"].synced, counts["Customer"].failed) == (26, 0)
        assert counts["Invoice"].synced == 40
        fixed = store.get_links(realm, "Customer", ["cust-northwind"])["cust-northwind"]
        assert fixed.status is LinkStatus.SYNCED
        assert fixed.qbo_id
        with pytest.raises(EncryptionKeyError):  # tokens are encrypted at rest
            store.get_tokens(realm)
    finally:
        store.close()


def test_first_run_leaves_the_product_and_qbo_in_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a run, the product's table holds the book (paid and voided invoices marked, the
    QBO payment and QBO's own item pulled in) and the fake's saved state holds the same story:
    the vendor, the renamed customer, the paid invoice and the voided one."""
    db = tmp_path / "demo.sqlite3"
    summary = _json_run(db, capsys=capsys)
    rows = _product_rows(db)
    # 93 + the accountant's payment + QBO's own "Services" item + QBO's vendor of step 2
    assert len(rows) == 96
    assert rows["Invoice", "inv-00039"]["balance"] == "0"
    assert rows["Invoice", "inv-00038"]["voided"] is True
    assert rows["Customer", "cust-northwind"]["display_name"] == "Northwind Traders (customer)"
    pulled = sorted(local_id for _, local_id in rows if "-qbo-" in local_id)
    assert pulled[:2] == ["item-qbo-1", f"payment-qbo-{summary['payment']['qbo_payment_id']}"]
    assert pulled[2].startswith("vendor-qbo-")  # the accountant's vendor of step 2
    assert rows["Vendor", pulled[2]]["display_name"] == "Northwind Traders"
    assert rows["Expense", "exp-00002"]["entity"] == "Bill"
    with sqlite3.connect(db) as conn:
        (note,) = conn.execute("SELECT note FROM demo_timeline").fetchone()
    assert note.startswith("Payment confirmed via QuickBooks: 677.52 received on ")

    for path in (Path(f"{db}.secrets.json"), Path(f"{db}.fake-qbo.json")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = json.loads(Path(f"{db}.secrets.json").read_text())["token_encryption_key"]
    store = SQLiteStore(db, encryption=TokenCipher([key]))
    fake = FakeQBO()
    try:
        realm = summary["company"]["realm_id"]
        assert store.get_tokens(realm) is not None  # the key beside the database reads them
        fake.load_state(Path(f"{db}.fake-qbo.json"))
        links = store.get_links(realm, "Invoice", ["inv-00038", "inv-00039"])
        voided = fake.read(realm, "Invoice", links["inv-00038"].qbo_id or "")
        paid = fake.read(realm, "Invoice", links["inv-00039"].qbo_id or "")
        assert voided is not None
        assert paid is not None
        assert (voided["TotalAmt"], voided["PrivateNote"]) == (0, "Voided")
        assert paid["Balance"] == 0
        names = {c["DisplayName"] for c in fake.objects(realm, "Customer")}
        assert "Northwind Traders (customer)" in names
        assert sorted(v["DisplayName"] for v in fake.objects(realm, "Vendor")) == \
            ["Acme Supplies", "Northside Fuel", "Northwind Traders", "Pipe World"]
        bills = fake.objects(realm, "Bill")
        assert [b["DocNumber"] for b in bills] == ["EXP-00003", "EXP-00006"]
        assert len(fake.objects(realm, "Purchase")) == 4
        assert fake.object_counts(realm)["Invoice"] == 40
    finally:
        store.close()


def test_second_run_skips_every_record_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_secrets: set[str]
) -> None:
    """A second demo on the same --db reconnects to the same company with the saved tokens,
    reports every record skipped and sends no write request at all (the fake's counter)."""
    db = tmp_path / "demo.sqlite3"
    first = _json_run(db, capsys=capsys)
    assert first["write_requests"] > 0
    second = _json_run(db, capsys=capsys)

    assert second["run_number"] == 2
    assert second["company"]["realm_id"] == first["company"]["realm_id"]
    assert second["company"]["connected_before"] is True
    assert second["book"]["generated"] is False
    records = second["book"]["records"]
    assert records == 96
    push = second["push"]
    assert push["totals"] == {"created": 0, "updated": 0, "matched": 0, "failed": 0,
                              "skipped": records}
    skipped = {e: c["skipped"] for e, c in push["counts"].items()}
    skipped["Expense"] = skipped.pop("Purchase") + skipped.pop("Bill")
    assert skipped == second["book"]["by_entity"]
    assert push["write_requests"] == 0
    assert push["failures"] == []
    assert push["fix"] is None
    assert second["payment"]["recorded"] is False
    assert second["payment"]["timeline"][0].startswith("Payment confirmed via QuickBooks")
    assert second["void"]["sent"] is False
    assert second["pull"]["method"] == "cdc"
    assert second["pull"]["totals"]["created"] == second["pull"]["totals"]["updated"] == 0
    assert second["write_requests"] == 0
    assert second["writes"] == 0
    assert second["requests"]["by_kind"].get("batch", 0) == 0
    assert second["requests"]["by_kind"].get("write", 0) == 0
    assert (second["tokens"]["version_before"], second["tokens"]["version_after"]) == (2, 3)
    assert len(second["runs"]) == 7
    _no_secret_in(json.dumps(first) + json.dumps(second), demo_secrets | file_secrets(db))


def test_second_run_prints_that_everything_was_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In text, the second run says what it reused and that the push skipped all 96 records
    with no request; the payment and the void are reported as done by the first run."""
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["demo", "--db", str(db), "--invoices", "12"]) == 0
    out = capsys.readouterr().out
    steps = {head: "\n".join(lines) for head, lines in _sections(out).items()}
    assert f"{db} (run 2 on this file)" in steps["head"]
    assert "fake-qbo.json: the fake QBO as the last run left it, loaded" in steps["head"]
    assert "connected before: tokens read from the database" in steps["[1/10]  connect"]
    assert "96 records read from table demo_records" in steps["[2/10]  book"]
    assert "--customers and --invoices only size a new book" in steps["[2/10]  book"]
    assert "mapped earlier, kept" in steps["[3/10]  accounts"]
    assert ("0 created, 0 updated, 0 matched, 0 failed, 96 skipped; 0 requests, "
            "0 batch writes") in steps["[4/10]  push"]
    assert "was paid in QuickBooks in an earlier run" in steps["[5/10]  payment"]
    assert "was voided in an earlier run" in steps["[6/10]  void"]
    assert "(0 write requests)" in steps["done"]


def test_a_run_that_did_not_finish_makes_the_next_start_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the fake QBO's saved state does not match the database (a run died before
    saving it), the next run says so and starts over with a new company and book."""
    db = tmp_path / "demo.sqlite3"
    first = _json_run(db, "--customers", "4", "--invoices", "5", capsys=capsys)
    state = Path(f"{db}.fake-qbo.json")
    state.write_bytes(state.read_bytes().replace(b'"Demo Rockets Ltd"', b'"Changed Ltd"'))
    again = _json_run(db, "--customers", "4", "--invoices", "5", capsys=capsys)
    assert again["started_over"] == (
        "the last run did not finish (the fake QBO's state does not match)"
    )
    assert again["run_number"] == 1
    assert again["company"]["realm_id"] != first["company"]["realm_id"]
    assert again["book"]["generated"] is True
    assert again["push"]["totals"]["created"] == first["push"]["totals"]["created"]


def test_json_summary_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_secrets: set[str]
) -> None:
    """``--json`` prints exactly one JSON document; its parts and figures follow the options
    (5 customers, 8 invoices: 5 items, 2 payments, 1 credit memo)."""
    db = tmp_path / "json.sqlite3"
    summary = _json_run(db, "--customers", "5", "--invoices", "8", capsys=capsys)
    assert set(summary) == {
        "version", "db", "files", "run_number", "started_over", "first_run",
        "company", "book", "accounts", "push", "payment", "void", "pull", "tokens", "runs",
        "health", "dashboard", "requests", "write_requests", "writes", "elapsed_seconds",
        "virtual_seconds",
    }
    assert (summary["db"], summary["run_number"]) == (str(db), 1)
    assert summary["files"]["fake_state"] == f"{db}.fake-qbo.json"
    assert summary["first_run"] is True
    assert summary["started_over"] is None
    assert summary["company"]["environment"] == "sandbox"
    assert summary["book"]["by_entity"] == {
        "Item": 5, "Customer": 6, "Vendor": 3, "Invoice": 8, "CreditMemo": 1, "Payment": 2,
        "Expense": 1}
    assert set(summary["accounts"]) == {"mapped_before", "income", "accounts_receivable",
                                        "expense", "bank", "accounts_payable", "names"}
    push = summary["push"]
    assert list(push["counts"]) == ENTITIES
    assert push["counts"]["Customer"] == {
        "created": 5, "updated": 0, "failed": 1, "skipped": 0, "matched": 0}
    (failure,) = push["failures"]
    assert failure["deliberate"] is True
    assert (failure["local_id"], failure["reason"]) == ("cust-northwind", "duplicate_name")
    assert push["fix"]["action"] == "create"
    assert push["fix"]["status"] == "success"
    payment = summary["payment"]
    assert (payment["invoice"], payment["number"]) == ("inv-00007", "INV-00008")
    assert payment["paid"] is True
    assert payment["balance"] == 0
    assert payment["webhook"]["accepted"] == payment["webhook"]["deliveries"] == 2
    assert payment["webhook"]["tampered"] == {"status": 401, "reason": "signature_mismatch"}
    assert payment["pull_events"]["counts"]["Invoice"]["updated"] == 2
    void = summary["void"]
    assert (void["invoice"], void["action"], void["qbo_total"]) == ("inv-00006", "void", 0)
    assert summary["pull"]["method"] == "query"
    tokens = summary["tokens"]
    assert (tokens["version_before"], tokens["version_after"]) == (1, 2)
    assert tokens["refresh_token_rotated"] is True
    assert tokens["encrypted_at_rest"] is True
    assert [(r["direction"], r["kind"]) for r in summary["runs"]][-1] == ("push", "full")
    assert summary["health"]["dots"] in range(1, 6)
    assert summary["dashboard"]["entities"]["Customer"] == {"synced": 6, "pending": 0,
                                                            "failed": 0}
    assert summary["requests"]["oauth"] >= 2
    assert summary["write_requests"] == (
        summary["requests"]["by_kind"]["batch"] + summary["requests"]["by_kind"]["write"])
    _no_secret_in(json.dumps(summary), demo_secrets | file_secrets(db))


def test_push_progress_in_plain_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Off a terminal, the push prints plain progress lines per entity: one per quarter
    passed and one when done, never hundreds; ``--json`` prints none."""
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db), "--customers", "150", "--invoices", "200"]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out
    push = _sections(out)["[4/10]  push"]
    progress = [line.split() for line in push if "[" in line and "%" in line]
    assert [row[0] for row in progress if row[-3] == "100%"] == ENTITIES
    invoices = [row[2] for row in progress if row[0] == "Invoice"]
    assert invoices == ["60/200", "120/200", "150/200", "200/200"]
    assert len(progress) <= 4 * len(ENTITIES)
    summary = _json_run(tmp_path / "quiet.sqlite3", capsys=capsys)  # no progress in JSON
    assert summary["push"]["totals"]["created"] == 93


def test_push_progress_redraws_one_line_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal, each entity's progress line is redrawn in place (carriage returns) and
    ended with a newline when the entity is done."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    assert run_demo(DemoOptions(db=tmp_path / "tty.sqlite3", customers=60), out=out) == 0
    text = out.getvalue()
    push = text[text.index("[4/10]"):text.index("[5/10]")]
    assert push.count("\r") > len(ENTITIES)
    finals = [part for part in push.split("\r") if "100%" in part]
    assert [part.split()[0] for part in finals] == ENTITIES
    assert all(part.endswith("\n") for part in finals)


def test_progress_callback_quarters_and_silence() -> None:
    """``PushProgress`` prints nothing when inactive or disabled, and off a terminal one
    line per quarter reached plus the last."""
    out = io.StringIO()
    progress = PushProgress(out, indent="", tty=False, timer=lambda: 0.0)
    progress("Invoice", 0, 100)  # not active yet
    progress.active = True
    for done in range(0, 101, 10):
        progress("Invoice", done, 100)
    progress("Invoice", 5, 0)  # a pull: total unknown, nothing drawn
    progress.stop()
    lines = out.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == ["30/100", "50/100", "80/100", "100/100"]
    quiet = io.StringIO()
    off = PushProgress(quiet, indent="", enabled=False, tty=True)
    off.active = True
    off("Item", 1, 1)
    assert quiet.getvalue() == ""


def test_demo_says_where_the_database_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The closing lines name the kept SQLite file and how to run again on it; without --db
    the file is the working directory's qbo-sync-demo.sqlite3, and the files are really there."""
    db = tmp_path / "chosen.sqlite3"
    assert main(["demo", "--customers", "2", "--invoices", "3", "--db", str(db)]) == 0
    closing = _sections(capsys.readouterr().out)["done"]
    assert closing[1] == f"database         kept at {db}"
    assert closing[2].strip() == f"again, on the same file: qbo-sync demo --db {db}"
    assert closing[-1].strip() == f"look inside: sqlite3 {db} .tables"

    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["demo", "--customers", "2", "--invoices", "3"]) == 0
    closing = _sections(capsys.readouterr().out)["done"]
    assert sorted(p.name for p in here.iterdir()) == [
        "qbo-sync-demo.sqlite3", "qbo-sync-demo.sqlite3.fake-qbo.json",
        "qbo-sync-demo.sqlite3.secrets.json"]
    assert closing[1] == f"database         kept at {(here / 'qbo-sync-demo.sqlite3').resolve()}"
    assert closing[2].strip() == (
        "run qbo-sync demo again here: every record is skipped, nothing is written")
    assert main(["demo", "--customers", "2", "--invoices", "3", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["run_number"] == 2
    assert second["push"]["write_requests"] == 0


def test_demo_refuses_a_damaged_secrets_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A secrets file beside the database that is not one exits 2, says what to do, and
    leaves the file as it was."""
    db = tmp_path / "demo.sqlite3"
    secrets_file = Path(f"{db}.secrets.json")
    secrets_file.write_text('{"token_encryption_key": "not a key"}')
    assert main(["demo", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"qbo-sync: error: --db {db}: {secrets_file} is not a demo secrets")
    assert "move it away to start over" in err
    assert secrets_file.read_text() == '{"token_encryption_key": "not a key"}'


def test_demo_failure_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When QBO keeps failing (503 on every batch), the push reports the failures, the next
    step cannot go on, and the demo exits 1 with one line; no fake state is kept for it."""
    from qbo_sync.cli import _demo

    def broken(**options: Any) -> FakeQBO:
        fake = FakeQBO(**options)
        fake.faults.fail_next(1000, status=503, path=r"/batch")
        return fake

    monkeypatch.setattr(_demo, "build_fake", broken)
    db = tmp_path / "x.sqlite3"
    assert main(["demo", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert "[4/10]  push" in out
    assert "write_unconfirmed" in out
    assert "more failures in --json" in out
    assert "[5/10]" not in out
    assert err == "qbo-sync: error: invoice inv-00039 was not pushed; see step 4\n"
    assert not Path(f"{db}.fake-qbo.json").exists()


def test_python_dash_m_demo_json(tmp_path: Path) -> None:
    """``python -m qbo_sync demo --json`` works as a program; the default database is
    the working directory's qbo-sync-demo.sqlite3, named in the summary."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env = {k: v for k, v in env.items() if not k.startswith("QUICKBOOKS_")}
    done = subprocess.run(
        [sys.executable, "-m", "qbo_sync", "demo", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    summary = json.loads(done.stdout)
    db = Path(summary["db"])
    assert db.is_file()
    assert db == (tmp_path / "qbo-sync-demo.sqlite3").resolve()
    assert summary["book"]["records"] == 93
    assert summary["push"]["totals"]["created"] == 93
