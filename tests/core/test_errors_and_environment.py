"""The error tree and Environment behave as documented."""

from __future__ import annotations

import pickle

import pytest

from qbo_sync import Environment, errors


def test_intuit_tid_leads_the_message() -> None:
    """The transaction id comes first, then message, code, status, element and detail."""
    err = errors.DuplicateNameError(
        "Duplicate Name Exists Error",
        status=400,
        code="6240",
        detail="The name supplied already exists.",
        element="DisplayName",
        intuit_tid="1-5f73-abc",
    )
    text = str(err)
    assert text.startswith("[intuit_tid=1-5f73-abc] Duplicate Name Exists Error")
    assert "code 6240" in text
    assert "HTTP 400" in text
    assert "element DisplayName" in text
    assert text.endswith("The name supplied already exists.")


def test_every_fault_error_is_kept_and_counted() -> None:
    """A fault with several errors keeps them all and says how many more there are."""
    details = [
        errors.FaultDetail(code="2050", message="a"),
        errors.FaultDetail(code="2080", message="b"),
    ]
    err = errors.ValidationError("a", code="2050", errors=details)
    assert err.errors == tuple(details)
    assert "[+1 more error(s)]" in str(err)


def test_subclasses_of_builtins_where_callers_expect_them() -> None:
    """Validation-like errors are also ValueError, so generic handlers catch them."""
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.PayloadError, ValueError)
    assert issubclass(errors.ConfigurationError, ValueError)
    assert issubclass(errors.QueryError, errors.ValidationError)
    assert issubclass(errors.InvalidGrantError, errors.AuthError)
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, Exception):
            assert issubclass(cls, errors.QBOError), name


def test_errors_survive_pickling_with_their_facts() -> None:
    """Errors cross process boundaries (Celery, multiprocessing) with every attribute."""
    err = errors.ThrottledError(
        "slow down", status=429, code="3001", retry_after=12.5, intuit_tid="t"
    )
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is errors.ThrottledError
    assert copy.retry_after == 12.5
    assert copy.code == "3001"
    assert str(copy) == str(err)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("sandbox", Environment.SANDBOX), (" Production ", Environment.PRODUCTION),
     (Environment.SANDBOX, Environment.SANDBOX)],
)
def test_environment_parses_explicit_values(value: object, expected: Environment) -> None:
    """Only the two environment names (any case) are accepted."""
    assert Environment.parse(value) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["prod", "", "live", None, 1])
def test_environment_never_guesses(value: object) -> None:
    """Anything else is a ConfigurationError naming the value; never a fallback to production."""
    with pytest.raises(errors.ConfigurationError, match="sandbox' or 'production'") as info:
        Environment.parse(value)  # type: ignore[arg-type]
    assert info.value.problems


def test_hosts_per_environment() -> None:
    """Sandbox companies must be called on the sandbox host (production answers 3100)."""
    assert Environment.SANDBOX.api_base_url == "https://sandbox-quickbooks.api.intuit.com"
    assert Environment.PRODUCTION.api_base_url == "https://quickbooks.api.intuit.com"
