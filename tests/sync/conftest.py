"""Fixtures for the sync engine's tests: an engine on the fake QBO, on virtual time.

``engine`` pushes and pulls through ``qbo_client`` (the fake in-process, its
pacer and retries on ``qbo_clock``) into a ``MemoryStore``; its accounts are
mapped as a product's settings page would map them. Access tokens live for a
virtual year, so long runs on virtual time never see a 401.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from qbo_sync import MemoryStore, QBOClient, SyncEngine
from qbo_sync.http import RealmPacer, RetryPolicy
from qbo_sync.sync import Change, ChangeKind
from qbo_sync.testing import FakeClock, FakeQBO

YEAR = 365 * 24 * 3600.0


def make_client(fake: FakeQBO, clock: FakeClock, realm_id: str, **options: Any) -> QBOClient:
    """A client on the fake in-process, pacing and backing off on virtual time."""
    options.setdefault("transport", fake.transport())
    return QBOClient(
        realm_id=realm_id,
        environment="sandbox",
        access_token=fake.issue_access_token(realm_id, lifetime=YEAR),
        pacer=RealmPacer(clock=clock.monotonic, sleep=clock.sleep),
        retry=RetryPolicy(sleep=clock.sleep),
        clock=clock.now,
        **options,
    )


def make_engine(
    client: QBOClient, store: MemoryStore, clock: FakeClock, **options: Any
) -> SyncEngine:
    """An engine with its accounts mapped (income and A/R)."""
    options.setdefault("max_in_flight", 1)
    engine = SyncEngine(client=client, store=store, clock=clock.now, **options)
    engine.map_accounts(**engine.suggest_accounts())
    return engine


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def client(fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str) -> Iterator[QBOClient]:
    with make_client(fake_qbo, qbo_clock, qbo_realm_id) as c:
        yield c


@pytest.fixture
def engine(client: QBOClient, store: MemoryStore, qbo_clock: FakeClock) -> SyncEngine:
    return make_engine(client, store, qbo_clock)


class RecordingSink:
    """A ChangeSink that keeps every change and links what it is told to create.

    Args:
        fail_times: Refuse this many ``apply`` calls first (raises RuntimeError).
        link_created: Answer ``{qbo_id: "local-<qbo_id>"}`` for created changes.
    """

    def __init__(self, *, fail_times: int = 0, link_created: bool = True) -> None:
        self.changes: list[Change] = []
        self.calls = 0
        self.fail_times = fail_times
        self.link_created = link_created

    def apply(self, changes: Sequence[Change]) -> dict[str, str]:
        self.calls += 1
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("the product's database is down")
        self.changes.extend(changes)
        if not self.link_created:
            return {}
        return {c.qbo_id: f"local-{c.entity}-{c.qbo_id}" for c in changes
                if c.kind is ChangeKind.CREATED}

    def of(self, kind: ChangeKind, entity: str | None = None) -> list[Change]:
        return [c for c in self.changes
                if c.kind is kind and (entity is None or c.entity == entity)]


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


class Links:
    """A ``PullContext`` over fixed tables: links by (entity, QBO id), tax codes by QBO id."""

    def __init__(self, table: dict[tuple[str, str], str],
                 tax_codes: dict[str, str] | None = None) -> None:
        self.table = table
        self.tax_codes = tax_codes or {}

    def local_id(self, entity: str, qbo_id: str) -> str | None:
        return self.table.get((entity, qbo_id))

    def local_tax_code(self, qbo_code: str) -> str:
        return self.tax_codes.get(qbo_code, qbo_code)

