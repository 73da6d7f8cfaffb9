"""The health package's public surface."""

from __future__ import annotations

import qbo_sync.health as module


def test_exports_are_sorted_and_complete() -> None:
    """qbo_sync.health.__all__ is sorted and lists exactly the public names."""
    public = {n for n in dir(module) if n.isidentifier() and not n.startswith("_")}
    assert module.__all__ == sorted(module.__all__)
    assert set(module.__all__) == public
