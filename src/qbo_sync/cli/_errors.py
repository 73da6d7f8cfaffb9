"""The one error type the command line reports as a message, a hint and an exit code.

Exit statuses (``docs/cli.md``):

==== ======================================================================
0    the command did what it was asked
1    it failed: QuickBooks refused something, or some records failed
2    bad usage or configuration (options, ``QUICKBOOKS_*`` variables, the database)
3    not connected, or the connection needs the user to reconnect
4    a temporary failure (QuickBooks unreachable, throttled, busy): retry later
130  interrupted (Ctrl-C)
==== ======================================================================
"""

from __future__ import annotations

from qbo_sync.errors import (
    AuthError,
    ConfigurationError,
    EncryptionKeyError,
    LockTimeoutError,
    OAuthError,
    QBOError,
    ReauthorizationRequired,
    SchemaVersionError,
    ServerError,
    StorageError,
    ThrottledError,
    TransportError,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_NOT_CONNECTED",
    "EXIT_RETRY_LATER",
    "EXIT_USAGE",
    "HINT_CONNECT",
    "HINT_RECONNECT",
    "HINT_RETRY_LATER",
    "CLIError",
    "explain",
]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_CONNECTED = 3
EXIT_RETRY_LATER = 4

HINT_CONNECT = "connect a company first: qbo-sync connect"
HINT_RECONNECT = "reconnect the company: qbo-sync connect"
HINT_RETRY_LATER = "retry later; nothing is lost, and the next run picks up where this one stopped"


class CLIError(Exception):
    """A failure the command line explains in one line, with a hint.

    Args:
        message: What went wrong (one line; never a secret).
        exit_code: See the module's table; 2 for bad usage, 1 by default.
        hint: What to do about it, if there is something to do.
    """

    def __init__(self, message: str, *, exit_code: int = EXIT_FAILED,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.hint = hint


def qbo_facts(exc: QBOError) -> str:
    """``"QBO code 6240, HTTP 400, intuit_tid 1-abc"``: what support asks for (may be empty)."""
    facts = []
    if exc.code:
        facts.append(f"QBO code {exc.code}")
    if exc.status is not None:
        facts.append(f"HTTP {exc.status}")
    if exc.intuit_tid:
        facts.append(f"intuit_tid {exc.intuit_tid}")
    return ", ".join(facts)


def _text(exc: QBOError) -> str:
    text = exc.message
    if exc.detail and exc.detail != exc.message:
        text = f"{text}: {exc.detail}"
    if exc.element:
        text = f"{text} (field {exc.element})"
    facts = qbo_facts(exc)
    return f"{text} [{facts}]" if facts else text


def explain(exc: QBOError) -> CLIError:
    """The one-line message, hint and exit status for a library error.

    Library errors never carry a secret in their text (``qbo_sync.errors``),
    so their message is safe to print.
    """
    text = _text(exc)
    if isinstance(exc, ReauthorizationRequired):
        return CLIError(text, exit_code=EXIT_NOT_CONNECTED, hint=HINT_RECONNECT)
    if isinstance(exc, OAuthError) and exc.error in ("invalid_client", "unauthorized_client"):
        return CLIError(text, exit_code=EXIT_USAGE, hint=(
            "check QUICKBOOKS_CLIENT_ID and QUICKBOOKS_CLIENT_SECRET (the app's keys in the "
            "Intuit developer portal, for QUICKBOOKS_ENVIRONMENT)"))
    if isinstance(exc, AuthError):
        if exc.status == 403 or exc.code == "3100":
            return CLIError(text, exit_code=EXIT_NOT_CONNECTED, hint=(
                "the QuickBooks user lacks permission, the subscription lapsed, or a sandbox "
                "company is used with QUICKBOOKS_ENVIRONMENT=production; then reconnect: "
                "qbo-sync connect"))
        return CLIError(text, exit_code=EXIT_NOT_CONNECTED, hint=HINT_RECONNECT)
    if isinstance(exc, LockTimeoutError):
        return CLIError(text, exit_code=EXIT_RETRY_LATER,
                        hint="another sync of this company is running; retry when it is done")
    if isinstance(exc, (ThrottledError, ServerError, TransportError)):
        return CLIError(text, exit_code=EXIT_RETRY_LATER, hint=HINT_RETRY_LATER)
    if isinstance(exc, EncryptionKeyError):
        return CLIError(text, exit_code=EXIT_USAGE, hint=(
            "set QUICKBOOKS_TOKEN_ENCRYPTION_KEY to the key the company was connected with "
            "(or reconnect: qbo-sync connect)"))
    if isinstance(exc, SchemaVersionError):
        return CLIError(text, exit_code=EXIT_USAGE,
                        hint="the database was written by a newer qbo_sync: upgrade qbo-sync")
    if isinstance(exc, ConfigurationError):
        return CLIError(text, exit_code=EXIT_USAGE)
    if isinstance(exc, StorageError):
        return CLIError(f"the database failed: {text}", exit_code=EXIT_FAILED)
    return CLIError(text, exit_code=EXIT_FAILED)
