"""Faults the fake ledger raises, in the shapes real QBO sends.

Messages and details copy real recordings where one exists
(``qbo_api/vcr/batch/basic.yml`` for 610 and 5010, ``vcr/error/*.yml`` for
2010, 2030, 4001, 500 and 6240); the rest follow Intuit's error-code page.
"""

from __future__ import annotations

from typing import Any

from qbo_sync import errors

__all__ = [
    "FaultError",
    "bad_property",
    "business",
    "duplicate_doc_number",
    "duplicate_name",
    "invalid_id",
    "invalid_reference",
    "not_found",
    "query_invalid",
    "query_parse",
    "required",
    "stale",
    "unsupported",
]

_INACTIVE_DETAIL = (
    "Something you're trying to use has been made inactive. Check the fields with "
    "accounts, customers, items, vendors or employees."
)


class FaultError(Exception):
    """One QBO fault: becomes a ``{"Fault": ...}`` body, or a batch item's ``Fault``.

    Attributes:
        code: The QBO error code, as a string (``"6240"``).
        message: The ``Message`` text.
        detail: The ``Detail`` text.
        element: The offending field (``""`` when QBO names none).
        status: The HTTP status the fault comes with.
        fault_type: The fault ``type`` (``ValidationFault``, ``SystemFault``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        *,
        element: str = "",
        status: int = 400,
        fault_type: str = "ValidationFault",
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type

    def fault(self) -> dict[str, Any]:
        """The ``Fault`` object (without the envelope)."""
        return {
            "Error": [
                {
                    "Message": self.message,
                    "Detail": self.detail,
                    "code": self.code,
                    "element": self.element,
                }
            ],
            "type": self.fault_type,
        }

    def to_qbo_error(self) -> errors.QBOError:
        """The qbo_sync error a client would raise for this fault (used by ``Ledger.seed``)."""
        cls: type[errors.QBOError]
        if self.code == "610":
            cls = errors.NotFoundError
        elif self.code == "5010":
            cls = errors.StaleObjectError
        elif self.code == "6240":
            cls = errors.DuplicateNameError
        elif self.code in ("6140", "6210"):
            cls = errors.DuplicateDocNumberError
        elif self.code in ("4000", "4001", "4002"):
            cls = errors.QueryError
        elif self.status >= 500:
            cls = errors.ServerError
        else:
            cls = errors.ValidationError
        detail = errors.FaultDetail(
            code=self.code, message=self.message, detail=self.detail, element=self.element or None
        )
        return cls(
            self.message,
            status=self.status,
            code=self.code,
            detail=self.detail,
            element=self.element or None,
            errors=(detail,),
            fault_type=self.fault_type,
        )


def not_found(element: str = "") -> FaultError:
    """610: the object does not exist, was deleted, or is inactive."""
    return FaultError(
        "610", "Object Not Found", f"Object Not Found : {_INACTIVE_DETAIL}", element=element
    )


def stale() -> FaultError:
    """5010: the SyncToken sent is not the current one."""
    return FaultError(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and another user were working on this at the same time. "
        "The other user finished before you did, so your work was not saved.",
    )


def duplicate_name(name: str) -> FaultError:
    """6240: a name already used by another list entity."""
    return FaultError(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : {name}",
    )


def duplicate_doc_number(doc_number: str, entity: str, other_id: str) -> FaultError:
    """6140: the DocNumber is already used by a transaction of the same type."""
    return FaultError(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType={entity} "
        f"with TxnId={other_id}",
        element="DocNumber",
    )


def required(element: str) -> FaultError:
    """2020: a required field is missing."""
    return FaultError(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def invalid_reference(element: str, value: object) -> FaultError:
    """2500: a reference whose value is not a usable id."""
    return FaultError(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {element} value {value!r} is not a valid reference",
        element=element,
    )


def invalid_id(value: object) -> FaultError:
    """2030: an ``Id`` that is not a number (real: ``Supplied value:1.5``)."""
    return FaultError(
        "2030", "Invalid ID", f"Id should be a valid number. Supplied value:{value}", element="Id"
    )


def bad_property(detail: str, element: str = "") -> FaultError:
    """2010: unknown property, wrong JSON type, or a body that is not JSON."""
    return FaultError(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:{detail}",
        element=element,
    )


def business(detail: str, element: str = "") -> FaultError:
    """6000: a business rule says no (the detail explains which)."""
    return FaultError(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element=element,
    )


def unsupported(detail: str) -> FaultError:
    """500 (HTTP 400): the URL or operation is not supported."""
    return FaultError("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def query_parse(detail: str) -> FaultError:
    """4000: the query text does not parse."""
    return FaultError("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> FaultError:
    """4001: the query parses but asks for something invalid."""
    return FaultError("4001", "Invalid query", f"QueryValidationError: {detail}")
