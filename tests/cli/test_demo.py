"""``qbo-sync demo``: end to end on SQLite and the fake QBO, in process and as a program."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from qbo_sync.cli import main
from qbo_sync.errors import EncryptionKeyError
from qbo_sync.storage import LinkStatus, RunStatus, SQLiteStore, TokenCipher

STEP_HEADS = [
    "[1/7] connect",
    "[2/7] write",
    "[3/7] read",
    "[4/7] record",
    "[5/7] webhooks",
    "[6/7] refresh",
    "[7/7] health",
]


def _no_secret_in(text: str, secrets: set[str]) -> None:
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == [], f"{len(leaked)} secret(s) printed"


def _sections(out: str) -> dict[str, list[str]]:
    """The printed lines per step ("[2/7] write" ...), plus "done" for the closing lines."""
    sections: dict[str, list[str]] = {}
    current = "head"
    for line in out.splitlines():
        for head in [*STEP_HEADS, "done"]:
            if line.startswith(head):
                current = head
        sections.setdefault(current, []).append(line)
    return sections


def _row(lines: list[str], entity: str) -> list[int]:
    """The figures of one row of step 4's per-entity table."""
    (row,) = [line.split() for line in lines if line.split()[:1] == [entity]]
    return [int(n) for n in row[1:]]


def test_demo_prints_every_step_and_fills_the_sqlite_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_secrets: set[str]
) -> None:
    """The default demo exits 0, prints the 7 steps with figures, and leaves its run,
    links and connection in the SQLite file; no token, code or secret is printed."""
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    heads = [line[: len(h)] for line in lines for h in STEP_HEADS if line.startswith(h)]
    assert heads == STEP_HEADS
    assert str(db) in out
    assert "25 customers + 3 items created: 28 operations in 1 batch request" in out
    assert "10 invoices created one by one (10 requests)" in out
    assert "balance now 0.00" in out
    assert "COUNT(*): 25 customers, 10 invoices" in out
    assert "paged by 10: 3 pages, 25 customers" in out
    assert "first delivery again: 200, 0 new, 1 duplicate" in out
    assert "token version 1 -> 2, refresh token rotated" in out
    assert "Fix 1 customer that failed: Duplicate Name Exists Error" in out

    # Tokens, codes and states of this run were really seen, and none was printed.
    assert len(demo_secrets) >= 8
    _no_secret_in(out + err, demo_secrets)

    assert db.is_file()
    store = SQLiteStore(db, encryption=None)  # runs and links are not encrypted
    try:
        (connection,) = store.list_connections()
        assert connection.company_name == "Demo Rockets Ltd"
        (run,) = store.list_runs(realm_id=connection.realm_id)
        assert run.status is RunStatus.PARTIAL
        assert run.counts["Customer"].created == 25
        assert run.counts["Customer"].failed == 1
        assert run.counts["Invoice"].created == 10
        assert run.counts["Invoice"].updated == 1
        assert run.counts["Payment"].created == 2
        assert run.counts["CreditMemo"].created == 1
        (failure,) = run.failures
        assert (failure.entity_type, failure.local_id, failure.reason_code) == (
            "Customer",
            "cust-026",
            "6240",
        )
        assert failure.intuit_tid
        assert failure.intuit_tid in out
        counts = store.link_counts(connection.realm_id)
        assert (counts["Customer"].synced, counts["Customer"].failed) == (25, 1)
        assert counts["Invoice"].synced == 10
        assert counts["Item"].synced == 3
        failed = store.get_links(connection.realm_id, "Customer", ["cust-026"])["cust-026"]
        assert failed.status is LinkStatus.FAILED
        assert failed.qbo_id is None
        voided = store.get_links(connection.realm_id, "Invoice", ["inv-003"])["inv-003"]
        assert voided.sync_token == "1"  # the void's version, not the create's
        # Tokens are stored encrypted under the run's throw-away key.
        with pytest.raises(EncryptionKeyError):
            store.get_tokens(connection.realm_id)
    finally:
        store.close()


def test_demo_steps_2_and_4_agree_and_the_failure_is_deliberate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The duplicate customer is attempted in step 2, which says so and why; step 4's table
    shows every outcome per entity (skipped too) with the same 26 customers attempted."""
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db)]) == 0
    sections = _sections(capsys.readouterr().out)

    write = "\n".join(sections["[2/7] write"])
    assert "customer 26 deliberately reuses the name 'Customer 001', to show a failure" in write
    assert "refused, 6240 Duplicate Name Exists Error" in write
    assert "customers: 26 attempted, 25 created, 1 failed" in write

    record = sections["[4/7] record"]
    header = [line.split() for line in record if "attempted" in line.split()]
    assert header == [
        ["entity", "attempted", "created", "updated", "matched", "failed", "skipped"]
    ]
    #                                  attempted created updated matched failed skipped
    assert _row(record, "Customer") == [26, 25, 0, 0, 1, 0]
    assert _row(record, "Item") == [3, 3, 0, 0, 0, 0]
    assert _row(record, "Invoice") == [11, 10, 1, 0, 0, 0]
    assert _row(record, "Payment") == [2, 2, 0, 0, 0, 0]
    assert _row(record, "CreditMemo") == [1, 1, 0, 0, 0, 0]
    assert any(
        "failed: cust-026, the deliberate duplicate of 'Customer 001': 6240" in line
        for line in record
    )
    # Nothing in the read step counts the refused customer: QBO has 25.
    assert "COUNT(*): 25 customers, 10 invoices" in "\n".join(sections["[3/7] read"])
    health = "\n".join(sections["[7/7] health"])
    assert "(the failed record is step 2's deliberate duplicate name)" in health


def test_demo_says_where_the_database_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The closing lines name the kept SQLite file; without --db they name the temporary
    folder to delete, and the file is really there afterwards."""
    db = tmp_path / "chosen.sqlite3"
    assert main(["demo", "--customers", "2", "--invoices", "3", "--db", str(db)]) == 0
    closing = _sections(capsys.readouterr().out)["done"]
    assert closing[1] == f"database       kept at {db}"
    assert not any("temporary" in line for line in closing)
    assert closing[-1].strip() == f"look inside: sqlite3 {db} .tables"

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert main(["demo", "--customers", "2", "--invoices", "3"]) == 0
    closing = _sections(capsys.readouterr().out)["done"]
    (made,) = (tmp_path / "tmp").iterdir()
    kept = made / "qbo-sync-demo.sqlite3"
    assert kept.is_file()
    assert closing[1] == f"database       kept at {kept.resolve()}"
    assert closing[2].strip() == (
        f"a temporary folder: delete {made.resolve()} when done, or pass --db PATH"
    )


def test_demo_json_summary_has_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_secrets: set[str]
) -> None:
    """``--json`` prints exactly one JSON document whose figures follow the options."""
    db = tmp_path / "json.sqlite3"
    code = main(["demo", "--json", "--customers", "12", "--invoices", "4", "--db", str(db)])
    assert code == 0
    out, err = capsys.readouterr()
    assert err == ""
    summary = json.loads(out)
    assert summary["db"] == str(db)
    assert summary["db_temporary"] is False
    assert summary["company"]["environment"] == "sandbox"
    write = summary["write"]
    assert (write["customers"], write["items"], write["invoices"]) == (12, 3, 4)
    assert (write["customers_attempted"], write["customers_failed"]) == (13, 1)
    assert write["batch_requests"] == 1
    assert write["batch_operations"] == 15
    assert write["payment"]["invoice_balance"] == 0
    assert write["credit_memo"]["invoice_balance"] > 0
    read = summary["read"]
    assert (read["customer_count"], read["invoice_count"], read["pages"]) == (12, 4, 2)
    assert len(read["first_page"]) == 10
    assert read["cdc_changed"] == {
        "Customer": 12,
        "Item": 3,
        "Invoice": 4,
        "Payment": 2,
        "CreditMemo": 1,
    }
    assert read["cdc_deleted"] == 0
    run = summary["run"]
    assert run["status"] == "partial"
    assert run["counts"]["Customer"] == {
        "created": 12,
        "updated": 0,
        "failed": 1,
        "skipped": 0,
        "matched": 0,
    }
    assert run["failures"][0]["reason_code"] == "6240"
    assert summary["links"]["written"] == 12 + 3 + 4 + 2 + 1 + 1
    hooks = summary["webhooks"]
    assert hooks["accepted"] == hooks["deliveries"] > 0
    assert hooks["redelivery"] == {"status": 200, "new": 0, "duplicates": 1}
    assert hooks["tampered"] == {"status": 401, "reason": "signature_mismatch"}
    tokens = summary["tokens"]
    assert (tokens["version_before"], tokens["version_after"]) == (1, 2)
    assert tokens["refresh_token_rotated"] is True
    assert tokens["encrypted_at_rest"] is True
    health = summary["health"]
    assert health["tier"] in {"excellent", "good"}
    assert 0 < health["score"] <= 100
    assert any("Fix 1 customer" in r["action"] for r in health["reasons"])
    assert summary["dashboard"]["entities"]["Customer"] == {"synced": 12, "pending": 0, "failed": 1}
    assert summary["dashboard"]["recent"]["runs"] == 1
    assert summary["requests"]["api"] > 0
    assert summary["requests"]["oauth"] >= 2
    _no_secret_in(out, demo_secrets)

    # The recorder really saw the tokens the demo stored (so the check above can fail).
    keys = [s for s in demo_secrets if len(s) == 44 and s.endswith("=")]
    store = SQLiteStore(db, encryption=TokenCipher(keys))
    try:
        stored = store.get_tokens(summary["company"]["realm_id"])
        assert stored is not None
        assert stored.access_token in demo_secrets
        assert stored.refresh_token in demo_secrets
    finally:
        store.close()


def test_demo_twice_on_one_file_keeps_both_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two demos on the same --db each connect their own company; both runs stay."""
    db = tmp_path / "shared.sqlite3"
    for _ in range(2):
        assert main(["demo", "--json", "--customers", "2", "--invoices", "3", "--db", str(db)]) == 0
    printed = capsys.readouterr().out.splitlines()
    realms = [json.loads(line)["company"]["realm_id"] for line in printed]
    assert len(set(realms)) == 2
    store = SQLiteStore(db, encryption=None)
    try:
        assert sorted(c.realm_id for c in store.list_connections()) == sorted(realms)
        assert all(len(store.list_runs(realm_id=r)) == 1 for r in realms)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda tmp: tmp / "missing" / "demo.sqlite3", "does not exist"),
        (lambda tmp: tmp / "a-file" / "demo.sqlite3", "is not a directory"),
        (lambda tmp: tmp, "is a directory"),
    ],
    ids=["missing-directory", "parent-is-a-file", "path-is-a-directory"],
)
def test_demo_refuses_an_unusable_db_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, needle: str
) -> None:
    """A --db that cannot be used exits 2 with one clear line and creates nothing."""
    (tmp_path / "a-file").write_text("not a folder")
    path = make(tmp_path)  # type: ignore[operator]
    assert main(["demo", "--db", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("qbo-sync: error: --db ")
    assert needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "missing").exists()


def test_demo_failure_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When QBO keeps failing (503 on every batch), the demo exits 1 with one line."""
    from qbo_sync.cli import _demo
    from qbo_sync.testing import FakeQBO

    def broken(**options: object) -> FakeQBO:
        fake = FakeQBO(**options)  # type: ignore[arg-type]
        fake.faults.fail_next(100, status=503, path=r"/batch")
        return fake

    monkeypatch.setattr(_demo, "build_fake", broken)
    assert main(["demo", "--db", str(tmp_path / "x.sqlite3")]) == 1
    out, err = capsys.readouterr()
    assert "[1/7] connect" in out
    assert "[2/7]" not in out
    assert err.startswith("qbo-sync: error: ServerError: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_python_dash_m_demo_json(tmp_path: Path) -> None:
    """``python -m qbo_sync demo --json`` works as a program; the default database goes
    to a new temporary directory (here under TMPDIR), which is named in the summary."""
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
    assert summary["db_temporary"] is True
    assert db.is_file()
    assert db.parent.parent == tmp_path.resolve()
    assert summary["write"]["customers"] == 25
    assert summary["write"]["invoices"] == 10
