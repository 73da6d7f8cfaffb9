"""Fixtures for the HTTP-layer tests: reading Ruby VCR cassettes and samples."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


class _RubyLoader(yaml.SafeLoader):
    """Reads Ruby VCR's ``!binary`` (base64) bodies as bytes."""


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    assert isinstance(node, yaml.ScalarNode)
    return base64.b64decode(loader.construct_scalar(node))


_RubyLoader.add_constructor("!binary", _binary)

#: (status, headers, decoded body) of one recorded response.
Recorded = tuple[int, dict[str, str], bytes]


def _responses(path: Path) -> list[Recorded]:
    data: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_RubyLoader)
    out: list[Recorded] = []
    for item in data["http_interactions"]:
        response = item["response"]
        headers = {name: values[0] for name, values in response["headers"].items()}
        body = response["body"]["string"]
        raw = body if isinstance(body, bytes) else str(body).encode("utf-8")
        # httpx hands error_from_response the decoded body; do the same here.
        if headers.get("Content-Encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
        out.append((int(response["status"]["code"]), headers, raw))
    return out


@pytest.fixture(scope="session")
def ruby_responses() -> Callable[[Path], list[Recorded]]:
    """Return a reader of the responses of a Ruby VCR cassette."""
    return _responses
