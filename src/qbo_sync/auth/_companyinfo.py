"""How a failed CompanyInfo read reads to a user, and a transport a client may share."""

from __future__ import annotations

import httpx

from qbo_sync.errors import (
    AuthError,
    QBOError,
    ReauthorizationRequired,
    ServerError,
    ThrottledError,
    TransportError,
)

from ._results import CheckOutcome, ConnectionCheck

__all__ = ["SharedTransport", "check_from_error"]


class SharedTransport(httpx.BaseTransport):
    """Lends the manager's transport to a client without letting it close it.

    ``QBOClient.close()`` closes its transport; the manager's transport (a
    connection pool, or the fake QBO's) must outlive every client it made.

    Args:
        inner: The transport to lend.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def __repr__(self) -> str:
        return f"SharedTransport({self._inner!r})"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the shared transport."""
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Do nothing: the owner closes the shared transport."""


def check_from_error(realm_id: str, error: QBOError) -> ConnectionCheck:
    """Explain a failed CompanyInfo read as a :class:`ConnectionCheck`.

    Args:
        realm_id: The company tested.
        error: What the read raised.

    Returns:
        The check, with an outcome and a sentence for a settings page.
    """
    tid = error.intuit_tid

    def check(outcome: CheckOutcome, message: str) -> ConnectionCheck:
        return ConnectionCheck(realm_id=realm_id, outcome=outcome, message=message, intuit_tid=tid)

    if isinstance(error, ReauthorizationRequired):
        return check(
            CheckOutcome.NEEDS_REAUTHORIZATION,
            f"The connection to QuickBooks company {realm_id} has expired or was revoked; "
            "connect QuickBooks again.",
        )
    if isinstance(error, AuthError):
        if error.status == 401:
            return check(
                CheckOutcome.UNAUTHORIZED,
                "QuickBooks refused the access token even after a refresh; connect "
                "QuickBooks again.",
            )
        return check(
            CheckOutcome.FORBIDDEN,
            "QuickBooks refused access to this company (the user lacks permission, the "
            "subscription lapsed, or a sandbox company is called on production): "
            f"{error.message}",
        )
    if isinstance(error, ThrottledError):
        return check(CheckOutcome.THROTTLED, "QuickBooks is throttling requests; try again later.")
    if isinstance(error, TransportError | ServerError):
        return check(
            CheckOutcome.UNAVAILABLE,
            f"QuickBooks could not be reached or failed ({error.message}); try again later.",
        )
    return check(CheckOutcome.ERROR, f"The CompanyInfo read failed: {error}")
