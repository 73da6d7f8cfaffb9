"""The test suite needs nothing outside the repository.

A fresh ``git clone`` must pass ``nox`` on its own: no test, benchmark or
script may read a folder beside the checkout (the old ``../shared`` samples),
and the real samples the tests replay live in ``tests/data/real`` with their
licences and a provenance row for every file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import REAL_SAMPLES, ROOT

#: Source folders whose Python files are scanned.
SCANNED = ("tests", "benchmarks", "scripts", "examples")
#: Path segments or names that only exist outside the repository.
OUTSIDE = re.compile(r"(^|[/\\])shared([/\\]|$)|qbo-real-samples|qbo-schema")
#: A path string that climbs (``..``, ``../x``, ``x/../..``).
CLIMBS = re.compile(r"(^|[/\\])\.\.([/\\]|$)")
#: Names conventionally bound to the repository root.
ROOT_NAMES = frozenset({"ROOT", "REPO", "REPO_ROOT", "PROJECT_ROOT"})


def _level(node: ast.expr, names: dict[str, int]) -> int | None:
    """How many folders above the file itself ``node`` points (None: not derived from it).

    ``__file__`` is level 0, ``Path(__file__).parent`` level 1, ``.parents[n]``
    adds n + 1; names assigned such an expression earlier keep their level.
    """
    if isinstance(node, ast.Name):
        return 0 if node.id == "__file__" else names.get(node.id)
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        base = _level(node.value, names)
        return None if base is None else base + 1
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "parents"
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, int)
    ):
        base = _level(node.value.value, names)
        return None if base is None else base + node.slice.value + 1
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in {"resolve", "absolute", "expanduser"} and isinstance(func, ast.Attribute):
            return _level(func.value, names)
        if name in {"Path", "PurePath"} and node.args:
            return _level(node.args[0], names)
        if name == "dirname" and node.args:
            base = _level(node.args[0], names)
            return None if base is None else base + 1
    return None


def outside_references(source: str, depth: int) -> list[str]:
    """Every place in ``source`` that may reach outside the repository.

    ``depth`` is how many folders the file sits below the repository root
    (``tests/core/x.py``: 2). Flags path strings naming ``shared``, ``..``,
    ``qbo-real-samples`` or ``qbo-schema``; ``Path(__file__)`` climbs
    (``.parent``, ``.parents[n]``, ``os.path.dirname``) that go above the
    root; and ``ROOT.parent`` on a name bound to the root.
    """
    tree = ast.parse(source)
    names: dict[str, int] = {}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            level = _level(node.value, names)
            for target in node.targets:
                if isinstance(target, ast.Name) and level is not None:
                    names[target.id] = level
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if OUTSIDE.search(node.value):
                found.append(f"{where}: path string {node.value!r}")
        elif isinstance(node, (ast.BinOp, ast.Call)) and _climbing_path(node):
            found.append(f"{where}: a '..' path segment")
        if isinstance(node, ast.expr):
            level = _level(node, names)
            if level is not None and level > depth + 1:
                found.append(f"{where}: climbs {level - depth - 1} folder(s) above the repository")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "parent"
                and isinstance(node.value, ast.Name)
                and node.value.id in ROOT_NAMES
            ):
                found.append(f"{where}: {node.value.id}.parent leaves the repository")
    return sorted(set(found))


def _climbing_path(node: ast.BinOp | ast.Call) -> bool:
    """``x / ".."`` or ``Path("../x")``: a filesystem path with a ``..`` segment."""
    if isinstance(node, ast.BinOp):
        parts = [node.right] if isinstance(node.op, ast.Div) else []
    else:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        parts = list(node.args) if name in {"Path", "PurePath", "join", "joinpath"} else []
    return any(
        isinstance(part, ast.Constant) and isinstance(part.value, str) and CLIMBS.search(part.value)
        for part in parts
    )


def _sources() -> Iterator[Path]:
    for folder in SCANNED:
        yield from sorted((ROOT / folder).rglob("*.py"))


SOURCES = [p for p in _sources() if p != Path(__file__).resolve()]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_source_reaches_outside_the_repository(path: Path) -> None:
    """No test, benchmark, script or example names a path outside the checkout."""
    depth = len(path.relative_to(ROOT).parts) - 1
    assert outside_references(path.read_text(encoding="utf-8"), depth) == []


@pytest.mark.parametrize(
    "source",
    [
        'SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "qbo-real-samples"',
        "X = Path(__file__).resolve().parents[3]",
        "X = Path(__file__).parent.parent.parent.parent",
        "ROOT = Path(__file__).resolve().parents[2]\nX = ROOT.parent",
        "HERE = Path(__file__).parents[1]\nX = HERE.parent.parent",
        'X = Path("../shared/qbo-schema")',
        'X = ROOT / ".." / "elsewhere"',
        'X = Path("..")',
        'X = os.path.join(os.path.dirname(__file__), "..", "..", "..")',
        "X = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))",
    ],
)
def test_the_check_catches_paths_outside(source: str) -> None:
    """The scanner flags the ways a test could climb out (file at tests/x/test_y.py)."""
    assert outside_references(source, depth=2)


@pytest.mark.parametrize(
    "source",
    [
        "ROOT = Path(__file__).resolve().parents[2]",
        "ROOT = Path(__file__).resolve().parent.parent.parent",
        'DATA = Path(__file__).parent / "data" / "shared.sqlite3"',
        'params = {"requestid": "shared-id", "name": "shared name"}',
        "X = tmp_path.parent.parent.parent.parent",
    ],
)
def test_the_check_allows_paths_inside(source: str) -> None:
    """Climbing to the root itself, and unrelated strings, are fine."""
    assert outside_references(source, depth=2) == []


def test_real_samples_live_inside_the_repository() -> None:
    """The one samples constant resolves inside the checkout and holds the samples."""
    assert (ROOT / "pyproject.toml").is_file()
    assert REAL_SAMPLES.resolve().is_relative_to(ROOT.resolve())
    assert REAL_SAMPLES.resolve() == (ROOT / "tests" / "data" / "real").resolve()
    assert (REAL_SAMPLES / "qbo_api" / "vcr" / "batch" / "basic.yml").is_file()


def test_every_sample_has_a_licence_and_a_provenance_row() -> None:
    """Each source folder carries its LICENSE; SOURCES.md lists exactly the files present."""
    table = (REAL_SAMPLES / "SOURCES.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| [\w.-]+/[\w.-]+ \|", table, flags=re.MULTILINE)
    listed = {row for row in rows if not row.endswith("/")}
    present = {
        p.relative_to(REAL_SAMPLES).as_posix()
        for p in REAL_SAMPLES.rglob("*")
        if p.is_file() and p.name != "LICENSE" and p.parent != REAL_SAMPLES
    }
    assert present
    assert listed == present
    folders = {p.relative_to(REAL_SAMPLES).parts[0] for p in REAL_SAMPLES.rglob("*") if p.is_file()}
    folders -= {"SOURCES.md"}
    for folder in folders:
        assert (REAL_SAMPLES / folder / "LICENSE").is_file(), folder
    assert not folders & {"issue-reports", "nango", "ledgersync"}
