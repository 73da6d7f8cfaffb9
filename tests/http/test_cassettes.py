"""The converted vcrpy cassettes: regenerated exactly, byte-exact, replayable via httpx."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import vcr
import yaml
from tests.conftest import REAL_SAMPLES, ROOT

from qbo_sync import _json
from qbo_sync.errors import AuthError, DuplicateNameError, QBOError, QueryError, ValidationError
from qbo_sync.http import error_from_response, intuit_tid_from

CASSETTES = ROOT / "tests" / "cassettes"
Reader = Callable[[Path], list[tuple[int, dict[str, str], bytes]]]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "convert_cassettes", ROOT / "scripts" / "convert_cassettes.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("convert_cassettes", module)
    spec.loader.exec_module(module)
    return module


SCRIPT = _load_script()
REALM_ID: str = SCRIPT.REALM_ID
RENDERED: dict[str, str] = SCRIPT.render(REAL_SAMPLES)
NAMES = sorted(RENDERED)


def _cassette(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CASSETTES / name).read_text(encoding="utf-8"))
    return data


def test_selection_is_complete() -> None:
    """Every cassette the issue asks for is converted (16 files)."""
    assert len(NAMES) == 16
    assert "qbo_api/batch/basic.yaml" in NAMES
    assert {n for n in NAMES if n.startswith("qbo_api/error/")} == {
        f"qbo_api/error/{n}.yaml" for n in ("400", "400_json", "401", "500", "validation")
    }


@pytest.mark.parametrize("name", NAMES)
def test_committed_cassette_equals_script_output(name: str) -> None:
    """The committed file is exactly what scripts/convert_cassettes.py writes."""
    assert (CASSETTES / name).read_text(encoding="utf-8") == RENDERED[name]


def test_no_stray_cassettes() -> None:
    """Nothing under tests/cassettes/qbo_api is missing from the script's selection."""
    on_disk = {p.relative_to(CASSETTES).as_posix() for p in (CASSETTES / "qbo_api").rglob("*.yaml")}
    assert on_disk == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_vcrpy_format_and_uris(name: str) -> None:
    """version 1, interactions, every URI under /v3/company/<REALM_ID>/, no placeholder."""
    data = _cassette(name)
    assert data["version"] == 1
    assert data["interactions"]
    for item in data["interactions"]:
        path = urlsplit(item["request"]["uri"]).path
        assert path.startswith(f"/v3/company/{REALM_ID}/"), path
        assert "-COMPANY_ID-" not in item["request"]["uri"]
        assert "Authorization" not in item["request"]["headers"]
        assert item["request"]["method"] in {"GET", "POST"}


@pytest.mark.parametrize("name", NAMES)
def test_bodies_byte_exact(name: str, ruby_responses: Reader) -> None:
    """Response bodies equal the source cassette's bytes (number text such as 337.50 kept)."""
    source = REAL_SAMPLES / "qbo_api" / "vcr" / (
        name.removeprefix("qbo_api/").removesuffix(".yaml") + ".yml"
    )
    originals = ruby_responses(source)
    converted = _cassette(name)["interactions"]
    assert len(converted) == len(originals)
    for item, (status, headers, body) in zip(converted, originals, strict=True):
        assert item["response"]["status"]["code"] == status
        assert item["response"]["body"]["string"].encode("utf-8") == body
        assert intuit_tid_from({k: v[0] for k, v in item["response"]["headers"].items()}) == (
            intuit_tid_from(headers)
        )


def test_decimal_text_survives() -> None:
    """The batch cassette keeps 337.50 as text, and _json reads it as Decimal('337.50')."""
    body = _cassette("qbo_api/batch/basic.yaml")["interactions"][0]["response"]["body"]["string"]
    assert "337.50" in body
    assert "337.5," not in body
    parsed = _json.loads(body)
    assert any("337.50" in str(v) for v in _walk(parsed))


def _walk(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _walk(v)]
    if isinstance(node, list):
        return [x for v in node for x in _walk(v)]
    return [node]


def _replayer() -> vcr.VCR:
    return vcr.VCR(record_mode="none", match_on=["method", "path", "query"])


@pytest.mark.parametrize("name", NAMES)
def test_vcrpy_replays_through_httpx(name: str) -> None:
    """Every interaction replays through httpx.Client's default transport, in order."""
    interactions = _cassette(name)["interactions"]
    with _replayer().use_cassette(str(CASSETTES / name)) as cassette, httpx.Client() as client:
        for item in interactions:
            request = item["request"]
            response = client.request(
                request["method"],
                request["uri"],
                content=(request["body"] or "").encode("utf-8") or None,
                headers={"Accept": "application/json"},
            )
            assert response.status_code == item["response"]["status"]["code"]
            assert response.content == item["response"]["body"]["string"].encode("utf-8")
        assert cassette.all_played
        assert cassette.play_count == len(interactions)


def test_unknown_request_is_not_sent() -> None:
    """With record_mode none a request the cassette lacks fails instead of reaching Intuit."""
    with _replayer().use_cassette(str(CASSETTES / "qbo_api/get/id.yaml")), httpx.Client() as c:
        with pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException):
            c.get(f"https://sandbox-quickbooks.api.intuit.com/v3/company/{REALM_ID}/customer/999")


ERROR_CASES: list[tuple[str, int, type[QBOError], str]] = [
    ("qbo_api/error/400.yaml", 1, QueryError, "4001"),
    ("qbo_api/error/400_json.yaml", 0, ValidationError, "2010"),
    ("qbo_api/error/401.yaml", 0, AuthError, "3200"),
    ("qbo_api/error/500.yaml", 0, ValidationError, "500"),
    ("qbo_api/error/500.yaml", 1, ValidationError, "2030"),
    ("qbo_api/error/validation.yaml", 0, DuplicateNameError, "6240"),
]


@pytest.mark.parametrize(("name", "index", "cls", "code"), ERROR_CASES)
def test_replayed_errors_map(name: str, index: int, cls: type[QBOError], code: str) -> None:
    """A replayed httpx.Response fed to error_from_response gives the right error."""
    interactions = _cassette(name)["interactions"]
    with _replayer().use_cassette(str(CASSETTES / name)), httpx.Client() as client:
        responses = [
            client.request(
                item["request"]["method"],
                item["request"]["uri"],
                content=(item["request"]["body"] or "").encode("utf-8") or None,
            )
            for item in interactions
        ]
    response = responses[index]
    err = error_from_response(response.status_code, response.headers, response.content)
    assert err is not None
    assert type(err) is cls
    assert err.code == code
    assert err.status == response.status_code
    assert err.intuit_tid == response.headers["intuit-tid"]
    for other in responses:
        if other.status_code == 200:
            assert error_from_response(other.status_code, other.headers, other.content) is None


def test_script_check_mode(tmp_path: Path) -> None:
    """--check passes on the committed tree and fails on a tampered copy."""
    assert SCRIPT.main(["--check"]) == 0
    for name, text in RENDERED.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    assert SCRIPT.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / NAMES[0]).write_text("tampered", encoding="utf-8")
    assert SCRIPT.main(["--check", "--out", str(tmp_path)]) == 1


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://h/v3/batch", "https://h/v3/company/{r}/batch"),
        ("https://h/v3/customer?requestid=", "https://h/v3/company/{r}/customer?requestid="),
        ("https://h/v3/company/-COMPANY_ID-/invoice/266", "https://h/v3/company/{r}/invoice/266"),
        (
            "https://h/v3/cdc?changedSince=x&entities=estimate",
            "https://h/v3/company/{r}/cdc?changedSince=x&entities=estimate",
        ),
    ],
)
def test_fix_uri(uri: str, expected: str) -> None:
    """Lost company segments are restored and the placeholder replaced."""
    assert SCRIPT.fix_uri(uri) == expected.format(r=REALM_ID)
