"""The intuit-signature check against Intuit's own test vectors and tampering."""

from __future__ import annotations

import base64
import json

import pytest
from tests.conftest import REAL_SAMPLES

from qbo_sync.errors import SignatureError
from qbo_sync.webhooks import check_signature, compute_signature, verify_signature

VECTORS = [
    "QuickBooks-V3-DotNET-SDK/WebhooksService.Test/WebhooksServiceTest.cs.signature_vector.json",
    "QuickBooks-V3-Java-SDK/WebhooksServiceTest.java.signature_vector.json",
]


def _vector(name: str) -> tuple[bytes, str, str]:
    data = json.loads((REAL_SAMPLES / name).read_text(encoding="utf-8"))
    return data["body"].encode("utf-8"), data["intuit-signature"], data["verifier_token"]


@pytest.mark.parametrize("name", VECTORS)
def test_intuit_vectors_verify(name: str) -> None:
    """Intuit's published (body, signature, verifier token) triples verify."""
    body, signature, token = _vector(name)
    assert verify_signature(body, signature, token) is True
    check_signature(body, signature, token)
    assert compute_signature(body, token) == signature


@pytest.mark.parametrize("name", VECTORS)
def test_tampered_body_fails(name: str) -> None:
    """Changing one byte of the body, or re-serialising it, breaks the signature."""
    body, signature, token = _vector(name)
    tampered = body.replace(b'"id":"', b'"id":"9', 1)
    assert tampered != body
    assert verify_signature(tampered, signature, token) is False
    reserialised = json.dumps(json.loads(body), indent=1).encode()
    assert verify_signature(reserialised, signature, token) is False
    with pytest.raises(SignatureError) as info:
        check_signature(tampered, signature, token)
    assert info.value.reason == "signature_mismatch"


def test_other_vector_token_fails() -> None:
    """A signature made with another app's verifier token is refused."""
    body, signature, _ = _vector(VECTORS[0])
    _, _, other_token = _vector(VECTORS[1])
    assert verify_signature(body, signature, other_token) is False


@pytest.mark.parametrize(
    ("signature", "token", "reason"),
    [
        (None, "tok", "missing_signature"),
        ("", "tok", "missing_signature"),
        ("   ", "tok", "missing_signature"),
        ("not base64!!", "tok", "malformed_signature"),
        ("élan", "tok", "malformed_signature"),
        (base64.b64encode(b"short").decode(), "tok", "malformed_signature"),
        (base64.b64encode(b"x" * 33).decode(), "tok", "malformed_signature"),
        (base64.b64encode(b"x" * 32).decode(), "tok", "signature_mismatch"),
        (base64.b64encode(b"x" * 32).decode(), "", "missing_verifier_token"),
        (base64.b64encode(b"x" * 32).decode(), None, "missing_verifier_token"),
    ],
)
def test_failures_name_their_reason(signature: str | None, token: str | None, reason: str) -> None:
    """Every way a signature can fail raises SignatureError with a specific reason."""
    with pytest.raises(SignatureError) as info:
        check_signature(b"{}", signature, token)
    assert info.value.reason == reason
    assert verify_signature(b"{}", signature, token) is False


def test_error_text_never_contains_the_verifier_token() -> None:
    """The verifier token is a secret: no failure message or repr shows it."""
    body, _, token = _vector(VECTORS[0])
    for sig in (None, "@@", base64.b64encode(b"y" * 32).decode()):
        with pytest.raises(SignatureError) as info:
            check_signature(body, sig, token)
        assert token not in str(info.value)
        assert token not in repr(info.value)


def test_surrounding_whitespace_in_header_is_ignored() -> None:
    """A header value with stray spaces still verifies (some proxies add them)."""
    body, signature, token = _vector(VECTORS[1])
    assert verify_signature(body, f" {signature}\t", token) is True


def test_str_body_is_a_type_error() -> None:
    """A decoded body cannot be verified; passing one is a programming error."""
    body, signature, token = _vector(VECTORS[1])
    with pytest.raises(TypeError):
        verify_signature(body.decode(), signature, token)  # type: ignore[arg-type]
