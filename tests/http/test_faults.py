"""Fault parsing against every real QBO error sample and the mapping rules."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import REAL_SAMPLES

from qbo_sync import _json
from qbo_sync.errors import (
    AuthError,
    DuplicateDocNumberError,
    DuplicateNameError,
    NotFoundError,
    QBOError,
    QueryError,
    ServerError,
    StaleObjectError,
    ThrottledError,
    ValidationError,
)
from qbo_sync.http import error_class_for, error_from_fault, error_from_response

Reader = Callable[[Path], list[tuple[int, dict[str, str], bytes]]]


def _assert_error(
    err: QBOError | None,
    cls: type[QBOError],
    *,
    code: str | None,
    message: str,
    detail: str | None,
    element: str | None,
    status: int | None,
    intuit_tid: str | None,
) -> None:
    assert err is not None
    assert type(err) is cls
    assert err.code == code
    assert err.message == message
    assert err.detail == detail
    assert err.element == element
    assert err.status == status
    assert err.intuit_tid == intuit_tid


# (cassette, interaction index, class, code, message, detail, element, status, tid)
QBO_API_ERRORS: list[tuple[Any, ...]] = [
    (
        "error/400.yml", 1, QueryError, "4001", "Invalid query",
        "QueryValidationError: invalid context declaration: Custmoer", None, 400,
        "1-5f733c38-6312b3f50596e47933ee0781",
    ),
    (
        "error/401.yml", 0, AuthError, "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        "Token expired: [REDACTED]", None, 401, "1-5f7349e0-0fd2bee86a8a83c67a77fbb2",
    ),
    (
        "error/500.yml", 0, ValidationError, "500", "Unsupported Operation",
        "Operation Could not find resource for relative : /v3/company/-COMPANY_ID-/customer/1/5"
        " of full path: https://c50.sandbox.qbo.intuit.com/qbo50/v3/company/-COMPANY_ID-/"
        "customer/1/5 is not supported.",
        None, 400, "1-5f733cd3-284572515eb5f21f8e8afa62",
    ),
    (
        "error/500.yml", 1, ValidationError, "2030", "Invalid ID",
        "Id should be a valid number. Supplied value:1.5", "Id", 400,
        "1-5f733d63-44139ea355338a7d238f5e99",
    ),
    (
        "error/validation.yml", 0, DuplicateNameError, "6240", "Duplicate Name Exists Error",
        "The name supplied already exists. : null", None, 400,
        "1-5f733d9a-1d4e21aa217ba43177113df4",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cassette", "index", "cls", "code", "message", "detail", "element", "status", "tid"),
    QBO_API_ERRORS,
)
def test_qbo_api_error_cassettes(
    ruby_responses: Reader,
    cassette: str,
    index: int,
    cls: type[QBOError],
    code: str,
    message: str,
    detail: str,
    element: str | None,
    status: int,
    tid: str,
) -> None:
    """Each recorded qbo_api error maps to the right class with every field read."""
    recorded = ruby_responses(REAL_SAMPLES / "qbo_api" / "vcr" / cassette)
    recorded_status, headers, body = recorded[index]
    err = error_from_response(recorded_status, headers, body)
    _assert_error(
        err, cls, code=code, message=message, detail=detail, element=element,
        status=status, intuit_tid=tid,
    )  # fmt: skip
    assert err is not None
    assert len(err.errors) == 1
    assert err.fault_type == "ValidationFault" or cls is AuthError


def test_400_json_keeps_long_detail(ruby_responses: Reader) -> None:
    """The 2010 fault's long detail is kept whole (dotted class names are not 'tokens')."""
    status, headers, body = ruby_responses(REAL_SAMPLES / "qbo_api/vcr/error/400_json.yml")[0]
    err = error_from_response(status, headers, body)
    assert isinstance(err, ValidationError)
    assert type(err) is ValidationError
    assert err.code == "2010"
    assert err.message == "Request has invalid or unsupported property"
    assert err.detail is not None
    assert err.detail.startswith('Property Name:Unrecognized field "BadJson"')
    assert "com.intuit.schema.finance.v3.Invoice" in err.detail
    assert err.detail.endswith("specified is unsupported or invalid")
    assert err.intuit_tid == "1-5f733c5a-55d0ff60812923e8b22c622b"


def test_successful_interactions_give_none(ruby_responses: Reader) -> None:
    """A 200 without a fault (first interaction of error/400.yml) is not an error."""
    status, headers, body = ruby_responses(REAL_SAMPLES / "qbo_api/vcr/error/400.yml")[0]
    assert status == 200
    assert error_from_response(status, headers, body) is None


def test_401_never_leaks_token(ruby_responses: Reader) -> None:
    """The expired token echoed by QBO appears nowhere in the error's text or repr."""
    status, headers, body = ruby_responses(REAL_SAMPLES / "qbo_api/vcr/error/401.yml")[0]
    assert b"AB01601390262" in body
    err = error_from_response(status, headers, body)
    assert err is not None
    for text in (str(err), repr(err), err.detail or "", *(e.detail or "" for e in err.errors)):
        assert "AB0160" not in text
        assert "kxzxOlnHYdhtEVRXISU7piPqQrCmmbDN35Yjd" not in text
    assert err.fault_type == "AUTHENTICATION"


# XML fixtures: (file, class, code, message, detail, fault type, error count)
XML_FIXTURES: list[tuple[Any, ...]] = [
    (
        "quickbooks-ruby/customer_duplicate_error.xml", DuplicateNameError, "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another $$customer$$ is already using this name."
        " Please use a different name.",
        "ValidationFault", 1,
    ),
    (
        "quickbooks-ruby/generic_error.xml", ServerError, "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: Could not find resource for relative : some more info here",
        "SystemFault", 1,
    ),
    (
        "quickbooks-ruby/query_validation_error.xml", QueryError, "4001", "Invalid query",
        "QueryValidationError: value 0 is too small. Min allowed value is 1",
        "ValidationFault", 1,
    ),
    (
        "quickbooks-ruby/throttle_exceeded_error.xml", ThrottledError, "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=403",
        "The request limit was reached.  Try again later", "SERVICE", 1,
    ),
    (
        "quickbooks-ruby/too_many_requests_error.xml", ThrottledError, "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later", "SERVICE", 1,
    ),
    (
        "qbo_api/fixtures/no_detail.xml", AuthError, "3200",
        "message=ApplicationAuthenticationFailed; errorCode=003200; statusCode=401",
        None, "AUTHENTICATION", 2,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "cls", "code", "message", "detail", "ftype", "count"), XML_FIXTURES
)
def test_xml_fault_fixtures(
    name: str,
    cls: type[QBOError],
    code: str,
    message: str,
    detail: str | None,
    ftype: str,
    count: int,
) -> None:
    """XML faults (Intuit namespace) map by code alone, whatever the HTTP status."""
    body = (REAL_SAMPLES / name).read_bytes()
    # The files carry no status: a plain 400 must not override the fault code.
    err = error_from_response(400, {"Intuit-Tid": "tid-xml"}, body)
    _assert_error(
        err, cls, code=code, message=message, detail=detail, element=None,
        status=400, intuit_tid="tid-xml",
    )  # fmt: skip
    assert err is not None
    assert err.fault_type == ftype
    assert len(err.errors) == count


def test_no_detail_keeps_both_errors() -> None:
    """Both Error elements survive; the second keeps its own Detail."""
    body = (REAL_SAMPLES / "qbo_api/fixtures/no_detail.xml").read_bytes()
    err = error_from_response(401, {}, body)
    assert isinstance(err, AuthError)
    assert [e.code for e in err.errors] == ["3200", "3200"]
    assert err.errors[0].detail is None
    assert err.errors[1].detail == "This error does have detail"
    assert "[+1 more error(s)]" in str(err)


def test_tax_service_duplicate_json() -> None:
    """quickbooks-ruby's JSON 6240 body: DuplicateNameError, empty element read as None."""
    body = (REAL_SAMPLES / "quickbooks-ruby/json/tax_service_error_dup.json").read_bytes()
    err = error_from_response(400, {"intuit_tid": "t-1"}, body)
    _assert_error(
        err, DuplicateNameError, code="6240", message="Duplicate Name Exists Error",
        detail="The name supplied already exists. : Another tax rate is already using this "
        "\nname. Please use a different name.",
        element=None, status=400, intuit_tid="t-1",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "status", "embedded"),
    [
        ("quickbooks-ruby/throttle_exceeded_error.xml", 403, "403"),
        ("quickbooks-ruby/too_many_requests_error.xml", 429, "429"),
    ],
)
def test_xml_throttles_at_their_status(name: str, status: int, embedded: str) -> None:
    """Throttling sent as XML (QBO does so even to JSON requests), as 403 and as 429, is a
    ThrottledError at the status it came with."""
    body = (REAL_SAMPLES / name).read_bytes()
    assert f"statusCode={embedded}".encode() in body
    err = error_from_response(status, {"Content-Type": "application/xml"}, body)
    _assert_error(
        err, ThrottledError, code="3001",
        message=f"message=ThrottleExceeded; errorCode=003001; statusCode={embedded}",
        detail="The request limit was reached.  Try again later", element=None,
        status=status, intuit_tid=None,
    )  # fmt: skip
    assert isinstance(err, ThrottledError)
    assert err.retry_after is None


QBO_RAILS: list[tuple[Any, ...]] = [
    (
        "auth/forbidden.yml", 0, AuthError, 403, "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", None,
        "gw-f7a67ea9-4700-49d6-86f4-dc5a61402919",
    ),
    (
        "auth/forbidden.yml", 1, AuthError, 403, "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", None,
        "gw-4454c2b3-e4b4-4d8d-a757-41b2e1baa532",
    ),
    (
        "customer/delete.yml", 1, ValidationError, 400, "6220", "Delete List Has Balance Error",
        "The entity you are trying to delete has an open balance. : This customer cannot be"
        " deleted because it has a non-zero balance.",
        "f7598afb-a40d-4b01-a259-4568542f99c8",
    ),
    (
        "customer/error_customer_in_use.yml", 0, DuplicateNameError, 400, "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another customer, vendor or employee is already"
        " using this \nname. Please use a different name.",
        "f0fccf71-343d-4b99-9fb6-57cb6c81b1a0",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("cassette", "index", "cls", "status", "code", "message", "detail", "tid"), QBO_RAILS
)
def test_qbo_rails_xml_cassettes(
    ruby_responses: Reader,
    cassette: str,
    index: int,
    cls: type[QBOError],
    status: int,
    code: str,
    message: str,
    detail: str | None,
    tid: str,
) -> None:
    """qbo_rails' XML errors (some gzip bodies stored !binary) map with every field."""
    recorded = ruby_responses(REAL_SAMPLES / "qbo_rails/qbo_rails" / cassette)
    got_status, headers, body = recorded[index]
    assert got_status == status
    err = error_from_response(got_status, headers, body)
    _assert_error(
        err, cls, code=code, message=message, detail=detail, element=None,
        status=status, intuit_tid=tid,
    )  # fmt: skip


def test_qbo_rails_successes_are_not_errors(ruby_responses: Reader) -> None:
    """Every 200 in the qbo_rails cassettes (XML entities, gzip) parses as no error."""
    seen = 0
    for path in sorted((REAL_SAMPLES / "qbo_rails").rglob("*.yml")):
        for status, headers, body in ruby_responses(path):
            if status == 200:
                seen += 1
                assert error_from_response(status, headers, body) is None, path
    assert seen >= 4


def _batch_items(ruby_responses: Reader) -> tuple[str, list[dict[str, Any]]]:
    status, headers, body = ruby_responses(REAL_SAMPLES / "qbo_api/vcr/batch/basic.yml")[0]
    assert status == 200
    assert error_from_response(status, headers, body) is None
    items: list[dict[str, Any]] = _json.loads(body)["BatchItemResponse"]
    return headers["Intuit-Tid"], items


def test_batch_item_faults(ruby_responses: Reader) -> None:
    """The per-item faults of a real batch map to NotFoundError (610) and StaleObjectError."""
    tid, items = _batch_items(ruby_responses)
    by_id = {item["bId"]: item for item in items}
    not_found = error_from_fault(by_id["bid2"]["Fault"], status=None, intuit_tid=tid)
    _assert_error(
        not_found, NotFoundError, code="610", message="Object Not Found",
        detail="Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
        element=None, status=None, intuit_tid=tid,
    )  # fmt: skip
    stale = error_from_fault(by_id["bid3"], status=200, intuit_tid=tid)
    _assert_error(
        stale, StaleObjectError, code="5010", message="Stale Object Error",
        detail="Stale Object Error : You and Christian Pelczarski were working on this at the "
        "same time. Christian Pelczarski finished before you did, so your work was not saved.",
        element=None, status=200, intuit_tid=tid,
    )  # fmt: skip
    assert "Fault" not in by_id["bid1"]
    assert "Fault" not in by_id["bid4"]


def test_attachable_item_fault_inside_200(ruby_responses: Reader) -> None:
    """A fault nested in an item of a 200 is the caller's to read, via error_from_fault."""
    cassette = REAL_SAMPLES / "qbo_api/vcr/attachment/error_estimate.yml"
    status, headers, body = ruby_responses(cassette)[0]
    assert error_from_response(status, headers, body) is None
    item = _json.loads(body)["AttachableResponse"][0]
    err = error_from_fault(item, status=status, intuit_tid=headers.get("Intuit-Tid"))
    assert type(err) is ValidationError
    assert err.code == "6000"
    assert err.detail is not None
    assert "Estimate 75" in err.detail


def test_top_level_fault_inside_200() -> None:
    """A top-level Fault in an HTTP 200 is an error, not a success."""
    body = (
        b'{"Fault":{"Error":[{"Message":"Stale Object Error","code":"5010"}],'
        b'"type":"ValidationFault"},"time":"x"}'
    )
    err = error_from_response(200, {"intuit_tid": "abc"}, body)
    assert isinstance(err, StaleObjectError)
    assert err.status == 200
    assert err.detail is None


def test_lowercase_gateway_envelope_without_401() -> None:
    """The lower-case gateway envelope is read case-insensitively (here a 403 + 3100)."""
    body = (
        b'{"warnings":null,"fault":{"error":[{"message":"message=AuthorizationFailed; '
        b'errorCode=003100; statusCode=403","detail":"Authorization Failure","code":"3100",'
        b'"element":null}],"type":"SERVICE"},"time":1633520295688}'
    )
    err = error_from_response(403, {"INTUIT-TID": "1-x"}, body)
    _assert_error(
        err, AuthError, code="3100",
        message="message=AuthorizationFailed; errorCode=003100; statusCode=403",
        detail="Authorization Failure", element=None, status=403, intuit_tid="1-x",
    )  # fmt: skip


def test_several_errors_all_kept() -> None:
    """Every Error of a fault is kept, in order, and the first one drives the fields."""
    body = json.dumps(
        {
            "Fault": {
                "Error": [
                    {"Message": "Invalid Reference Id", "code": "2500", "element": "Line.ItemRef"},
                    {"Message": "Required param missing", "Detail": "d2", "code": "2020"},
                ],
                "type": "ValidationFault",
            }
        }
    ).encode()
    err = error_from_response(400, {}, body)
    assert type(err) is ValidationError
    assert err.element == "Line.ItemRef"
    assert [(e.code, e.message, e.detail) for e in err.errors] == [
        ("2500", "Invalid Reference Id", None),
        ("2020", "Required param missing", "d2"),
    ]


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (502, b"<html><body>502 Bad Gateway</body></html>", ServerError),
        (503, b"Service Unavailable", ServerError),
        (500, b"", ServerError),
        (504, b"{not json", ServerError),
        (429, b"slow down", ThrottledError),
        (403, b"<html>Forbidden</html>", AuthError),
        (403, b"ThrottleExceeded", ThrottledError),
        (401, b"", AuthError),
        (404, b"Not Found", NotFoundError),
        (400, b"\xff\xfe garbage", ValidationError),
        (413, b"", ValidationError),
        (302, b"", ServerError),
    ],
)
def test_garbage_bodies_fall_back_to_status(status: int, body: bytes, cls: type[QBOError]) -> None:
    """A body that is no fault maps by HTTP status with a message naming the status."""
    err = error_from_response(status, {"Intuit-Tid": "tid-9"}, body)
    assert err is not None
    assert type(err) is cls
    assert err.status == status
    assert err.code is None
    assert err.message.startswith(f"QBO returned HTTP {status}")
    assert err.intuit_tid == "tid-9"
    assert str(err).startswith("[intuit_tid=tid-9]")


def test_garbage_snippet_is_short_and_redacted() -> None:
    """The body snippet in a fallback error is capped and scrubbed of tokens."""
    body = b"<html>Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc " + b"x" * 1000 + b"</html>"
    err = error_from_response(500, {}, body)
    assert err is not None
    assert err.detail is not None
    assert "eyJ" not in err.detail
    assert len(err.detail) < 300


def test_success_without_fault_is_none() -> None:
    """Success bodies (JSON entity, XML entity, empty, lower-case null fault) give None."""
    assert error_from_response(200, {}, b'{"Customer":{"Id":"1"},"time":"t"}') is None
    assert error_from_response(200, {}, b"<IntuitResponse><Customer/></IntuitResponse>") is None
    assert error_from_response(204, {}, b"") is None
    assert error_from_response(200, {}, b'{"fault":null,"queryResponse":null}') is None


def test_xml_doctype_is_refused() -> None:
    """XML with a DTD is never parsed (entity expansion); the status decides."""
    body = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b'<IntuitResponse><Fault type="ValidationFault"><Error code="6240"><Message>&a;</Message>'
        b"</Error></Fault></IntuitResponse>"
    )
    err = error_from_response(400, {}, body)
    assert type(err) is ValidationError
    assert err.code is None


def test_xml_without_namespace_and_bare_fault() -> None:
    """XML faults are read by local name, with or without the Intuit namespace."""
    body = (
        b'<Fault type="ValidationFault"><Error code="6140" element="DocNumber">'
        b"<Message>Duplicate Document Number Error</Message><Detail>Duplicate Document Number"
        b" Error : You must specify a different number. This number has already been used."
        b" DocNumber=1001 is assigned to TxnType=Invoice with TxnId=130</Detail></Error></Fault>"
    )
    err = error_from_response(400, {}, body)
    assert isinstance(err, DuplicateDocNumberError)
    assert err.element == "DocNumber"
    assert err.detail is not None
    assert err.detail.endswith("TxnId=130")


@pytest.mark.parametrize(
    ("status", "code", "ftype", "text", "cls"),
    [
        (401, None, None, "", AuthError),
        (400, "100", "AuthenticationFault", "", AuthError),
        (401, "120", "AuthorizatonFault", "", AuthError),
        (401, "130", "AuthenticationFault", "", AuthError),
        (401, "3200", "AUTHENTICATION", "", AuthError),
        (403, "3100", "SERVICE", "", AuthError),
        (500, "3100", "SERVICE", "InternalServerError", AuthError),
        (429, None, None, "", ThrottledError),
        (200, "3001", "SERVICE", "", ThrottledError),
        (403, None, "SERVICE", "message=ThrottleExceeded; errorCode=003001", ThrottledError),
        (404, None, None, "", NotFoundError),
        (400, "610", "ValidationFault", "", NotFoundError),
        (None, "610", "ValidationFault", "", NotFoundError),
        (400, "5010", "ValidationFault", "", StaleObjectError),
        (400, "6240", "ValidationFault", "", DuplicateNameError),
        (400, "6140", "ValidationFault", "", DuplicateDocNumberError),
        (
            400,
            "6210",
            "ValidationFault",
            "Duplicate Document Number Error",
            DuplicateDocNumberError,
        ),
        (400, "6210", "ValidationFault", "Account Period Closed", ValidationError),
        (400, "4000", "ValidationFault", "", QueryError),
        (400, "4001", "ValidationFault", "", QueryError),
        (400, "4002", "ValidationFault", "", QueryError),
        (500, None, None, "", ServerError),
        (502, None, None, "", ServerError),
        (503, None, None, "", ServerError),
        (504, None, None, "", ServerError),
        (200, "10000", "SystemFault", "", ServerError),
        (400, "500", "ValidationFault", "Unsupported Operation", ValidationError),
        (400, "6000", "ValidationFault", "", ValidationError),
        (409, None, None, "", ValidationError),
        (None, "2500", "ValidationFault", "", ValidationError),
    ],
)
def test_mapping_table(
    status: int | None, code: str | None, ftype: str | None, text: str, cls: type[QBOError]
) -> None:
    """The documented status/code -> class table, row by row."""
    assert error_class_for(status, code, ftype, text) is cls


def test_retry_after_seconds_and_date() -> None:
    """Retry-After is read as seconds or as an HTTP date relative to `now`."""
    err = error_from_response(429, {"retry-after": "30"}, b"")
    assert isinstance(err, ThrottledError)
    assert err.retry_after == 30.0
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    err = error_from_response(429, {"Retry-After": "Tue, 14 Nov 2023 22:14:05 GMT"}, b"", now=now)
    assert isinstance(err, ThrottledError)
    assert err.retry_after == pytest.approx(45.0)
    err = error_from_response(429, {"Retry-After": "soon"}, b"")
    assert isinstance(err, ThrottledError)
    assert err.retry_after is None


def test_retry_after_on_xml_throttle() -> None:
    """A throttle fault body and a Retry-After header combine."""
    body = (REAL_SAMPLES / "quickbooks-ruby/too_many_requests_error.xml").read_bytes()
    err = error_from_response(429, {"Retry-After": "12"}, body)
    assert isinstance(err, ThrottledError)
    assert err.retry_after == 12.0
    assert err.code == "3001"


def test_errors_pickle_round_trip(ruby_responses: Reader) -> None:
    """Parsed errors survive pickling (Celery) with their fields."""
    status, headers, body = ruby_responses(REAL_SAMPLES / "qbo_api/vcr/error/validation.yml")[0]
    err = error_from_response(status, headers, body)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is DuplicateNameError
    assert clone.code == "6240"
    assert clone.intuit_tid == "1-5f733d9a-1d4e21aa217ba43177113df4"


def test_empty_lowercase_fault_on_success_is_none() -> None:
    """An empty gateway `fault` object in a 200 is not an error."""
    assert error_from_response(200, {}, b'{"fault":{"error":[],"type":null}}') is None
    err = error_from_response(400, {}, b'{"fault":{"error":[],"type":null}}')
    assert type(err) is ValidationError
    assert err.message == "QBO returned HTTP 400 Bad Request"


@settings(max_examples=300, deadline=None)
@given(status=st.integers(min_value=100, max_value=599), body=st.binary(max_size=300))
def test_never_raises_on_arbitrary_bytes(status: int, body: bytes) -> None:
    """Any status and body give None (2xx only) or a QBOError; parsing never crashes."""
    err = error_from_response(status, {"intuit_tid": "t"}, body)
    if err is None:
        assert 200 <= status < 300
    else:
        assert isinstance(err, QBOError)
        assert err.status == status
        assert err.intuit_tid == "t"
    if not 200 <= status < 300:
        assert err is not None


_TEXT = st.text(max_size=40)
_ERROR = st.fixed_dictionaries(
    {},
    optional={
        "Message": _TEXT,
        "message": _TEXT,
        "Detail": st.one_of(st.none(), _TEXT),
        "code": st.one_of(st.none(), st.sampled_from(["610", "5010", "6240", "3001"]), _TEXT),
        "element": st.one_of(st.none(), _TEXT),
    },
)


@settings(max_examples=200, deadline=None)
@given(
    errors=st.lists(_ERROR, max_size=4),
    ftype=st.one_of(st.none(), _TEXT),
    status=st.one_of(st.none(), st.integers(min_value=200, max_value=599)),
)
def test_error_from_fault_fuzz(
    errors: list[dict[str, Any]], ftype: str | None, status: int | None
) -> None:
    """error_from_fault keeps every error, in order, for any JSON-shaped fault."""
    err = error_from_fault({"Error": errors, "type": ftype}, status=status, intuit_tid=None)
    assert isinstance(err, QBOError)
    assert len(err.errors) == len(errors)
    assert err.status == status
    first_code = errors[0].get("code") if errors else None
    expected = str(first_code).strip() or None if first_code is not None else None
    assert err.code == expected
