"""Keep secrets out of logs, reprs and error text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

__all__ = ["fingerprint", "scrub"]


def fingerprint(secret: str | None) -> str:
    """A short, stable, non-reversible label for a secret, safe to log.

    Two log lines about the same refresh token show the same label, so a
    rotation can be followed without the token ever being written.

    Args:
        secret: The token or key; ``None`` gives ``"none"``.

    Returns:
        ``"sha256:"`` and the first 10 hex digits of the digest.
    """
    if not secret:
        return "none"
    return "sha256:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:10]


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in ``text`` with ``***``.

    Used on text that comes from outside (an ``error_description`` from the
    token endpoint) before it reaches an exception message or a log line.

    Args:
        text: The text to clean.
        secrets: Values that must not appear; empty or very short values are
            ignored (scrubbing ``"a"`` would mangle the text without
            protecting anything).

    Returns:
        The cleaned text.
    """
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "***")
    return text
