"""Save a fake QBO's state to a JSON file and load it into a new fake.

What is saved: every company (its objects with their versions and change
times, deleted ones included, its id sequences and write counter) and the
OAuth server's apps, grants and live tokens, so a client holding tokens from
before the save keeps working after a load.

What is not saved: the ``requestid`` replay cache (a write replayed after a
load is executed again), pending authorization codes and consents, webhook
events not yet flushed, the per-realm limit windows, the request counters
(``fake.stats`` starts at zero) and the ID-token signing key (a new one is
made on demand).

The file holds the apps' client secrets and the tokens, so it is written with
``0600`` permissions, replaced atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from qbo_sync import _json
from qbo_sync.errors import ConfigurationError
from qbo_sync.testing._fake._clock import FakeClock
from qbo_sync.testing._fake._core_realm import Realm, Record
from qbo_sync.testing._fake._entities import BY_NAME
from qbo_sync.testing._fake._oauth import _Access, _App, _Grant, _Refresh

if TYPE_CHECKING:
    from qbo_sync.testing._fake._app import FakeQBO

__all__ = ["FORMAT", "load_state", "save_state"]

#: The snapshot's format tag; a file with another tag is refused.
FORMAT = "qbo_sync.testing.FakeQBO/1"


def _realm_state(realm: Realm) -> dict[str, Any]:
    objects: dict[str, list[dict[str, Any]]] = {}
    for entity, records in realm.records.items():
        if records:
            objects[entity] = [
                {
                    "data": record.data,
                    "changed": record.changed.isoformat(),
                    "seq": record.seq,
                    "deleted": record.deleted,
                }
                for record in records.values()
            ]
    return {
        "realm_id": realm.realm_id,
        "next_ids": dict(realm._next),
        "seq": realm._seq,
        "writes": realm.writes,
        "ast_rate": str(realm.ast_rate),
        "tax_overrides": sorted([entity, obj_id] for entity, obj_id in realm.tax_overrides),
        "objects": objects,
    }


def _oauth_state(fake: FakeQBO) -> dict[str, Any]:
    server = fake.oauth
    now = fake.clock.time()
    with server._lock:
        return {
            "apps": [attrs.asdict(app) for app in server._apps.values()],
            "grants": {gid: attrs.asdict(grant) for gid, grant in server._grants.items()},
            "refresh_tokens": {
                value: attrs.asdict(record)
                for value, record in server._refresh.items()
                if record.expires_at > now
            },
            "access_tokens": {
                value: attrs.asdict(access)
                for value, access in server._access.items()
                if access.expires_at > now
            },
        }


def save_state(fake: FakeQBO, path: str | os.PathLike[str]) -> None:
    """Write ``fake``'s companies and OAuth state to ``path`` (JSON, mode 0600, atomic)."""
    target = Path(path)
    ledger = fake.ledger
    with ledger._lock:
        realms = [_realm_state(realm) for realm in ledger._realms.values()]
        next_realm = ledger._next_realm
    state = {
        "format": FORMAT,
        "saved_at": fake.clock.now().isoformat(),
        "next_realm": next_realm,
        "realms": realms,
        "oauth": _oauth_state(fake),
    }
    body = _json.dumps(state)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(body)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _realm_from(state: dict[str, Any], clock: Any) -> Realm:
    realm = Realm(str(state["realm_id"]), clock)
    for entity, records in state["objects"].items():
        spec = BY_NAME.get(entity)
        if spec is None:
            raise ConfigurationError(f"FakeQBO snapshot: unknown entity {entity!r}")
        for item in records:
            data = item["data"]
            obj_id = str(data["Id"])
            record = Record(
                data=data,
                changed=dt.datetime.fromisoformat(item["changed"]),
                seq=int(item["seq"]),
                deleted=bool(item["deleted"]),
            )
            realm.records[entity][obj_id] = record
            realm.index.stored(entity, obj_id)
            realm.index.add(spec, data)
            if record.deleted:
                # A deleted object's DocNumber still counts for the next automatic one.
                realm.index.remove(spec, data, deleting=True)
    realm._next = {str(k): int(v) for k, v in state["next_ids"].items()}
    realm._seq = int(state["seq"])
    realm.writes = int(state["writes"])
    realm.ast_rate = Decimal(str(state.get("ast_rate", "0")))
    realm.tax_overrides = {(str(e), str(i)) for e, i in state.get("tax_overrides", [])}
    return realm


def _times(record: dict[str, Any], *names: str) -> dict[str, Any]:
    """``record`` with its epoch-second fields as floats (JSON gave them back as Decimal)."""
    out = dict(record)
    for name in names:
        if out.get(name) is not None:
            out[name] = float(out[name])
    return out


def load_state(fake: FakeQBO, path: str | os.PathLike[str]) -> dt.datetime:
    """Load a snapshot written by :func:`save_state` into ``fake``, which has no company yet.

    A :class:`~qbo_sync.testing.FakeClock` behind the snapshot's time is
    moved forward to it, so virtual time never runs backwards.

    Returns:
        When the snapshot was saved (on the saving fake's clock).

    Raises:
        ConfigurationError: The fake already has companies, or the file is
            not a snapshot of this format.
        OSError: The file cannot be read.
    """
    if fake.realm_ids:
        raise ConfigurationError("FakeQBO.load_state needs a fake with no company yet")
    try:
        state = _json.loads(Path(path).read_bytes())
    except ValueError as exc:
        raise ConfigurationError(f"FakeQBO snapshot {path}: not JSON ({exc})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ConfigurationError(f"FakeQBO snapshot {path}: not a {FORMAT} snapshot")
    try:
        saved_at = dt.datetime.fromisoformat(state["saved_at"])
        ledger = fake.ledger
        realms = [_realm_from(realm, ledger._clock) for realm in state["realms"]]
        oauth = state["oauth"]
        apps = [_App(**{**app, "redirect_uris": tuple(app["redirect_uris"])})
                for app in oauth["apps"]]
        grants = {gid: _Grant(**_times(grant, "first_consent"))
                  for gid, grant in oauth["grants"].items()}
        refresh = {value: _Refresh(**_times(rec, "issued_at", "expires_at", "superseded_at"))
                   for value, rec in oauth["refresh_tokens"].items()}
        access = {value: _Access(**_times(rec, "expires_at"))
                  for value, rec in oauth["access_tokens"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"FakeQBO snapshot {path}: malformed ({exc!r})") from None
    if isinstance(fake.clock, FakeClock) and fake.clock.now() < saved_at:
        fake.clock.advance(saved_at - fake.clock.now())
    with ledger._lock:
        for realm in realms:
            ledger._realms[realm.realm_id] = realm
        ledger._next_realm = max(ledger._next_realm, int(state["next_realm"]))
    fake._realms.extend(realm.realm_id for realm in realms)
    server = fake.oauth
    with server._lock:
        server._apps.update({app.client_id: app for app in apps})
        server._grants.update(grants)
        server._refresh.update(refresh)
        server._access.update(access)
    return saved_at
