"""Scrub token-like text out of strings that may reach logs or exceptions.

QBO echoes fragments of the bearer token it refused in fault details
(``Token expired: AB01601390262kxz...``), and OAuth errors can quote codes
and tokens too. Everything qbo_sync puts in an error message or a log line
goes through :func:`redact` first.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact"]

#: What a scrubbed secret is replaced with.
REDACTED = "[REDACTED]"

# A JWT/JWE (Intuit access tokens are JWEs): base64url segments after "eyJ".
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]*)*")
# "Bearer <token>" anywhere, e.g. a quoted Authorization header.
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s,;\"']+")
# key=value / key: value pairs whose key names a secret.
_SECRET_PAIR = re.compile(
    r"(?i)\b((?:access|refresh|id|bearer|oauth)[_\-]?token|client[_\-]?secret|"
    r"verifier[_\-]?token|authorization|token)"
    r"(\"?\s*[:=]\s*\"?)([^\s,;&\"'}]+)"
)
# An OAuth authorization code in a callback URL (``?code=AB11...&state=``); the
# look-behind keeps QBO's own ``errorCode=003200`` text intact.
_AUTH_CODE = re.compile(r"(?i)(?<![A-Za-z])(code=)([A-Za-z0-9_\-.]*[A-Za-z][A-Za-z0-9_\-.]*)")
# "Token expired: X", "token invalid - X", "Invalid token X": the word after.
_TOKEN_PHRASE = re.compile(
    r"(?i)\b(token(?:\s+(?:expired|invalid|revoked|rejected|malformed))?\s*[:\-]\s*)"
    r"([A-Za-z0-9_\-.~+/=]{8,})"
)
# A long opaque run mixing upper case, lower case and digits is how Intuit
# refresh tokens (AB11...) and OAuth 1 tokens look; hex ids, realm ids and
# intuit_tids are single-case or digits only, so they survive.
_OPAQUE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{20,}(?![A-Za-z0-9])")


def _opaque(match: re.Match[str]) -> str:
    text = match.group(0)
    if (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    ):
        return REDACTED
    return text


def redact(text: str) -> str:
    """Replace anything that looks like a token or secret with ``[REDACTED]``.

    Args:
        text: Any text that may quote a token (fault details, OAuth errors).

    Returns:
        The text with JWTs, ``Bearer`` values, ``token=``/``client_secret=``
        values, the word after ``Token expired:`` and long mixed-case
        alphanumeric runs replaced. Ordinary words, numbers, hex ids, realm
        ids and ``intuit_tid`` values are kept.
    """
    if not text:
        return text
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _TOKEN_PHRASE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _SECRET_PAIR.sub(
        lambda m: m.group(0) if m.group(3) == REDACTED else f"{m.group(1)}{m.group(2)}{REDACTED}",
        text,
    )
    text = _AUTH_CODE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _OPAQUE.sub(_opaque, text)
