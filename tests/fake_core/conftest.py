"""Fixtures for driving the fake QBO ledger directly (no HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from qbo_sync import _json
from qbo_sync.testing._fake._ledger import ChangeEvent, CoreResponse, Ledger


@attrs.define
class Clock:
    """A settable clock for the ledger."""

    now: datetime = datetime(2026, 1, 5, 17, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@attrs.define
class Api:
    """One company of a ledger, called the way the service layer calls it."""

    ledger: Ledger
    realm: str
    clock: Clock
    events: list[ChangeEvent]

    def raw(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = b"",
        *,
        realm: str | None = None,
    ) -> CoreResponse:
        if not isinstance(body, bytes | str):
            body = _json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        return self.ledger.handle(realm or self.realm, method, path, params or {}, body)

    def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = b"",
        *,
        realm: str | None = None,
    ) -> tuple[int, Any]:
        response = self.raw(method, path, params, body, realm=realm)
        return response.status, response.json()

    def ok(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = b"",
        *,
        realm: str | None = None,
    ) -> Any:
        status, data = self.call(method, path, params, body, realm=realm)
        assert status == 200, data
        assert "Fault" not in data, data
        return data

    def fault(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Any = b"",
        *,
        realm: str | None = None,
    ) -> dict[str, Any]:
        """The single Error of a fault answer (asserting it is a 400-class fault)."""
        status, data = self.call(method, path, params, body, realm=realm)
        assert 400 <= status < 500, (status, data)
        errors = data["Fault"]["Error"]
        assert len(errors) == 1
        assert data["Fault"]["type"] == "ValidationFault"
        return dict(errors[0])

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.ok("POST", entity.lower(), body=body)[entity])

    def get(self, entity: str, obj_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"{entity.lower()}/{obj_id}")[entity])

    def query(self, text: str) -> dict[str, Any]:
        return dict(self.ok("GET", "query", {"query": text})["QueryResponse"])

    def customer(self, name: str, **extra: Any) -> dict[str, Any]:
        return self.create("Customer", {"DisplayName": name, **extra})

    def invoice(self, customer_id: str, *amounts: str, **extra: Any) -> dict[str, Any]:
        lines = [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": _json.loads(a),
                "SalesItemLineDetail": {"ItemRef": {"value": self.services_id}},
            }
            for a in amounts
        ]
        return self.create(
            "Invoice", {"CustomerRef": {"value": customer_id}, "Line": lines, **extra}
        )

    @property
    def services_id(self) -> str:
        items = self.query("SELECT * FROM Item WHERE Name = 'Services'")["Item"]
        return str(items[0]["Id"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_api(clock: Clock) -> Callable[..., Api]:
    def make(**options: Any) -> Api:
        ledger = Ledger(clock=clock)
        events: list[ChangeEvent] = []
        ledger.subscribe(events.append)
        realm = ledger.add_company(**options)
        return Api(ledger, realm, clock, events)

    return make


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()
