"""The records qbo_sync keeps in storage.

Every record is a frozen, keyword-only attrs class: a value, never a live
handle. Stores take records and give records back; a record read from one
backend compares equal to the same record read from any other.

Decisions (the issue left them open):

- Times are timezone-aware :class:`datetime.datetime` values; a naive time is
  rejected with :class:`ValueError` naming the record and field, because a
  token expiry read in the wrong zone is a silent outage. Stores give times
  back in UTC with microsecond precision.
- :class:`ConnectionStatus` holds what is *stored* about a connection:
  ``connected``, ``needs_reauthorization`` and ``disconnected``. "Expiring
  soon" is not stored: it is computed from :class:`TokenSet` expiries at the
  moment it is asked (the OAuth manager and the health calculator do that), so
  it can never go stale in a database row.
- Records holding secrets (:class:`TokenSet`, :class:`OAuthState`) leave them
  out of their ``repr``, so a token never reaches a log through ``%r``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from qbo_sync._environment import Environment

__all__ = [
    "Connection",
    "ConnectionStatus",
    "Cursor",
    "EntityCounts",
    "EntityLink",
    "EntitySettings",
    "LinkCounts",
    "LinkStatus",
    "OAuthState",
    "RecordFailure",
    "RunDirection",
    "RunKind",
    "RunRecord",
    "RunStatus",
    "Settings",
    "SyncDirection",
    "TokenSet",
]


def _aware(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Reject naive datetimes (``None`` passes; optionality is in the type)."""
    if value is None:
        return
    if not isinstance(value, dt.datetime):
        raise TypeError(
            f"{type(instance).__name__}.{attribute.name} must be a datetime, "
            f"got {type(value).__name__}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be timezone-aware "
            f"(e.g. datetime.now(timezone.utc)), got naive {value.isoformat()}"
        )


def _non_empty(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Keys (realm ids, entity types, local ids ...) must be non-empty text."""
    if not isinstance(value, str) or not value:
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be a non-empty string, got {value!r}"
        )


def _non_negative(instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 0:
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be >= 0, got {value}")


def _environment(value: Environment | str) -> Environment:
    return Environment.parse(value)


def _dict(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value) if value is not None else {}


class ConnectionStatus(str, enum.Enum):
    """What is stored about a QBO connection.

    "Expiring soon" is derived from token expiries when asked, never stored.
    """

    CONNECTED = "connected"
    """Tokens are held and the last refresh worked."""
    NEEDS_REAUTHORIZATION = "needs_reauthorization"
    """The refresh token was refused (``invalid_grant``) or expired: the user must reconnect."""
    DISCONNECTED = "disconnected"
    """The user or the app disconnected; tokens were revoked or deleted."""


class LinkStatus(str, enum.Enum):
    """State of one local record's link to its QBO entity."""

    SYNCED = "synced"
    """The last write was confirmed; ``qbo_id``, ``sync_token`` and ``fingerprint`` hold."""
    PENDING = "pending"
    """A write is in flight (or its outcome is unknown): ``pending_request_id`` is set."""
    FAILED = "failed"
    """The last write failed; ``last_error_code`` / ``last_error`` say why."""


class SyncDirection(str, enum.Enum):
    """Which way an entity type is synced (a per-entity setting)."""

    PUSH = "push"
    """Local records are written to QBO."""
    PULL = "pull"
    """QBO changes are read into the product."""
    BOTH = "both"
    """Both ways."""


class RunKind(str, enum.Enum):
    """What started a sync run."""

    FULL = "full"
    ENTITY = "entity"
    RECORD = "record"
    WEBHOOK = "webhook"


class RunDirection(str, enum.Enum):
    """Which way a run moved data."""

    PUSH = "push"
    PULL = "pull"
    BOTH = "both"


class RunStatus(str, enum.Enum):
    """Outcome of a run. ``RUNNING`` is the state saved when a run starts."""

    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class Connection:
    """One QBO company (realm) connected to the product.

    Attributes:
        realm_id: The QBO company id (the key).
        environment: Sandbox or production; never guessed.
        tenant_id: The product's tenant (account, organisation) owning it.
        company_name: The company name QBO reported, for display.
        status: See :class:`ConnectionStatus`.
        connected_at: When the user (re)connected.
        disconnected_at: When it was disconnected, if it was.
        status_reason: Why the status is what it is (``"invalid_grant"`` ...).
    """

    realm_id: str = attrs.field(validator=_non_empty)
    environment: Environment = attrs.field(converter=_environment)
    tenant_id: str | None = None
    company_name: str | None = None
    status: ConnectionStatus = attrs.field(
        default=ConnectionStatus.CONNECTED, converter=ConnectionStatus
    )
    connected_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    disconnected_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    status_reason: str | None = None


@attrs.frozen(kw_only=True)
class TokenSet:
    """The OAuth tokens of one realm, with their expiries and CAS version.

    The ``repr`` never shows the tokens.

    Attributes:
        access_token: The bearer token for API calls (about 1 hour).
        refresh_token: The refresh token (rolling, about 100 days).
        access_expires_at: When the access token expires.
        refresh_expires_at: When the refresh token expires unless used
            (``x_refresh_token_expires_in`` of the latest response).
        refresh_hard_expires_at: The absolute limit (5-year cap,
            ``x_refresh_token_hard_expires_in``), when Intuit reported it.
        version: Compare-and-swap version. ``0`` on a set not yet saved;
            stores assign ``1`` on the first save and add one on each save.
            Callers pass the version they read as ``expected_version``.
        updated_at: When this version was saved (set by the caller).
    """

    access_token: str = attrs.field(repr=False)
    refresh_token: str = attrs.field(repr=False)
    access_expires_at: dt.datetime = attrs.field(validator=_aware)
    refresh_expires_at: dt.datetime = attrs.field(validator=_aware)
    refresh_hard_expires_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    version: int = attrs.field(default=0, validator=_non_negative)
    updated_at: dt.datetime | None = attrs.field(default=None, validator=_aware)


@attrs.frozen(kw_only=True)
class EntityLink:
    """The link between one local record and its QBO entity.

    The key is ``(realm_id, entity_type, local_id)``; ``qbo_id`` is unique
    within ``(realm_id, entity_type)`` when set.

    Attributes:
        realm_id: The QBO company.
        entity_type: The QBO entity name as QBO spells it (``"Invoice"``).
        local_id: The product's id of the record.
        qbo_id: The QBO ``Id``; ``None`` until a create succeeded.
        sync_token: The QBO ``SyncToken`` last seen (text, ``"0"`` is valid).
        fingerprint: Fingerprint of the content last pushed and confirmed.
        last_synced_at: When the last write was confirmed.
        pending_request_id: The ``requestid`` of a write in flight, recorded
            before sending so a retry after a crash reuses it.
        pending_fingerprint: Fingerprint of the content of that write.
        status: See :class:`LinkStatus` (the health page counts these).
        last_error_code: Reason code of the last failure (QBO fault code or
            a qbo_sync reason such as ``"validation"``).
        last_error: Message of the last failure (never contains secrets).
        updated_at: When the link was last written (set by the caller).
    """

    realm_id: str = attrs.field(validator=_non_empty)
    entity_type: str = attrs.field(validator=_non_empty)
    local_id: str = attrs.field(validator=_non_empty)
    qbo_id: str | None = None
    sync_token: str | None = None
    fingerprint: str | None = None
    last_synced_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    pending_request_id: str | None = None
    pending_fingerprint: str | None = None
    status: LinkStatus = attrs.field(default=LinkStatus.SYNCED, converter=LinkStatus)
    last_error_code: str | None = None
    last_error: str | None = None
    updated_at: dt.datetime | None = attrs.field(default=None, validator=_aware)


@attrs.frozen(kw_only=True)
class LinkCounts:
    """How many links of one entity type are in each :class:`LinkStatus`."""

    synced: int = 0
    pending: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """All links of the entity type."""
        return self.synced + self.pending + self.failed


@attrs.frozen(kw_only=True)
class Cursor:
    """The inbound-sync watermark of one entity type in one realm.

    Attributes:
        realm_id: The QBO company.
        entity_type: The QBO entity name (``"Customer"``).
        changed_since: Changes at or after this time are still to be read
            (the ``changedSince`` of the next CDC call).
        updated_at: When the cursor was saved (set by the caller).
    """

    realm_id: str = attrs.field(validator=_non_empty)
    entity_type: str = attrs.field(validator=_non_empty)
    changed_since: dt.datetime = attrs.field(validator=_aware)
    updated_at: dt.datetime | None = attrs.field(default=None, validator=_aware)


@attrs.frozen(kw_only=True)
class EntityCounts:
    """What a run did to one entity type.

    ``matched`` was added with the sync engine; runs saved before read it as 0.
    """

    created: int = attrs.field(default=0, validator=_non_negative)
    updated: int = attrs.field(default=0, validator=_non_negative)
    failed: int = attrs.field(default=0, validator=_non_negative)
    skipped: int = attrs.field(default=0, validator=_non_negative)
    matched: int = attrs.field(default=0, validator=_non_negative)
    """Linked to a record that already existed in QBO (nothing created)."""


@attrs.frozen(kw_only=True)
class RecordFailure:
    """One record a run could not sync.

    Attributes:
        entity_type: The QBO entity name.
        local_id: The product's id, when the record came from the product.
        qbo_id: The QBO id, when known.
        reason_code: QBO fault code or qbo_sync reason (``"6240"``, ``"mapping"``).
        message: What went wrong (never contains secrets).
        intuit_tid: Intuit's transaction id of the failing response.
    """

    entity_type: str
    reason_code: str
    message: str
    local_id: str | None = None
    qbo_id: str | None = None
    intuit_tid: str | None = None


def _counts(value: Mapping[str, EntityCounts] | None) -> dict[str, EntityCounts]:
    return dict(value) if value is not None else {}


def _failures(value: Any) -> tuple[RecordFailure, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class RunRecord:
    """The history entry of one sync run.

    Save it with status ``RUNNING`` when the run starts and again, complete,
    when it ends; saving the same ``run_id`` replaces the entry.

    Attributes:
        run_id: Unique id of the run (the key).
        realm_id: The QBO company.
        kind: What started it.
        direction: Which way data moved.
        started_at: Start time.
        finished_at: End time; ``None`` while running.
        status: Outcome.
        counts: Created / updated / failed / skipped per entity type.
        failures: Every record that failed, with reason and ``intuit_tid``.
        requests: HTTP requests sent to QBO during the run.
        throttled_requests: Of those, how many QBO answered with a throttle
            (429 / fault 3001).
        message: A run-level note (why a run failed as a whole).
    """

    run_id: str = attrs.field(validator=_non_empty)
    realm_id: str = attrs.field(validator=_non_empty)
    kind: RunKind = attrs.field(converter=RunKind)
    direction: RunDirection = attrs.field(converter=RunDirection)
    started_at: dt.datetime = attrs.field(validator=_aware)
    finished_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    status: RunStatus = attrs.field(default=RunStatus.RUNNING, converter=RunStatus)
    counts: dict[str, EntityCounts] = attrs.field(factory=dict, converter=_counts)
    failures: tuple[RecordFailure, ...] = attrs.field(default=(), converter=_failures)
    requests: int = attrs.field(default=0, validator=_non_negative)
    throttled_requests: int = attrs.field(default=0, validator=_non_negative)
    message: str | None = None


@attrs.frozen(kw_only=True)
class EntitySettings:
    """Per entity type: synced or not, and which way."""

    enabled: bool = True
    direction: SyncDirection = attrs.field(default=SyncDirection.PUSH, converter=SyncDirection)


def _entity_settings(value: Mapping[str, EntitySettings] | None) -> dict[str, EntitySettings]:
    return dict(value) if value is not None else {}


@attrs.frozen(kw_only=True)
class Settings:
    """What the product's user chose for one realm.

    Attributes:
        account_mapping: Role -> QBO Account id (``"income"``,
            ``"accounts_receivable"``, ``"deposit"`` ...).
        tax_code_mapping: Local tax code -> QBO TaxCode id.
        item_mapping: Local product/service id -> QBO Item id.
        entities: QBO entity name -> :class:`EntitySettings`. Empty (the
            default): every entity, both ways; otherwise an entity missing
            here is not synced.
        auto_sync: Whether the product syncs automatically (on change or
            on a schedule) rather than only on demand.
        sync_from: Records dated before this day are not synced.
        expense_entity: What a new expense is written as: ``"Purchase"`` or
            ``"Bill"``; ``None``: the engine's default (``"Purchase"``).
        tax_calculation: Outside the US, ``"TaxExcluded"`` or
            ``"TaxInclusive"``; ``None``: the engine's default (``"TaxExcluded"``).
        automated_sales_tax: US: whether QBO computes sales tax itself;
            ``None``: read from the company's preferences.
    """

    account_mapping: dict[str, str] = attrs.field(factory=dict, converter=_dict)
    tax_code_mapping: dict[str, str] = attrs.field(factory=dict, converter=_dict)
    item_mapping: dict[str, str] = attrs.field(factory=dict, converter=_dict)
    entities: dict[str, EntitySettings] = attrs.field(factory=dict, converter=_entity_settings)
    auto_sync: bool = False
    sync_from: dt.date | None = None
    expense_entity: str | None = None
    tax_calculation: str | None = None
    automated_sales_tax: bool | None = None


@attrs.frozen(kw_only=True)
class OAuthState:
    """An OAuth ``state`` value awaiting its callback.

    Stored when the authorisation URL is built, consumed once when the
    callback arrives (:meth:`OAuthStateStore.consume_oauth_state`). The
    ``repr`` shows neither the state nor the PKCE verifier.

    Attributes:
        state: The random ``state`` parameter (the key).
        expires_at: After this the state is refused.
        tenant_id: The product tenant that started the flow.
        user_id: The product user that started the flow.
        created_at: When it was issued.
        redirect_uri: The redirect URI used in the authorisation request.
        code_verifier: PKCE verifier, when PKCE is used.
        extra: Small extra values for the callback (``return_to`` ...).
    """

    state: str = attrs.field(validator=_non_empty, repr=False)
    expires_at: dt.datetime = attrs.field(validator=_aware)
    tenant_id: str | None = None
    user_id: str | None = None
    created_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    redirect_uri: str | None = None
    code_verifier: str | None = attrs.field(default=None, repr=False)
    extra: dict[str, str] = attrs.field(factory=dict, converter=_dict)
