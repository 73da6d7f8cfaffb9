"""pytest plugin registered by qbo_sync (``pytest11`` entry point).

Fixtures for users' test suites. Importing this module stays cheap (it runs
in every pytest session of every project that installs qbo_sync): the fake,
the client and uvicorn are imported only inside the fixtures that use them.

- ``qbo_clock``: the :class:`~qbo_sync.testing.FakeClock` every fixture runs on;
- ``fake_qbo``: a :class:`~qbo_sync.testing.FakeQBO` with one company, on ``qbo_clock``;
- ``qbo_realm_id``: that company's realm id;
- ``qbo_access_token``: a bearer token for it;
- ``qbo_client``: a :class:`qbo_sync.QBOClient` bound to the fake in-process,
  whose pacer and retries wait on ``qbo_clock`` (never really sleeping);
- ``qbo_store``: a :class:`~qbo_sync.storage.MemoryStore` on ``qbo_clock``;
- ``qbo_engine``: a :class:`qbo_sync.SyncEngine` on ``qbo_client`` and
  ``qbo_store``, its income and A/R accounts mapped;
- ``fake_qbo_server``: the same fake served over loopback HTTP;
- ``qbo_no_backoff``: retries without sleeping (add it to ``usefixtures`` or
  make it autouse in your conftest).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from qbo_sync.testing import FakeClock, FakeQBO, FakeQBOServer


@pytest.fixture
def qbo_clock() -> FakeClock:
    """Virtual time for ``fake_qbo`` and ``qbo_client``: it moves only when advanced or slept on.

    Tests never wait for real: the client's pacer and retry backoff "sleep"
    by advancing this clock, and so do the fake's injected latencies.
    """
    from qbo_sync.testing import FakeClock  # noqa: PLC0415 - cheap plugin import

    return FakeClock()


@pytest.fixture
def fake_qbo(qbo_clock: FakeClock) -> FakeQBO:
    """A fresh FakeQBO holding one company ("Fake Company"), on ``qbo_clock``."""
    from qbo_sync.testing import FakeQBO  # noqa: PLC0415 - cheap plugin import

    fake = FakeQBO(clock=qbo_clock)
    fake.add_company(company_name="Fake Company")
    return fake


@pytest.fixture
def qbo_realm_id(fake_qbo: FakeQBO) -> str:
    """The realm id of ``fake_qbo``'s company."""
    return fake_qbo.realm_ids[0]


@pytest.fixture
def qbo_access_token(fake_qbo: FakeQBO, qbo_realm_id: str) -> str:
    """A bearer token the fake accepts for ``qbo_realm_id``."""
    return fake_qbo.issue_access_token(qbo_realm_id)


@pytest.fixture
def qbo_client(
    fake_qbo: FakeQBO, qbo_clock: FakeClock, qbo_realm_id: str, qbo_access_token: str
) -> Iterator[Any]:
    """A :class:`qbo_sync.QBOClient` (sandbox) talking to ``fake_qbo`` in-process.

    Its pacer (QBO's limits) and its retry backoff wait on ``qbo_clock``, so a
    test of thousands of requests, or of retries after 429s, never sleeps.
    """
    from qbo_sync.client import QBOClient  # noqa: PLC0415 - cheap plugin import
    from qbo_sync.http import RealmPacer, RetryPolicy  # noqa: PLC0415 - cheap plugin import

    client = QBOClient(
        realm_id=qbo_realm_id,
        environment="sandbox",
        access_token=qbo_access_token,
        transport=fake_qbo.transport(),
        pacer=RealmPacer(clock=qbo_clock.monotonic, sleep=qbo_clock.sleep),
        retry=RetryPolicy(sleep=qbo_clock.sleep),
        clock=qbo_clock.now,
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def qbo_store(qbo_clock: FakeClock) -> Any:
    """A :class:`qbo_sync.storage.MemoryStore` on ``qbo_clock``."""
    from qbo_sync.storage import MemoryStore  # noqa: PLC0415 - cheap plugin import

    return MemoryStore(clock=qbo_clock.now)


@pytest.fixture
def qbo_engine(qbo_client: Any, qbo_store: Any, qbo_clock: FakeClock) -> Any:
    """A :class:`qbo_sync.SyncEngine` for ``fake_qbo``'s company, accounts mapped.

    One batch in flight: on virtual time, concurrent waits would each move the
    clock. Pass your own mappers or sink to its methods as a product would.
    """
    from qbo_sync import SyncEngine  # noqa: PLC0415 - cheap plugin import

    engine = SyncEngine(client=qbo_client, store=qbo_store, clock=qbo_clock.now,
                        max_in_flight=1)
    engine.map_accounts(**engine.suggest_accounts())
    return engine


@pytest.fixture
def fake_qbo_server(fake_qbo: FakeQBO) -> Iterator[FakeQBOServer]:
    """``fake_qbo`` served over HTTP on a free loopback port (``.base_url``)."""
    from qbo_sync.testing import FakeQBOServer  # noqa: PLC0415 - cheap plugin import

    with FakeQBOServer(fake_qbo) as server:
        yield server


@pytest.fixture
def qbo_no_backoff() -> Iterator[None]:
    """Within the test, qbo_sync retries at once instead of sleeping."""
    from qbo_sync.http import disable_backoff  # noqa: PLC0415 - cheap plugin import

    with disable_backoff():
        yield
