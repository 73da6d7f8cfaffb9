"""Request building: pure data, no I/O.

Every call the client makes is first described as an :class:`ApiRequest`
(method, resource path under ``/v3/company/{realmId}/``, parameters, body),
so the decisions live here and the sending code stays small enough for an
async twin to copy.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from qbo_sync import _json
from qbo_sync.errors import ValidationError

__all__ = [
    "BATCH_REQUEST_ID_MAX",
    "REQUEST_ID_MAX",
    "ApiRequest",
    "new_request_id",
    "validate_request_id",
]

#: QBO remembers ``requestid`` values of at most 50 characters ...
REQUEST_ID_MAX = 50
#: ... and 36 for a batch request (Intuit's idempotency blog).
BATCH_REQUEST_ID_MAX = 36
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:~-]+")

Method = Literal["GET", "POST"]


def new_request_id() -> str:
    """A fresh ``requestid`` (a UUID4, 36 characters)."""
    return str(uuid.uuid4())


def validate_request_id(request_id: object, *, limit: int = REQUEST_ID_MAX) -> str:
    """Check a caller-supplied ``requestid``.

    Args:
        request_id: The value to check.
        limit: The maximum length (50, or 36 for batch requests).

    Returns:
        The value, unchanged.

    Raises:
        ValidationError: When it is empty, too long, or has characters other
            than letters, digits and ``. _ : ~ -``.
    """
    if not isinstance(request_id, str) or not request_id:
        raise ValidationError(f"request_id must be a non-empty string, got {request_id!r}")
    if len(request_id) > limit:
        raise ValidationError(
            f"request_id {request_id!r} is {len(request_id)} characters; "
            f"QBO accepts at most {limit} here"
        )
    if not _REQUEST_ID.fullmatch(request_id):
        raise ValidationError(
            f"request_id {request_id!r} may only use letters, digits and '. _ : ~ -'"
        )
    return request_id


@attrs.frozen
class ApiRequest:
    """One QBO call, described as data.

    Attributes:
        method: ``GET`` or ``POST``.
        path: Resource path under ``/v3/company/{realmId}/`` (``"invoice"``).
        params: Query parameters other than ``minorversion`` and ``requestid``.
        body: The encoded body, for POSTs.
        content_type: The body's media type.
        accept: The media type asked for.
        request_id: The idempotency key, fixed before the first attempt and
            sent on every retry (writes only).
        batch: Whether this counts against the batch budget.
    """

    method: Method
    path: str
    params: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str | None = None
    accept: str = "application/json"
    request_id: str | None = None
    batch: bool = False

    def query_params(self, *, minor_version: int) -> tuple[tuple[str, str], ...]:
        """All query parameters to send, ``minorversion`` and ``requestid`` included."""
        out = list(self.params)
        if self.request_id is not None:
            out.append(("requestid", self.request_id))
        out.append(("minorversion", str(minor_version)))
        return tuple(out)


def read_request(
    path: str, params: Sequence[tuple[str, str]] = (), *, accept: str = "application/json"
) -> ApiRequest:
    """A GET of ``path``."""
    return ApiRequest(method="GET", path=path, params=tuple(params), accept=accept)


def write_request(
    path: str,
    body: Mapping[str, Any] | None,
    *,
    request_id: str | None,
    params: Sequence[tuple[str, str]] = (),
    batch: bool = False,
) -> ApiRequest:
    """A POST of a JSON body to ``path`` with an idempotency key.

    Args:
        path: The resource path.
        body: The JSON body (``None`` for bodiless POSTs such as ``send``).
        request_id: The caller's ``requestid``; a UUID is made when ``None``.
        params: Extra query parameters (``operation=delete`` ...).
        batch: Whether this is a batch request (``requestid`` max 36).
    """
    limit = BATCH_REQUEST_ID_MAX if batch else REQUEST_ID_MAX
    rid = new_request_id() if request_id is None else validate_request_id(request_id, limit=limit)
    return ApiRequest(
        method="POST",
        path=path,
        params=tuple(params),
        body=None if body is None else _json.dumps(dict(body)),
        content_type=None if body is None else "application/json",
        request_id=rid,
        batch=batch,
    )


def query_request(statement: str) -> ApiRequest:
    """A ``GET query?query=<statement>`` (httpx URL-encodes the text)."""
    return read_request("query", [("query", statement)])


def resource_path(entity_name: str) -> str:
    """QBO's path segment for an entity: the name in lower case (``salesreceipt``)."""
    return entity_name.lower()
