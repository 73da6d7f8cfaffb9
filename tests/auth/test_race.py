"""Refresh race: two processes x four threads force 100 refreshes of one realm.

The fake QBO is served over HTTP on loopback (shared by both processes, every
superseded refresh token dead at once: no grace window) and the store is one
SQLite file, or one PostgreSQL schema (SQLAlchemyStore: advisory lock and
compare-and-swap on the server; skipped without QBO_SYNC_TEST_POSTGRES_URL
unless QBO_SYNC_REQUIRE_POSTGRES=1). Zero invalid_grant and exactly one live
refresh token at the end prove the refresh is single-flight across threads
and processes and that every rotated refresh token was stored before the next
refresh used it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from qbo_sync import Environment
from qbo_sync.auth import Connected, IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.storage import Store, TokenCipher
from qbo_sync.testing import FakeQBO, FakeQBOServer
from qbo_sync.testing.storage_conformance import fresh_postgres_schema, postgres_url_or_skip

pytestmark = [pytest.mark.xdist_group("oauth-refresh-race"), pytest.mark.slow]

WORKER = Path(__file__).with_name("_race_worker.py")
PROCESSES = 2
THREADS = 4
REFRESHES = 100


@pytest.fixture
def pg_store_spec() -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL schema for one race (dropped afterwards)."""
    url = postgres_url_or_skip()
    with fresh_postgres_schema(url) as schema:
        yield {"url": url, "schema": schema}


def test_two_processes_refresh_one_realm(tmp_path: Path) -> None:
    """100 forced refreshes from 2 processes x 4 threads on SQLite: no invalid_grant."""
    _race({"sqlite": str(tmp_path / "race.sqlite3")})


@pytest.mark.postgres
def test_two_processes_refresh_one_realm_on_postgres(pg_store_spec: dict[str, str]) -> None:
    """The same race on PostgreSQL (SQLAlchemyStore): no invalid_grant, one live token."""
    _race(pg_store_spec)


def _open_store(spec: dict[str, str], cipher: TokenCipher) -> Store:
    # The worker's own function, so the test and the workers open the same store.
    loader = importlib.util.spec_from_file_location("qbo_sync_race_worker", WORKER)
    assert loader is not None
    assert loader.loader is not None
    worker = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(worker)
    store: Store = worker.open_store(spec, cipher)
    return store


def _race(store_spec: dict[str, str]) -> None:
    fake = FakeQBO(limits=False)
    realm = fake.add_company(company_name="Race Co")
    config = OAuthConfig(
        client_id="ABraceclient",
        client_secret="race-client-secret-0123456789",
        redirect_uri="http://localhost:8000/callback",
        environment=Environment.SANDBOX,
        token_encryption_key=Fernet.generate_key().decode(),
    )
    fake.register_app(client_id=config.client_id, client_secret=config.client_secret,
                      redirect_uris=[config.redirect_uri])
    with FakeQBOServer(fake) as server:
        store = _open_store(store_spec, TokenCipher([config.token_encryption_key or ""]))
        with OAuthManager(store=store, config=config, api_base_url=server.base_url,
                          endpoints=IntuitEndpoints.for_base_url(server.base_url)) as manager:
            request = manager.authorization_url(tenant_id="race")
            callback = httpx.get(request.url).headers["location"]
            assert isinstance(manager.handle_callback(callback, tenant_id="race"), Connected)
        first = store.get_tokens(realm)
        assert first is not None

        settings = json.dumps({
            "config": {
                "client_id": config.client_id,
                "client_secret": config.client_secret,
                "redirect_uri": config.redirect_uri,
                "environment": "sandbox",
                "token_encryption_key": config.token_encryption_key,
            },
            "store": store_spec,
            "base_url": server.base_url,
            "realm_id": realm,
            "threads": THREADS,
            "count": REFRESHES // PROCESSES,
        })
        workers = [
            subprocess.Popen(
                [sys.executable, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        for worker in workers:
            assert worker.stdin is not None
            assert worker.stdout is not None
            worker.stdin.write(settings + "\n")
            worker.stdin.flush()
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:  # start both together
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outcomes: Counter[str] = Counter()
        for worker in workers:
            out, _ = worker.communicate(timeout=120)
            assert worker.returncode == 0
            outcomes.update(json.loads(out.strip().splitlines()[-1]))
        live = fake.live_refresh_tokens()
        stats = fake.stats.snapshot()

    assert outcomes == {"ok": REFRESHES}
    assert "400" not in stats["statuses"]  # Intuit (the fake) never said invalid_grant
    final = store.get_tokens(realm)
    assert final is not None
    assert final.version == first.version + REFRESHES
    assert live == [final.refresh_token]
    store.close()
