"""QBOClient construction and the request pipeline (auth, retries, requestid, errors)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from qbo_sync import models
from qbo_sync._environment import Environment
from qbo_sync.client import QBOClient
from qbo_sync.errors import (
    AuthError,
    ConfigurationError,
    DuplicateNameError,
    PayloadError,
    ServerError,
    ThrottledError,
    TransportError,
    ValidationError,
)
from qbo_sync.http import RealmPacer, RetryPolicy

REALM = "4620816365"
TOKEN = "tok-secret-123"
CUSTOMER = {"Customer": {"Id": "7", "SyncToken": "0", "DisplayName": "Ada"}}
FAULT_6240 = {
    "Fault": {
        "Error": [{"Message": "Duplicate Name Exists Error", "Detail": "The name supplied "
                   "already exists. : Another customer is already using this name.",
                   "code": "6240", "element": ""}],
        "type": "ValidationFault",
    }
}


class RotatingTokens:
    """A token provider that hands out a fresh token once when told of a 401."""

    def __init__(self, fresh: str | None) -> None:
        self.current = "old-token-AAA"
        self.fresh = fresh
        self.rejected: list[str] = []

    def get_token(self, realm_id: str) -> str:
        return self.current

    def token_rejected(self, realm_id: str, token: str) -> str | None:
        self.rejected.append(token)
        if self.fresh is not None:
            self.current = self.fresh
        return self.fresh


# -- construction -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"access_token": TOKEN}, "never defaults to production"),
        ({"environment": "prod", "access_token": TOKEN}, "'sandbox' or 'production'"),
        ({"environment": "sandbox"}, "one is required"),
        ({"environment": "sandbox", "access_token": TOKEN,
          "token_provider": RotatingTokens(None)}, "not both"),
        ({"environment": "sandbox", "access_token": "  "}, "access_token: empty"),
        ({"base_url": "ftp://x", "access_token": TOKEN}, "not an http(s) URL"),
        ({"environment": "sandbox", "access_token": TOKEN, "page_size": 5000}, "page_size"),
        ({"environment": "sandbox", "access_token": TOKEN, "batch_size": 31}, "batch_size"),
        ({"environment": "sandbox", "access_token": TOKEN, "timeout": 0}, "timeout"),
        ({"environment": "sandbox", "access_token": TOKEN, "minor_version": "75"}, "minor_version"),
        ({"environment": "sandbox", "access_token": TOKEN, "transport": object()}, "transport"),
    ],
)
def test_bad_configuration_is_a_clear_error(kwargs: dict[str, Any], problem: str) -> None:
    """Every misconfiguration raises ConfigurationError naming the problem (never a call)."""
    with pytest.raises(ConfigurationError) as info:
        QBOClient(realm_id=REALM, **kwargs)
    assert problem in str(info.value)
    assert TOKEN not in str(info.value)
    assert info.value.problems


def test_bad_realm_and_all_problems_listed() -> None:
    """Several problems are reported together."""
    with pytest.raises(ConfigurationError) as info:
        QBOClient(realm_id="12/../34", access_token=TOKEN)
    assert len(info.value.problems) == 2
    assert "realm_id" in info.value.problems[0]


@pytest.mark.parametrize(
    ("kwargs", "host"),
    [
        ({"environment": Environment.SANDBOX}, "https://sandbox-quickbooks.api.intuit.com"),
        ({"environment": "Production"}, "https://quickbooks.api.intuit.com"),
        ({"base_url": "http://127.0.0.1:8123/"}, "http://127.0.0.1:8123"),
        ({"environment": "production", "base_url": "http://fake"}, "http://fake"),
    ],
)
def test_hosts(kwargs: dict[str, Any], host: str, reply: Any) -> None:
    """environment picks Intuit's host; base_url overrides it."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return reply(CUSTOMER)

    with QBOClient(realm_id=REALM, access_token=TOKEN, transport=httpx.MockTransport(handler),
                   **kwargs) as client:
        client.customers.get("7")
    assert str(seen[0].url) == f"{host}/v3/company/{REALM}/customer/7?minorversion=75"


def test_repr_never_shows_the_token(make_client: Any, reply: Any) -> None:
    """The client's repr names realm and environment, never the token."""
    client, _ = make_client(lambda r: reply(CUSTOMER))
    assert repr(client) == f"QBOClient(realm_id='{REALM}', sandbox)"
    assert TOKEN not in repr(client) + repr(vars(client))


# -- every request -------------------------------------------------------------


def test_every_request_has_headers_minorversion_and_timeout(make_client: Any, reply: Any) -> None:
    """Accept JSON, bearer token, minorversion (configurable) and the timeout on every call."""
    client, rec = make_client(lambda r: reply(CUSTOMER), minor_version=80, timeout=7.5)
    client.customers.get(7)
    client.customers.create(models.Customer(display_name="Ada"))
    for request in rec.requests:
        assert request.headers["Accept"] == "application/json"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.url.params["minorversion"] == "80"
        assert request.headers["User-Agent"].startswith("qbo-sync/")
        assert request.extensions["timeout"] == {
            "connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5
        }
    assert rec.requests[1].headers["Content-Type"] == "application/json"


def test_reads_carry_no_requestid_writes_do(make_client: Any, reply: Any) -> None:
    """GETs are naturally idempotent; every POST carries a UUID requestid."""
    client, rec = make_client(lambda r: reply(CUSTOMER))
    client.customers.get("7")
    client.customers.create(models.Customer(display_name="Ada"))
    assert "requestid" not in rec.requests[0].url.params
    rid = rec.requests[1].url.params["requestid"]
    assert str(uuid.UUID(rid)) == rid
    assert client.last_response is not None
    assert client.last_response.request_id == rid


def test_requestid_fixed_before_retries(make_client: Any, reply: Any) -> None:
    """A 503 and a dropped connection are retried with the SAME requestid."""
    answers = iter([
        lambda r: reply({}, status=503),
        "drop",
        lambda r: reply(CUSTOMER, tid="tid-ok"),
    ])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer == "drop":
            raise httpx.ReadError("connection reset", request=request)
        return answer(request)  # type: ignore[operator]

    client, rec = make_client(handler)
    created = client.customers.create(models.Customer(display_name="Ada"))
    assert created.id == "7"
    ids = {r.url.params["requestid"] for r in rec.requests}
    assert len(rec.requests) == 3
    assert len(ids) == 1
    assert client.last_response is not None
    assert (client.last_response.attempts, client.last_intuit_tid) == (3, "tid-ok")


def test_caller_request_id_is_used_and_validated(make_client: Any, reply: Any) -> None:
    """request_id= is sent as given; over 50 characters is refused before sending."""
    client, rec = make_client(lambda r: reply(CUSTOMER))
    client.customers.create(models.Customer(display_name="Ada"), request_id="cust-42-v1")
    assert rec.last.url.params["requestid"] == "cust-42-v1"
    with pytest.raises(ValidationError, match="at most 50"):
        client.customers.create(models.Customer(display_name="Ada"), request_id="x" * 51)
    with pytest.raises(ValidationError, match="letters, digits"):
        client.customers.create(models.Customer(display_name="Ada"), request_id="a b")
    assert len(rec.requests) == 1


def test_transport_errors_exhaust_to_transport_error(make_client: Any) -> None:
    """Connection failures are retried, then raised as TransportError without the token."""
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, rec = make_client(handler)
    with pytest.raises(TransportError) as info:
        client.customers.get("7")
    assert len(rec.requests) == 5
    assert TOKEN not in str(info.value)


def test_timeout_becomes_transport_error(make_client: Any) -> None:
    """A read timeout maps to TransportError (and is retried)."""
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    client, rec = make_client(handler, retry=RetryPolicy(max_attempts=2, sleep=lambda s: None))
    with pytest.raises(TransportError, match="timed out"):
        client.customers.get("7")
    assert len(rec.requests) == 2


# -- auth ----------------------------------------------------------------------


def test_401_refreshes_once_and_retries_with_new_token(make_client: Any, reply: Any) -> None:
    """On 401 the provider's token_rejected is called once and the call resent once."""
    tokens = RotatingTokens("new-token-BBB")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer old-token-AAA":
            return reply({"fault": {"error": [{"message": "AuthenticationFailed",
                                                "code": "3200"}], "type": "AUTHENTICATION"}},
                         status=401)
        return reply(CUSTOMER)

    client, rec = make_client(handler, token_provider=tokens)
    client.customers.create(models.Customer(display_name="Ada"))
    assert tokens.rejected == ["old-token-AAA"]
    assert [r.headers["Authorization"] for r in rec.requests] == [
        "Bearer old-token-AAA", "Bearer new-token-BBB"
    ]
    assert rec.requests[0].url.params["requestid"] == rec.requests[1].url.params["requestid"]


def test_401_without_fresh_token_is_auth_error(make_client: Any, reply: Any) -> None:
    """No fresh token: AuthError at once, with intuit_tid and no token text."""
    tokens = RotatingTokens(None)
    client, rec = make_client(
        lambda r: reply({"fault": {"error": [{"message": "x", "detail": "Token expired: "
                                              "old-token-AAA", "code": "3200"}]}},
                        status=401, tid="tid-401"),
        token_provider=tokens,
    )
    with pytest.raises(AuthError) as info:
        client.customers.get("7")
    assert len(rec.requests) == 1
    assert tokens.rejected == ["old-token-AAA"]
    assert info.value.intuit_tid == "tid-401"
    assert "old-token-AAA" not in str(info.value)


def test_second_401_is_auth_error_and_refresh_not_repeated(make_client: Any, reply: Any) -> None:
    """A fresh token that is refused too ends in AuthError; token_rejected ran once."""
    tokens = RotatingTokens("new-token-BBB")
    client, rec = make_client(lambda r: reply({}, status=401), token_provider=tokens)
    with pytest.raises(AuthError):
        client.customers.get("7")
    assert len(rec.requests) == 2
    assert tokens.rejected == ["old-token-AAA"]


def test_static_token_401_is_auth_error(make_client: Any, reply: Any) -> None:
    """access_token= cannot refresh: a 401 is AuthError after one request."""
    client, rec = make_client(lambda r: reply({}, status=401))
    with pytest.raises(AuthError):
        client.customers.get("7")
    assert len(rec.requests) == 1


# -- errors, throttling, pacing ------------------------------------------------


def test_faults_map_to_errors_with_intuit_tid(make_client: Any, reply: Any) -> None:
    """A 400 fault 6240 raises DuplicateNameError carrying the intuit_tid; not retried."""
    client, rec = make_client(lambda r: reply(FAULT_6240, status=400, tid="1-abc"))
    with pytest.raises(DuplicateNameError) as info:
        client.customers.create(models.Customer(display_name="Ada"))
    assert (info.value.intuit_tid, info.value.code, info.value.status) == ("1-abc", "6240", 400)
    assert str(info.value).startswith("[intuit_tid=1-abc]")
    assert len(rec.requests) == 1


def test_fault_inside_200_raises(make_client: Any, reply: Any) -> None:
    """QBO can answer 200 with a Fault; that is an error too."""
    client, _ = make_client(lambda r: reply(FAULT_6240, status=200))
    with pytest.raises(DuplicateNameError):
        client.customers.create(models.Customer(display_name="Ada"))


def test_throttle_is_paced_and_retried(make_client: Any, reply: Any, recording_pacer: Any) -> None:
    """A 429 tells the pacer (with Retry-After) and the call is retried through it."""
    answers = iter([reply({}, status=429, **{"Retry-After": "3"}), reply(CUSTOMER)])
    client, rec = make_client(lambda r: next(answers), pacer=recording_pacer)
    client.customers.get("7")
    assert recording_pacer.throttled == [(REALM, 3.0)]
    assert recording_pacer.slots == [(REALM, False), (REALM, False)]
    assert len(rec.requests) == 2


def test_retries_exhausted_raise_last_error(make_client: Any, reply: Any) -> None:
    """Persistent 503s end in ServerError after max_attempts."""
    client, rec = make_client(lambda r: reply({}, status=503),
                              retry=RetryPolicy(max_attempts=3, sleep=lambda s: None))
    with pytest.raises(ServerError):
        client.customers.get("7")
    assert len(rec.requests) == 3


def test_throttled_error_type(make_client: Any, reply: Any) -> None:
    """Throttling that never ends surfaces as ThrottledError."""
    client, _ = make_client(lambda r: reply({}, status=429),
                            retry=RetryPolicy(max_attempts=2, sleep=lambda s: None))
    with pytest.raises(ThrottledError):
        client.customers.get("7")


def test_non_json_success_is_payload_error(make_client: Any) -> None:
    """A 200 whose body is not JSON is a PayloadError with the intuit_tid."""
    client, _ = make_client(
        lambda r: httpx.Response(200, text="<html>", headers={"intuit_tid": "t"})
    )
    with pytest.raises(PayloadError) as info:
        client.customers.get("7")
    assert info.value.intuit_tid == "t"


def test_default_pacer_is_per_client_realm_pacer() -> None:
    """Without pacer=, each client gets its own RealmPacer with QBO's limits."""
    client = QBOClient(realm_id=REALM, environment="sandbox", access_token=TOKEN)
    other = QBOClient(realm_id=REALM, environment="sandbox", access_token=TOKEN)
    try:
        pacer = client._sender.pacer
        assert isinstance(pacer, RealmPacer)
        assert (pacer.per_minute, pacer.batch_per_minute) == (500, 40)
        assert pacer is not other._sender.pacer
    finally:
        client.close()
        other.close()
