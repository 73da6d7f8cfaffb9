"""``qbo-sync`` arguments, ``--version``/``--help``, and the ``fake-server`` command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qbo_sync import __version__
from qbo_sync.cli import main
from qbo_sync.cli._render import attempted, counts_lines, dots, money, plural, wrap
from qbo_sync.storage import EntityCounts

ROOT = Path(__file__).resolve().parents[2]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``--version`` prints the package version and exits 0."""
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"qbo-sync {__version__}"


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` names both commands; ``demo --help`` names its options."""
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "demo" in text
    assert "fake-server" in text
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = capsys.readouterr().out
    for option in ("--db", "--customers", "--invoices", "--json"):
        assert option in text


def test_no_command_shows_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a command, the usage goes to stderr and the exit status is 2."""
    assert main([]) == 2
    assert "usage: qbo-sync" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--customers", "1"],
        ["demo", "--customers", "many"],
        ["demo", "--invoices", "2"],
        ["demo", "--invoices", "20001"],
        ["demo", "--customers", "5001"],
        ["fake-server", "--port", "70000"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Out-of-range or malformed arguments are refused by the parser with status 2."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err
    assert "Traceback" not in err


def test_fake_server_delegates_to_the_testing_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fake-server`` runs ``python -m qbo_sync.testing serve`` with the same options."""
    import qbo_sync.testing.__main__ as testing_main

    seen: list[list[str]] = []
    monkeypatch.setattr(testing_main, "main", lambda argv: seen.append(list(argv)) or 0)
    assert main(["fake-server", "--port", "9999", "--company-name", "Acme", "--no-limits"]) == 0
    assert seen == [
        ["serve", "--host", "127.0.0.1", "--port", "9999", "--company-name", "Acme", "--no-limits"]
    ]


def test_fake_server_without_uvicorn_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the [server] extra, one line names the extra and the exit status is 2."""
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # makes `import uvicorn` fail
    assert main(["fake-server"]) == 2
    err = capsys.readouterr().err
    assert err == "qbo-sync: error: fake-server needs uvicorn: pip install 'qbo-sync[server]'\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_fake_server_serves_over_http(tmp_path: Path) -> None:
    """The real command serves the fake on loopback: its OAuth discovery document answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKBOOKS_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "qbo_sync", "fake-server", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == f"FakeQBO on http://127.0.0.1:{port}"
        url = f"http://127.0.0.1:{port}/.well-known/openid_configuration"
        deadline = time.monotonic() + 30  # a start-up deadline, not a speed assertion
        while True:
            try:
                answer = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert answer.status_code == 200
        assert answer.json()["token_endpoint"].endswith("/oauth2/v1/tokens/bearer")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def test_quickstart_example_runs(tmp_path: Path) -> None:
    """``examples/quickstart.py`` runs offline and prints what QBO answered."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKBOOKS_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "company: Quickstart Bakery" in out
    assert "customer 1: Ada Lovelace (SyncToken 0)" in out
    assert "invoice 1001: total 337.50, balance 337.50" in out
    assert "found: ['1']" in out
    assert "batch Ada Lovelace: DuplicateNameError (fault 6240)" in out
    assert "duplicate refused: fault 6240, intuit_tid " in out


def test_render_helpers() -> None:
    """Money has two decimals and separators, plurals agree, badges have five dots,
    and wrapping joins parts without breaking one."""
    from decimal import Decimal

    assert money(Decimal("1809.4")) == "1,809.40"
    assert money(None) == "0.00"
    assert (plural(1, "page"), plural(3, "page")) == ("1 page", "3 pages")
    assert plural(0, "run") == "0 runs"
    assert (dots(4), dots(1)) == ("●●●●○", "●○○○○")
    assert wrap(["aaaa", "bbbb", "cccc"], width=10) == ["aaaa; bbbb", "cccc"]
    assert wrap(["a" * 20], width=10) == ["a" * 20]


def test_counts_table_shows_every_outcome() -> None:
    """The run table has a row per entity and a column per outcome, zeros included, and
    "attempted" is the row's sum."""
    counts = {
        "Customer": EntityCounts(created=25, failed=1),
        "Invoice": EntityCounts(created=10, updated=1, matched=3, skipped=2),
    }
    assert attempted(counts["Invoice"]) == 16
    lines = counts_lines(counts)
    assert [line.split() for line in lines] == [
        ["entity", "attempted", "created", "updated", "matched", "failed", "skipped"],
        ["Customer", "26", "25", "0", "0", "1", "0"],
        ["Invoice", "16", "10", "1", "3", "0", "2"],
    ]
    # Columns line up: each figure ends where its heading ends.
    for heading in ("attempted", "created", "updated", "matched", "failed", "skipped"):
        end = lines[0].index(heading) + len(heading)
        assert all(line[end - 1].isdigit() and line[end:end + 1] in {"", " "} for line in lines[1:])


def test_cli_package_exports_only_main() -> None:
    """``qbo_sync.cli`` exposes ``main`` (the console-script target) and nothing else."""
    import types

    import qbo_sync.cli as cli

    public = {
        name
        for name, value in vars(cli).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert cli.__all__ == ["main"]
    assert public == {"main"}
