"""The health package's public surface."""

from __future__ import annotations

import qbo_sync.health as module


def test_exports_are_sorted_and_complete() -> None:
    """qbo_sync.health.__all__ is sorted and lists exactly the public names."""
    public = {n for n in dir(module) if n.isidentifier() and not n.startswith("_")}
    assert module.__all__ == sorted(module.__all__)
    assert set(module.__all__) == public


def test_connection_state_is_the_oauth_enum() -> None:
    """qbo_sync.health.ConnectionState is the very enum qbo_sync.auth exposes (one source)."""
    import qbo_sync.auth as auth

    assert module.ConnectionState is auth.ConnectionState
    assert [s.value for s in module.ConnectionState] == [
        "connected",
        "expiring_soon",
        "needs_reauthorization",
        "disconnected",
    ]
