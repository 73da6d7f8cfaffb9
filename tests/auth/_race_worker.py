"""One process of the refresh race (run by test_race.py, not collected by pytest).

Reads its settings as one JSON line on stdin, prints "ready", waits for "go",
then runs ``count`` forced refreshes of one realm on ``threads`` threads and
prints a JSON summary.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter

from qbo_sync.auth import IntuitEndpoints, OAuthConfig, OAuthManager
from qbo_sync.errors import InvalidGrantError, QBOError, ReauthorizationRequired
from qbo_sync.storage import SQLiteStore, Store, TokenCipher


def open_store(spec: dict[str, str], cipher: TokenCipher) -> Store:
    """The store ``spec`` names: ``{"sqlite": path}`` or ``{"url": ..., "schema": ...}``."""
    if "sqlite" in spec:
        return SQLiteStore(spec["sqlite"], encryption=cipher)
    from qbo_sync.storage import SQLAlchemyStore

    return SQLAlchemyStore(spec["url"], schema=spec["schema"], encryption=cipher)


def main() -> None:
    args = json.loads(sys.stdin.readline())
    config = OAuthConfig(**args["config"])
    store = open_store(args["store"], TokenCipher([config.token_encryption_key or ""]))
    manager = OAuthManager(
        store=store,
        config=config,
        endpoints=IntuitEndpoints.for_base_url(args["base_url"]),
        api_base_url=args["base_url"],
    )
    remaining = [int(args["count"])]
    guard = threading.Lock()
    outcomes: Counter[str] = Counter()

    def work() -> None:
        while True:
            with guard:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                manager.refresh(args["realm_id"], force=True)
            except (InvalidGrantError, ReauthorizationRequired):
                outcome = "invalid_grant"
            except QBOError as exc:
                outcome = type(exc).__name__
            else:
                outcome = "ok"
            with guard:
                outcomes[outcome] += 1

    print("ready", flush=True)
    sys.stdin.readline()
    threads = [threading.Thread(target=work) for _ in range(int(args["threads"]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    manager.close()
    store.close()
    print(json.dumps(dict(outcomes)), flush=True)


if __name__ == "__main__":
    main()
