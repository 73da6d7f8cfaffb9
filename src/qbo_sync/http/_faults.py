"""Turn QBO responses and fault envelopes into :mod:`qbo_sync.errors` classes.

Pure functions over plain data (status, headers, body bytes): no I/O, so the
sync and a future async client share them. QBO answers errors in several
shapes, all handled here:

- the standard JSON envelope ``{"Fault": {"Error": [...], "type": ...}}``;
- the gateway's lower-case envelope of real 401s
  ``{"fault": {"error": [{"message", "detail", "code", "element"}]}}``;
- XML ``<IntuitResponse><Fault type=...><Error code=...>`` (also sent to
  JSON requests, notably for throttling);
- a ``Fault`` inside an HTTP 200;
- anything else (HTML from a proxy, empty bodies): the HTTP status decides.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from qbo_sync import _json
from qbo_sync.errors import (
    AuthError,
    DuplicateDocNumberError,
    DuplicateNameError,
    FaultDetail,
    NotFoundError,
    QBOError,
    QueryError,
    ServerError,
    StaleObjectError,
    ThrottledError,
    ValidationError,
)
from qbo_sync.http._headers import intuit_tid_from, retry_after_from
from qbo_sync.http._redact import redact

__all__ = ["error_class_for", "error_from_fault", "error_from_response", "parse_fault"]

_AUTH_CODES = frozenset({"100", "120", "130", "3100", "3200"})
_AUTH_FAULT_TYPES = frozenset(
    {"authenticationfault", "authorizatonfault", "authorizationfault", "authentication"}
)
_QUERY_CODES = frozenset({"4000", "4001", "4002"})
_SNIPPET = 200
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Gateway messages read "message=ThrottleExceeded; errorCode=003001; statusCode=429".
_THROTTLE_TEXT = re.compile(r"throttleexceeded|errorcode=0*3001\b", re.IGNORECASE)


def _ci_get(data: Mapping[str, Any], key: str) -> Any:
    """Look a key up ignoring case (QBO's gateway lower-cases its envelope)."""
    if key in data:
        return data[key]
    lowered = key.lower()
    for name, value in data.items():
        if name.lower() == lowered:
            return value
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _detail(code: Any, message: Any, detail: Any, element: Any) -> FaultDetail:
    """One fault error, whichever format it came in; message and detail redacted."""
    message_text = _text(message)
    detail_text = _text(detail)
    return FaultDetail(
        code=_text(code),
        message=redact(message_text) if message_text else "",
        detail=redact(detail_text) if detail_text else None,
        element=_text(element),
    )


def _detail_from_mapping(item: Mapping[str, Any]) -> FaultDetail:
    return _detail(
        _ci_get(item, "code"),
        _ci_get(item, "Message"),
        _ci_get(item, "Detail"),
        _ci_get(item, "element"),
    )


def _unwrap(fault: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = _ci_get(fault, "Fault")
    return inner if isinstance(inner, Mapping) else fault


def parse_fault(fault: Mapping[str, Any]) -> tuple[str | None, tuple[FaultDetail, ...]]:
    """Read a JSON fault (either case) into its type and error details.

    Args:
        fault: The ``Fault`` object, or a mapping holding it under
            ``Fault``/``fault`` (a batch item, a whole response).

    Returns:
        ``(fault_type, errors)``; message and detail are already redacted.
    """
    body = _unwrap(fault)
    raw_errors = _ci_get(body, "Error")
    if isinstance(raw_errors, Mapping):
        raw_errors = [raw_errors]
    errors: list[FaultDetail] = []
    if isinstance(raw_errors, Sequence) and not isinstance(raw_errors, str | bytes):
        errors = [_detail_from_mapping(e) for e in raw_errors if isinstance(e, Mapping)]
    return _text(_ci_get(body, "type")), tuple(errors)


def error_class_for(
    status: int | None, code: str | None, fault_type: str | None, text: str = ""
) -> type[QBOError]:
    """Pick the error class for a status, fault code and fault type.

    The fault code wins over the HTTP status where it is specific (QBO sends
    most business faults as HTTP 400, and code ``500`` "Unsupported
    Operation" arrives as HTTP 400 too).

    Args:
        status: HTTP status, or ``None`` for a batch item.
        code: The QBO fault code of the first error.
        fault_type: The fault ``type`` attribute.
        text: Messages and details of the fault, for the two rules that read
            text (403 + ThrottleExceeded; 6210 + "duplicate").

    Returns:
        A subclass of :class:`~qbo_sync.errors.QBOError`.
    """
    ftype = (fault_type or "").lower()
    if status == 429 or code == "3001" or _THROTTLE_TEXT.search(text):
        return ThrottledError
    if status == 401 or code in _AUTH_CODES or ftype in _AUTH_FAULT_TYPES:
        return AuthError
    if code == "5010":
        return StaleObjectError
    if code == "6240":
        return DuplicateNameError
    if code == "6140":
        return DuplicateDocNumberError
    if code == "6210":
        # Intuit lists 6210 both as "Duplicate Document Number" and "Account
        # Period Closed" (CONFLICT in the facts sheet): let the text decide.
        return DuplicateDocNumberError if "duplicate" in text.lower() else ValidationError
    if code in _QUERY_CODES:
        return QueryError
    if code == "610" or status == 404:
        return NotFoundError
    if ftype == "systemfault" or (status is not None and status >= 500):
        return ServerError
    if status == 403:
        return AuthError
    if status is not None and (status < 200 or 300 <= status < 400):
        return ServerError
    return ValidationError


def _build(
    *,
    status: int | None,
    fault_type: str | None,
    errors: tuple[FaultDetail, ...],
    intuit_tid: str | None,
    retry_after: float | None = None,
) -> QBOError:
    first = errors[0] if errors else None
    code = first.code if first else None
    text = " ".join(f"{e.message} {e.detail or ''}" for e in errors)
    cls = error_class_for(status, code, fault_type, text)
    message = (first.message if first else "") or _status_message(status, fault_type)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "detail": first.detail if first else None,
        "element": first.element if first else None,
        "intuit_tid": intuit_tid,
        "errors": errors,
        "fault_type": fault_type,
    }
    if cls is ThrottledError:
        return ThrottledError(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def _status_message(status: int | None, fault_type: str | None) -> str:
    if status is None:
        return f"QBO returned a {fault_type or 'fault'} without a message"
    reason = _REASONS.get(status, "")
    return f"QBO returned HTTP {status}{' ' + reason if reason else ''}"


def error_from_fault(
    fault: Mapping[str, Any], *, status: int | None, intuit_tid: str | None
) -> QBOError:
    """Build the error for one JSON fault (a batch item's, or a response's).

    Args:
        fault: The ``Fault`` object (``{"Error": [...], "type": ...}``) or a
            mapping holding it under ``Fault``/``fault``; key case is ignored.
        status: HTTP status of the response that carried it (``None`` or 200
            for batch items).
        intuit_tid: The response's ``intuit_tid``.

    Returns:
        The matching :class:`~qbo_sync.errors.QBOError` subclass, with every
        error of the fault in ``errors`` and secrets redacted.
    """
    fault_type, errors = parse_fault(fault)
    return _build(status=status, fault_type=fault_type, errors=errors, intuit_tid=intuit_tid)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml_fault(text: str) -> tuple[str | None, tuple[FaultDetail, ...]] | None:
    # Refuse DTDs outright: a fault never has one, and it shuts the door on
    # entity-expansion tricks in a body we did not ask for.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return None
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs are refused above
    except ET.ParseError:
        return None
    fault = root if _local(root.tag) == "Fault" else None
    if fault is None:
        fault = next((el for el in root if _local(el.tag) == "Fault"), None)
    if fault is None:
        return None
    errors: list[FaultDetail] = []
    for el in fault:
        if _local(el.tag) != "Error":
            continue
        parts = {_local(child.tag): child.text for child in el}
        errors.append(
            _detail(el.get("code"), parts.get("Message"), parts.get("Detail"), el.get("element"))
        )
    return _text(fault.get("type")), tuple(errors)


def _parse_body(body: bytes) -> tuple[str, Any]:
    """Classify a body as ("json", data), ("xml", text) or ("other", text)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "other", body.decode("latin-1")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return "json", _json.loads(stripped)
        except ValueError:
            return "other", text
    if stripped.startswith("<"):
        return "xml", stripped
    return "other", text


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> QBOError | None:
    """Map an HTTP response to the error it means, or ``None`` for a success.

    Args:
        status: HTTP status code.
        headers: Response headers (``intuit_tid``, ``Retry-After``; any case).
        body: The decoded (not gzip) response body.
        now: Unix time for an HTTP-date ``Retry-After`` (default: now).

    Returns:
        ``None`` for a 2xx response without a top-level fault (per-item faults
        inside a batch or attachable response are the caller's to read with
        :func:`error_from_fault`); otherwise the error, with code, message,
        detail, element, status, ``intuit_tid``, every fault error and, for
        throttling, ``retry_after``. Token fragments are redacted.
    """
    success = 200 <= status < 300
    if success and b"Fault" not in body and b'"fault"' not in body:
        # Query pages run to megabytes; skip parsing those that cannot hold a fault.
        return None
    tid = intuit_tid_from(headers)
    retry_after = retry_after_from(headers, now=now)
    kind, parsed = _parse_body(body)
    fault: tuple[str | None, tuple[FaultDetail, ...]] | None = None
    if kind == "json" and isinstance(parsed, Mapping):
        raw = _ci_get(parsed, "Fault")
        if isinstance(raw, Mapping):
            fault = parse_fault(raw)
    elif kind == "xml":
        fault = _parse_xml_fault(parsed)
    if fault is not None and success and not fault[1] and fault[0] is None:
        # The gateway envelope can carry an empty ``fault`` on a success.
        fault = None
    if fault is None:
        if success:
            return None
        return _fallback(
            status, parsed if kind != "json" else body.decode("utf-8", "replace"), tid, retry_after
        )
    fault_type, errors = fault
    return _build(
        status=status,
        fault_type=fault_type,
        errors=errors,
        intuit_tid=tid,
        retry_after=retry_after,
    )


def _fallback(status: int, text: str, tid: str | None, retry_after: float | None) -> QBOError:
    snippet = " ".join(text.split())
    if len(snippet) > _SNIPPET:
        snippet = snippet[:_SNIPPET] + "..."
    detail = f"body is not a QBO fault: {redact(snippet)!r}" if snippet else "empty body"
    cls = error_class_for(status, None, None, text)
    message = _status_message(status, None)
    if cls is ThrottledError:
        return ThrottledError(
            message, retry_after=retry_after, status=status, detail=detail, intuit_tid=tid
        )
    return cls(message, status=status, detail=detail, intuit_tid=tid)
