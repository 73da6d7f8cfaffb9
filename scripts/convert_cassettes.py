"""Convert qbo_api's Ruby VCR cassettes into vcrpy cassettes.

Reads the real recorded QBO sandbox traffic in
``tests/data/real/qbo_api/vcr`` (Ruby VCR ``http_interactions``
format) and writes vcrpy cassettes (``version: 1``, ``interactions:``) under
``tests/cassettes/qbo_api/``. See ``tests/cassettes/README.md`` for what is
changed and why. Run from the project root::

    python scripts/convert_cassettes.py            # (re)write the cassettes
    python scripts/convert_cassettes.py --check    # exit 1 if they differ
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLES = ROOT / "tests" / "data" / "real"
DEFAULT_OUT = ROOT / "tests" / "cassettes"

#: The realm id that replaces the source's ``-COMPANY_ID-`` placeholder.
REALM_ID = "9130355377293516"
PLACEHOLDER = "-COMPANY_ID-"
#: Source commit of minimul/qbo_api the cassettes come from (SOURCES.md).
SOURCE_COMMIT = "34abd0eaeffccfaa9dffe12e291cdb9c6e8a946f"

#: Cassettes converted, relative to ``qbo_api/vcr`` (output keeps the path).
SELECTION = (
    "all/customers.yml",
    "all/vendors_by_5.yml",
    "all/alt_select.yml",
    "batch/basic.yml",
    "cdc/basic.yml",
    "create/customer.yml",
    "create/invoice.yml",
    "update/customer.yml",
    "void/invoice.yml",
    "delete/invoice.yml",
    "get/id.yml",
    "error/400.yml",
    "error/400_json.yml",
    "error/401.yml",
    "error/500.yml",
    "error/validation.yml",
)
#: Request headers left out: the (already filtered) bearer placeholder.
DROPPED_REQUEST_HEADERS = frozenset({"authorization"})


class _RubyLoader(yaml.SafeLoader):
    """SafeLoader that reads Ruby VCR's ``!binary`` tag as bytes."""


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    assert isinstance(node, yaml.ScalarNode)
    return base64.b64decode(loader.construct_scalar(node))


_RubyLoader.add_constructor("!binary", _binary)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that never wraps lines and writes multi-line text as literal blocks."""


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str)


def fix_uri(uri: str) -> str:
    """Restore ``/v3/company/<realm>/`` and put the fixed realm id in.

    qbo_api's custom VCR matcher rewrote some recorded URIs in place and
    dropped the ``company/-COMPANY_ID-/`` segment (``/v3/batch``,
    ``/v3/cdc``, ``/v3/customer?requestid=``).
    """
    parts = urlsplit(uri)
    path = parts.path.replace(PLACEHOLDER, REALM_ID)
    if path.startswith("/v3/") and not path.startswith("/v3/company/"):
        path = f"/v3/company/{REALM_ID}/" + path[len("/v3/") :]
    query = parts.query.replace(PLACEHOLDER, REALM_ID)
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _body(raw: dict[str, Any] | None) -> str | bytes | None:
    if not raw:
        return None
    value = raw.get("string")
    if value is None or value == "":
        return None if value is None else ""
    if isinstance(value, bytes):
        return value
    return str(value)


def convert_interaction(item: dict[str, Any]) -> dict[str, Any]:
    """Convert one Ruby VCR interaction to vcrpy's shape (bodies untouched)."""
    request = item["request"]
    response = item["response"]
    req_headers = {
        name: list(values)
        for name, values in (request.get("headers") or {}).items()
        if name.lower() not in DROPPED_REQUEST_HEADERS
    }
    req_body = _body(request.get("body"))
    return {
        "request": {
            "body": req_body if req_body else None,
            "headers": req_headers,
            "method": str(request["method"]).upper(),
            "uri": fix_uri(request["uri"]),
        },
        "response": {
            "body": {"string": _body(response.get("body")) or ""},
            "headers": {name: list(values) for name, values in response["headers"].items()},
            "status": {
                "code": int(response["status"]["code"]),
                "message": response["status"].get("message") or "",
            },
        },
    }


def convert_file(source: Path) -> str:
    """Return the vcrpy YAML text for one Ruby VCR cassette."""
    data = yaml.load(source.read_text(encoding="utf-8"), Loader=_RubyLoader)  # noqa: S506
    cassette = {
        "interactions": [convert_interaction(i) for i in data["http_interactions"]],
        "version": 1,
    }
    return yaml.dump(
        cassette,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,
        default_flow_style=False,
    )


def render(samples: Path = DEFAULT_SAMPLES) -> dict[str, str]:
    """Return ``{relative output path: YAML text}`` for the whole selection."""
    vcr_dir = samples / "qbo_api" / "vcr"
    out: dict[str, str] = {}
    for rel in SELECTION:
        out[f"qbo_api/{rel[: -len('.yml')]}.yaml"] = convert_file(vcr_dir / rel)
    return out


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the converted cassettes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    args = parser.parse_args(argv)
    stale: list[str] = []
    for rel, text in render(args.samples).items():
        target = args.out / rel
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
        sys.stdout.write(f"wrote {shown}\n")
    if stale:
        sys.stderr.write("out of date: " + ", ".join(stale) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
