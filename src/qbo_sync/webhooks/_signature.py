"""The ``intuit-signature`` check.

Intuit signs every delivery with ``base64(HMAC-SHA256(key=verifier token,
msg=raw body))``. The check runs over the exact bytes received, before any
parsing, compares in constant time, and fails closed: a missing, empty,
non-base64 or wrong-length signature is a failure, never a pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import cast

from qbo_sync.errors import SignatureError

__all__ = ["check_signature", "compute_signature", "verify_signature"]

_DIGEST_SIZE = hashlib.sha256().digest_size


def compute_signature(body: bytes, verifier_token: str) -> str:
    """Sign a body the way Intuit does.

    Useful to build signed deliveries in tests, or in a fake webhook sender.

    Args:
        body: The raw request body.
        verifier_token: The app's webhook verifier token (not the client secret).

    Returns:
        The value of the ``intuit-signature`` header for ``body``.
    """
    return base64.b64encode(_digest(body, verifier_token)).decode("ascii")


def _digest(body: bytes, verifier_token: str) -> bytes:
    return hmac.new(verifier_token.encode("utf-8"), bytes(body), hashlib.sha256).digest()


def check_signature(body: bytes, signature: str | None, verifier_token: str | None) -> None:
    """Verify a delivery's signature, raising on any failure.

    Args:
        body: The raw request body, exactly as received (not re-serialised).
        signature: The ``intuit-signature`` header value, or ``None`` when absent.
        verifier_token: The app's webhook verifier token.

    Raises:
        SignatureError: With ``reason`` one of ``missing_verifier_token``,
            ``missing_signature``, ``malformed_signature`` (not base64, or not
            a 32-byte HMAC-SHA256 digest) or ``signature_mismatch``. The
            message never contains the verifier token.
        TypeError: If ``body`` is a ``str``: a decoded body may differ from
            the bytes Intuit signed, so it cannot be verified.
    """
    # Typed as bytes, but frameworks make it easy to pass request.text.
    if isinstance(cast(object, body), str):
        raise TypeError("webhook body must be the raw request bytes, not a decoded str")
    if not verifier_token:
        raise SignatureError(
            "webhook verifier token is not configured", reason="missing_verifier_token"
        )
    if signature is None or not signature.strip():
        raise SignatureError(
            "intuit-signature header is missing or empty", reason="missing_signature"
        )
    try:
        received = base64.b64decode(signature.strip().encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise SignatureError(
            "intuit-signature header is not valid base64", reason="malformed_signature"
        ) from None
    if len(received) != _DIGEST_SIZE:
        raise SignatureError(
            f"intuit-signature header decodes to {len(received)} bytes, "
            f"expected a {_DIGEST_SIZE}-byte HMAC-SHA256 digest",
            reason="malformed_signature",
        )
    if not hmac.compare_digest(received, _digest(body, verifier_token)):
        raise SignatureError(
            "intuit-signature does not match the body (wrong verifier token, "
            "or the body was altered or re-serialised)",
            reason="signature_mismatch",
        )


def verify_signature(body: bytes, signature: str | None, verifier_token: str | None) -> bool:
    """Tell whether ``signature`` is Intuit's signature of ``body``.

    The lenient twin of :func:`check_signature`: every failure, including a
    missing or malformed signature and an unset verifier token, is ``False``.

    Args:
        body: The raw request body, exactly as received.
        signature: The ``intuit-signature`` header value (``None`` when absent).
        verifier_token: The app's webhook verifier token.

    Returns:
        ``True`` only when the signature is well formed and matches.

    Raises:
        TypeError: If ``body`` is a ``str`` instead of the raw bytes.
    """
    try:
        check_signature(body, signature, verifier_token)
    except SignatureError:
        return False
    return True
