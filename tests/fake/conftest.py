"""Fixtures for the FakeQBO service tests (a fake on virtual time, one company)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from qbo_sync.testing import FakeClock, FakeQBO


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time starting at FakeClock's default instant."""
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeQBO:
    fake = FakeQBO(clock=clock, seed=7)
    fake.add_company(company_name="Test Co")
    return fake


@pytest.fixture
def realm(fake: FakeQBO) -> str:
    return fake.realm_ids[0]


@pytest.fixture
def http(fake: FakeQBO, realm: str) -> Iterator[Any]:
    """An httpx client on the fake's transport, authorised for ``realm``, sandbox host."""
    token = fake.issue_access_token(realm)
    with httpx.Client(
        transport=fake.transport(),
        base_url=f"https://sandbox-quickbooks.api.intuit.com/v3/company/{realm}/",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    ) as client:
        yield client
