"""The redact() helper removes token-like text and keeps ordinary text."""

from __future__ import annotations

import pytest
import yaml
from tests.conftest import REAL_SAMPLES

from qbo_sync.http import redact
from qbo_sync.http._redact import REDACTED


def test_real_401_detail() -> None:
    """The real 401's 'Token expired: AB0160...' detail loses the token fragment."""
    data = yaml.safe_load((REAL_SAMPLES / "qbo_api/vcr/error/401.yml").read_text(encoding="utf-8"))
    body = data["http_interactions"][0]["response"]["body"]["string"]
    token = "AB01601390262kxzxOlnHYdhtEVRXISU7piPqQrCmmbDN35Yjd"
    assert token in body
    scrubbed = redact(body)
    assert token not in scrubbed
    assert "AB0160" not in scrubbed
    assert "Token expired: [REDACTED]" in scrubbed
    assert "AuthenticationFailed" in scrubbed


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0..abc.def.ghi", "eyJlbmMi"),
        ("bearer abc123secretvalue", "abc123secretvalue"),
        ("refresh_token=AB11600000000abcdefGHIJKLmnop", "AB11600000000"),
        ('{"access_token":"sample_access_token_value"}', "sample_access_token_value"),
        ("client_secret=shhh-very-secret", "shhh-very-secret"),
        ("Token invalid - qyprdXyZ123abcDEF456", "qyprdXyZ123abcDEF456"),
        ("see L011546037639r2VSyX0rXhJYqHe5rgrfgOjYSFGW1a4q5bnPB", "L011546037639"),
        ("code=AB11xyz&state=abc", "AB11xyz"),
    ],
)
def test_secrets_removed(text: str, secret: str) -> None:
    """Each kind of secret is replaced by the marker."""
    scrubbed = redact(text)
    assert secret not in scrubbed
    assert REDACTED in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "Duplicate Name Exists Error",
        "QueryValidationError: invalid context declaration: Custmoer",
        "1-5f733c38-6312b3f50596e47933ee0781",
        "Root=1-5f733c38-6312b3f50596e47933ee0781",
        "a90bfae9-9c6b-4179-9c7e-d8f538d09f6f",
        "/v3/company/9130355377293516/customer/1/5",
        "class com.intuit.schema.finance.v3.Invoice",
        "DocNumber=1001 is assigned to TxnType=Invoice with TxnId=130",
        "Amount 337.50 on Line.SalesItemLineDetail.ItemRef",
        "",
    ],
)
def test_ordinary_text_kept(text: str) -> None:
    """Messages, ids, intuit_tids, paths and amounts survive unchanged."""
    assert redact(text) == text


def test_idempotent() -> None:
    """Redacting twice gives the same text as once."""
    once = redact("Token expired: AB01601390262kxzxOlnHYdhtEVRXISU7piPqQrCmmbDN35Yjd")
    assert redact(once) == once


def test_qbo_error_codes_in_messages_kept() -> None:
    """Gateway messages keep their errorCode/statusCode text; a bare code=6240 stays too."""
    text = "message=ThrottleExceeded; errorCode=003001; statusCode=429; code=6240"
    assert redact(text) == text
