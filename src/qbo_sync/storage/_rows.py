"""Records to SQL rows and back, shared by the SQL backends.

A row is a tuple in the column order of the ``*_COLUMNS`` constant. Times go
through a :class:`TimeCodec`: SQLite stores integer microseconds since the
epoch (exact and sortable), PostgreSQL ``timestamptz``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from qbo_sync import _json
from qbo_sync.errors import EncryptionKeyError
from qbo_sync.storage._codec import (
    counts_from_json,
    counts_to_json,
    failures_from_json,
    failures_to_json,
    from_micros,
    to_micros,
)
from qbo_sync.storage._crypto import ENCRYPTION_KEY_ENV, TokenCipher
from qbo_sync.storage._records import (
    Connection,
    Cursor,
    EntityLink,
    OAuthState,
    RunRecord,
    TokenSet,
)

__all__ = [
    "CONNECTION_COLUMNS",
    "CURSOR_COLUMNS",
    "LINK_COLUMNS",
    "MICROS",
    "RUN_COLUMNS",
    "TOKEN_COLUMNS",
    "TZ",
    "Row",
    "TimeCodec",
    "connection_from_row",
    "connection_to_row",
    "cursor_from_row",
    "cursor_to_row",
    "link_from_row",
    "link_to_row",
    "reseal_tokens_row",
    "run_from_row",
    "run_to_row",
    "seal",
    "state_from_json",
    "state_key",
    "state_to_json",
    "tokens_from_row",
    "tokens_to_row",
    "unseal",
]

Row = Sequence[Any]


@attrs.frozen
class TimeCodec:
    """How a backend stores an aware datetime."""

    encode: Callable[[dt.datetime | None], Any]
    decode: Callable[[Any], dt.datetime | None]


def _tz_decode(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.timezone.utc)


def _tz_encode(value: dt.datetime | None) -> Any:
    return value


MICROS = TimeCodec(to_micros, from_micros)
TZ = TimeCodec(_tz_encode, _tz_decode)

CONNECTION_COLUMNS = (
    "realm_id",
    "environment",
    "tenant_id",
    "company_name",
    "status",
    "connected_at",
    "disconnected_at",
    "status_reason",
)


def connection_to_row(c: Connection, t: TimeCodec) -> tuple[Any, ...]:
    """A :class:`Connection` as a row."""
    return (
        c.realm_id,
        c.environment.value,
        c.tenant_id,
        c.company_name,
        c.status.value,
        t.encode(c.connected_at),
        t.encode(c.disconnected_at),
        c.status_reason,
    )


def connection_from_row(r: Row, t: TimeCodec) -> Connection:
    """Inverse of :func:`connection_to_row`."""
    return Connection(
        realm_id=r[0],
        environment=r[1],
        tenant_id=r[2],
        company_name=r[3],
        status=r[4],
        connected_at=t.decode(r[5]),
        disconnected_at=t.decode(r[6]),
        status_reason=r[7],
    )


TOKEN_COLUMNS = (
    "realm_id",
    "version",
    "encrypted",
    "access_token",
    "refresh_token",
    "access_expires_at",
    "refresh_expires_at",
    "refresh_hard_expires_at",
    "updated_at",
)

LINK_COLUMNS = (
    "realm_id",
    "entity_type",
    "local_id",
    "qbo_id",
    "sync_token",
    "fingerprint",
    "last_synced_at",
    "pending_request_id",
    "pending_fingerprint",
    "status",
    "last_error_code",
    "last_error",
    "updated_at",
)


def link_to_row(k: EntityLink, t: TimeCodec) -> tuple[Any, ...]:
    """An :class:`EntityLink` as a row."""
    return (
        k.realm_id,
        k.entity_type,
        k.local_id,
        k.qbo_id,
        k.sync_token,
        k.fingerprint,
        t.encode(k.last_synced_at),
        k.pending_request_id,
        k.pending_fingerprint,
        k.status.value,
        k.last_error_code,
        k.last_error,
        t.encode(k.updated_at),
    )


def link_from_row(r: Row, t: TimeCodec) -> EntityLink:
    """Inverse of :func:`link_to_row`."""
    return EntityLink(
        realm_id=r[0],
        entity_type=r[1],
        local_id=r[2],
        qbo_id=r[3],
        sync_token=r[4],
        fingerprint=r[5],
        last_synced_at=t.decode(r[6]),
        pending_request_id=r[7],
        pending_fingerprint=r[8],
        status=r[9],
        last_error_code=r[10],
        last_error=r[11],
        updated_at=t.decode(r[12]),
    )


CURSOR_COLUMNS = ("realm_id", "entity_type", "changed_since", "updated_at")


def cursor_to_row(c: Cursor, t: TimeCodec) -> tuple[Any, ...]:
    """A :class:`Cursor` as a row."""
    return (c.realm_id, c.entity_type, t.encode(c.changed_since), t.encode(c.updated_at))


def cursor_from_row(r: Row, t: TimeCodec) -> Cursor:
    """Inverse of :func:`cursor_to_row`."""
    changed_since = t.decode(r[2])
    assert changed_since is not None
    return Cursor(
        realm_id=r[0], entity_type=r[1], changed_since=changed_since, updated_at=t.decode(r[3])
    )


RUN_COLUMNS = (
    "run_id",
    "realm_id",
    "kind",
    "direction",
    "started_at",
    "finished_at",
    "status",
    "counts",
    "failures",
    "failure_count",
    "requests",
    "throttled_requests",
    "message",
)


def run_to_row(run: RunRecord, t: TimeCodec) -> tuple[Any, ...]:
    """A :class:`RunRecord` as a row (counts and failures as JSON text)."""
    return (
        run.run_id,
        run.realm_id,
        run.kind.value,
        run.direction.value,
        t.encode(run.started_at),
        t.encode(run.finished_at),
        run.status.value,
        counts_to_json(run.counts),
        failures_to_json(run.failures),
        len(run.failures),
        run.requests,
        run.throttled_requests,
        run.message,
    )


def run_from_row(r: Row, t: TimeCodec, *, include_failures: bool = True) -> RunRecord:
    """Inverse of :func:`run_to_row`."""
    started_at = t.decode(r[4])
    assert started_at is not None
    return RunRecord(
        run_id=r[0],
        realm_id=r[1],
        kind=r[2],
        direction=r[3],
        started_at=started_at,
        finished_at=t.decode(r[5]),
        status=r[6],
        counts=counts_from_json(r[7]),
        failures=failures_from_json(r[8]) if include_failures else (),
        requests=r[10],
        throttled_requests=r[11],
        message=r[12],
    )


def state_to_json(state: OAuthState) -> str:
    """An :class:`OAuthState` as JSON text (times as ISO 8601)."""
    data = {
        "state": state.state,
        "expires_at": state.expires_at.isoformat(),
        "tenant_id": state.tenant_id,
        "user_id": state.user_id,
        "created_at": state.created_at.isoformat() if state.created_at else None,
        "redirect_uri": state.redirect_uri,
        "code_verifier": state.code_verifier,
        "extra": state.extra,
    }
    return _json.dumps(data).decode()


def state_from_json(text: str) -> OAuthState:
    """Inverse of :func:`state_to_json`."""
    data: dict[str, Any] = _json.loads(text)
    created = data.get("created_at")
    return OAuthState(
        state=data["state"],
        expires_at=dt.datetime.fromisoformat(data["expires_at"]).astimezone(dt.timezone.utc),
        tenant_id=data.get("tenant_id"),
        user_id=data.get("user_id"),
        created_at=(
            dt.datetime.fromisoformat(created).astimezone(dt.timezone.utc) if created else None
        ),
        redirect_uri=data.get("redirect_uri"),
        code_verifier=data.get("code_verifier"),
        extra=data.get("extra") or {},
    )


def tokens_to_row(
    realm_id: str, tokens: TokenSet, version: int, cipher: TokenCipher | None, t: TimeCodec
) -> tuple[Any, ...]:
    """A :class:`TokenSet` as a row; tokens encrypted when ``cipher`` is set."""
    access, refresh = tokens.access_token, tokens.refresh_token
    if cipher is not None:
        access, refresh = cipher.encrypt(access), cipher.encrypt(refresh)
    return (
        realm_id,
        version,
        1 if cipher is not None else 0,
        access,
        refresh,
        t.encode(tokens.access_expires_at),
        t.encode(tokens.refresh_expires_at),
        t.encode(tokens.refresh_hard_expires_at),
        t.encode(tokens.updated_at),
    )


def tokens_from_row(r: Row, cipher: TokenCipher | None, t: TimeCodec) -> TokenSet:
    """Inverse of :func:`tokens_to_row`.

    Raises:
        EncryptionKeyError: The row is encrypted and no key, or no fitting
            key, is configured.
    """
    access, refresh = r[3], r[4]
    if r[2]:
        if cipher is None:
            raise EncryptionKeyError(
                f"tokens of realm {r[0]} are encrypted but no key is configured "
                f"(set {ENCRYPTION_KEY_ENV} or pass encryption=TokenCipher(...))"
            )
        access, refresh = cipher.decrypt(access), cipher.decrypt(refresh)
    access_expires_at = t.decode(r[5])
    refresh_expires_at = t.decode(r[6])
    assert access_expires_at is not None
    assert refresh_expires_at is not None
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=access_expires_at,
        refresh_expires_at=refresh_expires_at,
        refresh_hard_expires_at=t.decode(r[7]),
        version=r[1],
        updated_at=t.decode(r[8]),
    )


def reseal_tokens_row(r: Row, cipher: TokenCipher, t: TimeCodec) -> tuple[Any, ...]:
    """A token row rewritten under ``cipher``'s newest key, version unchanged.

    Raises:
        EncryptionKeyError: The row cannot be decrypted with ``cipher``.
    """
    return tokens_to_row(r[0], tokens_from_row(r, cipher, t), r[1], cipher, t)


def state_key(state: str) -> str:
    """The stored key of an OAuth state: its SHA-256, so the raw value is not at rest."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def seal(text: str, cipher: TokenCipher | None) -> str:
    """Encrypt ``text`` when a cipher is configured (marked with a ``f:`` prefix)."""
    return "f:" + cipher.encrypt(text) if cipher is not None else "p:" + text


def unseal(text: str, cipher: TokenCipher | None) -> str:
    """Inverse of :func:`seal`.

    Raises:
        EncryptionKeyError: The text is encrypted and no fitting key is configured.
    """
    if text.startswith("p:"):
        return text[2:]
    if cipher is None:
        raise EncryptionKeyError(
            f"a stored OAuth state is encrypted but no key is configured ({ENCRYPTION_KEY_ENV})"
        )
    return cipher.decrypt(text[2:])
