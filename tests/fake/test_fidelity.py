"""Replays real recorded QBO requests against the fake and compares response STRUCTURE.

Structure = envelope keys, and for every key both sides have, the same JSON
value type (recursively; lists compared by their first element). Entity key
sets may differ only by optional fields (the real sandbox company has data the
fake's fresh company lacks); differences made on purpose are listed in ALLOWED
with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import yaml

from qbo_sync.testing import FakeClock, FakeQBO

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "qbo-real-samples"
VCR = SAMPLES / "qbo_api" / "vcr"

#: Paths (dotted) whose type may differ, and why.
ALLOWED: dict[str, str] = {
    "time": "the gateway 401 has epoch ms; QBO bodies have a string; both are kept as recorded",
}


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def compare(real: Any, fake: Any, path: str = "") -> list[str]:
    """Structural differences between a real and a fake JSON value."""
    if path in ALLOWED:
        return []
    if _type(real) != _type(fake):
        return [f"{path or '<root>'}: real {_type(real)}, fake {_type(fake)}"]
    problems: list[str] = []
    if isinstance(real, dict):
        for key in real.keys() & fake.keys():
            problems += compare(real[key], fake[key], f"{path}.{key}" if path else key)
    elif isinstance(real, list) and real and fake:
        problems += compare(real[0], fake[0], f"{path}[0]")
    return problems


def interactions(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((VCR / name).read_text())
    return list(data["http_interactions"])


def replay(client: httpx.Client, realm: str, interaction: dict[str, Any]) -> httpx.Response:
    request = interaction["request"]
    parts = urlsplit(request["uri"])
    suffix = parts.path.split("/v3/", 1)[1].replace("company/-COMPANY_ID-/", "")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if params.get("requestid") == "":
        del params["requestid"]  # the recorder blanked it; an empty id is not QBO's
    body = request["body"]["string"] or None
    return client.request(
        request["method"].upper(),
        f"/v3/company/{realm}/{suffix}",
        params=params,
        content=body.encode() if body else None,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )


@pytest.fixture
def setup() -> tuple[FakeQBO, str, httpx.Client]:
    fake = FakeQBO(clock=FakeClock())
    realm = fake.add_company()
    token = fake.issue_access_token(realm)
    client = httpx.Client(
        transport=fake.transport(),
        base_url="https://sandbox-quickbooks.api.intuit.com",
        headers={"Authorization": f"Bearer {token}"},
    )
    return fake, realm, client


@pytest.mark.parametrize(
    "cassette", ["create/customer.yml", "all/customers.yml", "error/validation.yml"]
)
def test_replayed_responses_match_real_structure(
    setup: tuple[FakeQBO, str, httpx.Client], cassette: str
) -> None:
    """Each replayed request gets the recorded status and a structurally equal body."""
    fake, realm, client = setup
    if cassette == "error/validation.yml":
        # The recording hit a name that already existed: seed that clash first.
        sent = json.loads(interactions(cassette)[0]["request"]["body"]["string"])
        fake.seed(realm, "Customer", {"DisplayName": sent["DisplayName"]})
    for interaction in interactions(cassette):
        response = replay(client, realm, interaction)
        recorded = interaction["response"]
        assert response.status_code == recorded["status"]["code"], response.text
        real = json.loads(recorded["body"]["string"])
        mine = response.json()
        assert set(mine) == set(real), f"envelope keys differ: {set(mine) ^ set(real)}"
        assert compare(real, mine) == []


def test_gateway_401_matches_recording(setup: tuple[FakeQBO, str, httpx.Client]) -> None:
    """A request with an expired token gets the recorded 401 envelope, key for key."""
    _fake, realm, client = setup
    interaction = interactions("error/401.yml")[0]
    client.headers["Authorization"] = "Bearer expired"
    response = replay(client, realm, interaction)
    real = json.loads(interaction["response"]["body"]["string"])
    assert response.status_code == 401
    assert list(response.json()) == list(real)
    assert compare(real, response.json()) == []
    assert response.json()["fault"]["error"][0]["message"] == real["fault"]["error"][0]["message"]
