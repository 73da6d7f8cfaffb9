"""qbo_sync.auth exports exactly its public names."""

from __future__ import annotations

import qbo_sync.auth


def test_all_matches_public_namespace() -> None:
    """__all__ is sorted and equals every public name the package defines."""
    public = {
        name for name in vars(qbo_sync.auth)
        if not name.startswith("_") and name.isidentifier()
    }
    assert set(qbo_sync.auth.__all__) == public
    names = list(qbo_sync.auth.__all__)
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
