"""What the fake's front door answers with: a plain reply and the gateway faults.

The bodies copy real recorded QBO responses (``qbo_api/vcr/error/401.yml``,
the 3001 throttle and 3100 authorization faults in ``issue-reports/`` and
``qbo_rails/``); tokens are never echoed in them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from qbo_sync import _json
from qbo_sync.testing._fake._core_time import response_time

__all__ = [
    "Reply",
    "auth_failed",
    "authorization_failed",
    "fault_envelope",
    "intuit_tid",
    "json_reply",
    "server_error",
    "text_reply",
    "throttled",
]

JSON_TYPE = "application/json"


@attrs.frozen(kw_only=True)
class Reply:
    """An HTTP answer before it is turned into an httpx or ASGI response.

    Attributes:
        status: HTTP status code.
        headers: Header pairs (names as Intuit spells them).
        body: Raw body bytes.
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


def intuit_tid() -> str:
    """A fresh transaction id in Intuit's ``1-<8 hex>-<24 hex>`` format."""
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


def json_reply(
    status: int,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str = JSON_TYPE,
) -> Reply:
    """A JSON reply with an ``intuit_tid`` header (QBO sends one on everything)."""
    pairs = [("Content-Type", content_type), ("intuit_tid", intuit_tid())]
    if headers:
        pairs.extend(headers.items())
    return Reply(status=status, headers=tuple(pairs), body=_json.dumps(payload))


def text_reply(status: int, text: str, *, content_type: str = "text/plain") -> Reply:
    """A plain-text or HTML reply with an ``intuit_tid`` header."""
    return Reply(
        status=status,
        headers=(("Content-Type", content_type), ("intuit_tid", intuit_tid())),
        body=text.encode(),
    )


def fault_envelope(fault: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """``{"Fault": fault, "time": ...}``: QBO's fault body, time in Pacific with milliseconds."""
    return {"Fault": fault, "time": response_time(now)}


def _gateway_fault(
    status: int, code: str, *, message: str, detail: str, fault_type: str, now: datetime
) -> Reply:
    error = {"Message": message, "Detail": detail, "code": code}
    return json_reply(status, fault_envelope({"Error": [error], "type": fault_type}, now=now))


def auth_failed(detail: str, *, now: datetime) -> Reply:
    """401 / 3200 in the gateway's lowercase envelope (recorded in ``error/401.yml``).

    Args:
        detail: Why (``Token expired``, ``Token revoked`` ...), never the token.
        now: For the envelope's ``time`` (epoch milliseconds, as recorded).
    """
    body: dict[str, Any] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": int(now.timestamp() * 1000),
        "status": None,
        "cdcresponse": [],
    }
    return json_reply(
        401, body, headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
    )


def authorization_failed(*, now: datetime) -> Reply:
    """403 / 3100 ApplicationAuthorizationFailed (recorded in ``qbo_rails/auth/forbidden.yml``)."""
    return _gateway_fault(
        403,
        "3100",
        message="message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        detail="",
        fault_type="SERVICE",
        now=now,
    )


def throttled(*, now: datetime) -> Reply:
    """429 / 3001 ThrottleExceeded (facts sheet 3.3)."""
    return _gateway_fault(
        429,
        "3001",
        message="message=ThrottleExceeded; errorCode=003001; statusCode=429",
        detail="The request limit was reached. Try again later",
        fault_type="SERVICE",
        now=now,
    )


def server_error(status: int, *, now: datetime) -> Reply:
    """A 5xx the way QBO's gateway sends one: a SystemFault body for 500, HTML else."""
    if status == 500:
        return _gateway_fault(
            500,
            "10000",
            message="An application error has occurred while processing your request",
            detail="System Failure Error: An unexpected error occurred while accessing or saving "
            "your data. Please wait a few minutes and try again.",
            fault_type="SystemFault",
            now=now,
        )
    text = {502: "502 Bad Gateway", 503: "503 Service Unavailable", 504: "504 Gateway Time-out"}
    message = text.get(status, f"{status} Error")
    return text_reply(
        status, f"<html><body><h1>{message}</h1></body></html>", content_type="text/html"
    )
