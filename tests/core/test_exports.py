"""Every public package lists exactly its public names in ``__all__``.

Ordering is ruff's job (RUF022); this test keeps the list honest.
"""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "qbo_sync",
    "qbo_sync.errors",
    "qbo_sync.models",
    "qbo_sync.http",
    "qbo_sync.client",
    "qbo_sync.storage",
    "qbo_sync.auth",
    "qbo_sync.health",
    "qbo_sync.webhooks",
    "qbo_sync.testing",
    "qbo_sync.cli",
]


def _public_namespace(module: types.ModuleType) -> set[str]:
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_") and name != "__version__":
            continue
        if isinstance(value, types.ModuleType):
            continue  # submodules and imported modules are not API
        if name in {"annotations", "TYPE_CHECKING", "Any"}:
            continue
        names.add(name)
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_all_matches_the_namespace(package: str) -> None:
    """``__all__`` has no duplicates, every name resolves, and nothing public is left out."""
    module = importlib.import_module(package)
    exported = list(module.__all__)
    assert len(exported) == len(set(exported))
    for name in exported:  # also loads lazily exported names into the namespace
        assert getattr(module, name) is not None, name
    assert _public_namespace(module) <= set(exported)


def test_design_names_are_importable() -> None:
    """The public names DESIGN.md promises exist where it says."""
    import qbo_sync
    from qbo_sync import errors, models

    for name in ("QBOClient", "Environment", "OAuthManager"):
        assert hasattr(qbo_sync, name), name
    for name in ("Customer", "Invoice", "Payment", "Item", "CreditMemo", "Account", "TaxCode",
                 "CompanyInfo", "from_qbo", "to_qbo"):
        assert hasattr(models, name), name
    for name in ("QBOError", "TransportError", "AuthError", "ThrottledError", "NotFoundError",
                 "StaleObjectError", "DuplicateNameError", "ValidationError", "ServerError"):
        assert issubclass(getattr(errors, name), errors.QBOError), name
    from qbo_sync.health import HealthTier, compute_health
    from qbo_sync.storage import MemoryStore, SQLAlchemyStore, SQLiteStore
    from qbo_sync.testing import FakeQBO, StorageConformance
    from qbo_sync.webhooks import parse_events, verify_signature

    for function in (compute_health, parse_events, verify_signature):
        assert callable(function)
    tiers = {t.name for t in HealthTier}
    assert tiers == {"EXCELLENT", "GOOD", "WARNING", "CRITICAL", "DISCONNECTED"}
    for cls in (MemoryStore, SQLiteStore, SQLAlchemyStore, FakeQBO, StorageConformance):
        assert isinstance(cls, type)
    assert qbo_sync.SQLAlchemyStore is SQLAlchemyStore
