"""Finds every JSON entity body in the real QBO samples kept in tests/data/real.

``pytest_generate_tests`` parametrizes any test that asks for ``qbo_sample``
with ``(entity_name, entity_dict)`` pairs, each id naming the file and the
position of the entity inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.conftest import REAL_SAMPLES

from qbo_sync import _json

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Keys of envelopes, not entities.
_NOT_ENTITIES = {"Fault", "Header", "Columns", "Rows", "time", "warnings"}


def _entities(doc: Any, where: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    if not isinstance(doc, dict) or {"Header", "Rows"} <= doc.keys():
        return  # not an object, or a report
    for key, value in doc.items():
        if key == "QueryResponse":
            for qi, page in enumerate(value if isinstance(value, list) else [value]):
                yield from _query_page(page, f"{where}.QueryResponse[{qi}]")
        elif key in ("BatchItemResponse", "AttachableResponse"):
            for i, item in enumerate(value):
                yield from _entities(item, f"{where}.{key}[{i}]")
        elif key == "CDCResponse":
            for ci, change in enumerate(value):
                for qi, page in enumerate(change.get("QueryResponse", [])):
                    yield from _query_page(page, f"{where}.CDCResponse[{ci}].QueryResponse[{qi}]")
        elif key[:1].isupper() and key not in _NOT_ENTITIES and isinstance(value, dict):
            yield key, value, f"{where}.{key}"


def _query_page(page: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    for name, items in page.items():
        if isinstance(items, list):
            for i, item in enumerate(items):
                yield name, item, f"{where}.{name}[{i}]"


def real_samples() -> Iterator[tuple[str, dict[str, Any], str]]:
    """Yield ``(entity name, entity dict, id)`` for every JSON entity in the samples."""
    for path in sorted(REAL_SAMPLES.glob("qbo_api/vcr/**/*.yml")):
        cassette = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        for n, interaction in enumerate(cassette.get("http_interactions") or []):
            body = interaction["response"]["body"].get("string") or ""
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            if not body.lstrip().startswith("{"):
                continue  # PDF, XML or empty
            rel = path.relative_to(REAL_SAMPLES).as_posix()
            yield from _entities(_json.loads(body), f"{rel}#{n}")
    jsons = sorted(REAL_SAMPLES.glob("QuickBooks-V3-Java-SDK/*.json"))
    jsons += sorted(REAL_SAMPLES.glob("quickbooks-ruby/json/*.json"))
    for path in jsons:
        where = path.relative_to(REAL_SAMPLES).as_posix()
        yield from _entities(_json.loads(path.read_bytes()), where)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "qbo_sample" in metafunc.fixturenames:
        found = list(real_samples())
        metafunc.parametrize(
            "qbo_sample",
            [(name, entity) for name, entity, _ in found],
            ids=[where for _, _, where in found],
        )
