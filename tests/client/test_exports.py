"""qbo_sync.client's __all__ is exactly its public namespace, sorted."""

from __future__ import annotations

import qbo_sync.client as client_pkg


def test_all_matches_public_names() -> None:
    """Every public name is exported and every export exists; __all__ is in ruff's order."""
    public = {
        name for name in vars(client_pkg)
        if not name.startswith("_") and not isinstance(getattr(client_pkg, name), type(client_pkg))
    }
    assert set(client_pkg.__all__) == public
    # ruff's RUF022 order: SCREAMING_CASE constants first, then the rest.
    order = sorted(client_pkg.__all__, key=lambda n: (not n.isupper(), n))
    assert list(client_pkg.__all__) == order
