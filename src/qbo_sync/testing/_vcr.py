"""vcrpy configuration that keeps secrets and realm ids out of recorded cassettes.

``vcr_config()`` returns keyword arguments for ``vcr.VCR(...)`` (or the
``vcr_config`` fixture of pytest-recording): it filters the Authorization
header and installs the ``scrub_request`` / ``scrub_response`` hooks, which
replace access/refresh/ID tokens, authorization codes, client secrets and
realm ids in URIs and bodies with placeholders before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "REALM_PLACEHOLDER",
    "SECRET_PLACEHOLDER",
    "scrub_request",
    "scrub_response",
    "scrub_text",
    "vcr_config",
]

SECRET_PLACEHOLDER = "<SCRUBBED>"  # noqa: S105 - the placeholder, not a secret
REALM_PLACEHOLDER = "<REALM_ID>"
_SECRET_KEYS = ("access_token", "refresh_token", "id_token", "code", "client_secret", "token")
_SECRET_HEADERS = ("authorization", "cookie", "set-cookie", "intuit-signature")
_REALM_PATH = re.compile(r"(/v3/company/)([^/?#]+)")
_REALM_KEYS = re.compile(r'("?(?:realmId|realmid|realm_id|intuitaccountid)"?\s*[:=]\s*"?)([0-9]+)')
_JSON_SECRET = re.compile(r'("(?:' + "|".join(_SECRET_KEYS) + r')"\s*:\s*")([^"]*)(")')


def scrub_text(text: str, *, realm_ids: Iterable[str] = ()) -> str:
    """Replace tokens, codes, secrets and realm ids in ``text`` (JSON, form or URL).

    Args:
        text: A URI, a JSON body or a form body.
        realm_ids: Realm ids to replace wherever they appear, in addition to
            those found in ``/v3/company/<id>`` paths and ``realmId`` fields.
    """
    text = _REALM_PATH.sub(lambda m: m.group(1) + REALM_PLACEHOLDER, text)
    text = _REALM_KEYS.sub(lambda m: m.group(1) + REALM_PLACEHOLDER, text)
    text = _JSON_SECRET.sub(lambda m: m.group(1) + SECRET_PLACEHOLDER + m.group(3), text)
    for realm in realm_ids:
        if realm:
            text = text.replace(realm, REALM_PLACEHOLDER)
    return text


def _scrub_form(text: str) -> str | None:
    if "=" not in text or text.lstrip().startswith(("{", "[")):
        return None
    pairs = parse_qsl(text, keep_blank_values=True)
    if not pairs:
        return None
    scrubbed = [(k, SECRET_PLACEHOLDER if k in _SECRET_KEYS else v) for k, v in pairs]
    return urlencode(scrubbed, safe="<>")


def _scrub_body(body: Any, realm_ids: Iterable[str]) -> Any:
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return body
        return _scrub_str(text, realm_ids).encode("utf-8")
    if isinstance(body, str):
        return _scrub_str(body, realm_ids)
    return body


def _scrub_str(text: str, realm_ids: Iterable[str]) -> str:
    form = _scrub_form(text)
    if form is not None:
        text = form
    return scrub_text(text, realm_ids=realm_ids)


def _scrub_headers(headers: Any) -> None:
    for name in list(headers):
        if str(name).lower() in _SECRET_HEADERS:
            value = headers[name]
            headers[name] = [SECRET_PLACEHOLDER] if isinstance(value, list) else SECRET_PLACEHOLDER


def scrub_request(request: Any, *, realm_ids: Iterable[str] = ()) -> Any:
    """Vcrpy ``before_record_request`` hook: scrub a request in place and return it."""
    ids = tuple(realm_ids)
    request.uri = scrub_text(request.uri, realm_ids=ids)
    request.body = _scrub_body(request.body, ids)
    _scrub_headers(request.headers)
    return request


def scrub_response(response: dict[str, Any], *, realm_ids: Iterable[str] = ()) -> dict[str, Any]:
    """Vcrpy ``before_record_response`` hook: scrub a recorded response dict and return it."""
    ids = tuple(realm_ids)
    body = response.get("body")
    if isinstance(body, dict) and "string" in body:
        body["string"] = _scrub_body(body["string"], ids)
    headers = response.get("headers")
    if isinstance(headers, dict):
        _scrub_headers(headers)
    return response


def vcr_config(
    *, realm_ids: Iterable[str] = (), record_mode: str = "none", **overrides: Any
) -> dict[str, Any]:
    """Keyword arguments for ``vcr.VCR(**vcr_config())`` that record no secret.

    Args:
        realm_ids: Realm ids to replace anywhere (those in ``/v3/company/<id>``
            paths and ``realmId`` fields are found without help).
        record_mode: vcrpy record mode; ``"none"`` by default so CI never
            reaches Intuit (use ``"once"`` locally to record).
        **overrides: Any other ``vcr.VCR`` option, applied last.

    Returns:
        The configuration dict.
    """
    ids = tuple(realm_ids)

    def before_request(request: Any) -> Any:
        return scrub_request(request, realm_ids=ids)

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        return scrub_response(response, realm_ids=ids)

    config: dict[str, Any] = {
        "record_mode": record_mode,
        "filter_headers": [("authorization", SECRET_PLACEHOLDER)],
        "before_record_request": before_request,
        "before_record_response": before_response,
        "decode_compressed_response": True,
        "match_on": ["method", "path", "query", "body"],
    }
    config.update(overrides)
    return config
