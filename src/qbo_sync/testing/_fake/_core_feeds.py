"""Multi-object endpoints: ``query``, ``batch`` and ``cdc``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from qbo_sync.testing._fake import _core_faults as faults
from qbo_sync.testing._fake._core_realm import Realm, Record
from qbo_sync.testing._fake._core_time import meta_time, parse_instant
from qbo_sync.testing._fake._core_values import as_dict, as_list, as_str
from qbo_sync.testing._fake._entities import EntitySpec, spec_for
from qbo_sync.testing._fake._query import (
    Query,
    lookup_keys,
    parse_query,
    project,
    run_query,
    sorted_matches,
)

__all__ = [
    "MAX_BATCH_ITEMS",
    "MAX_CDC_OBJECTS",
    "cdc",
    "run_batch",
    "run_query_text",
    "write_entity",
]

#: Batch payload limit (facts 3.4: 30 per the API reference; the learn page says 10).
MAX_BATCH_ITEMS = 30
#: CDC returns at most this many objects per entity (facts 3.6).
MAX_CDC_OBJECTS = 1000
CDC_LOOKBACK = timedelta(days=30)
_BATCH_KEYS = frozenset({"bId", "operation", "optionsData", "Query"})


def write_entity(
    realm: Realm, spec: EntitySpec, payload: Any, params: Mapping[str, str]
) -> dict[str, Any]:
    """One entity POST: create, update, delete or void, as ``operation``/``include`` say."""
    operation = (params.get("operation") or "").lower()
    include = (params.get("include") or "").lower()
    allow_dup = "allowduplicatedocnum" in include
    if operation == "delete":
        return realm.delete(spec, payload)
    if operation == "void" or (operation in ("update", "") and "void" in include):
        return realm.void(spec, payload)
    if operation not in ("", "update", "create"):
        raise faults.unsupported(f"operation={operation} on {spec.name}")
    if isinstance(payload, dict) and (payload.get("Id") is not None or operation == "update"):
        return realm.update(spec, payload, allow_dup_doc=allow_dup)
    return realm.create(spec, payload, allow_dup_doc=allow_dup)


def run_query_text(realm: Realm, text: str) -> dict[str, Any]:
    """Run one query; returns the ``{"QueryResponse": ...}`` payload."""
    query = parse_query(text)
    spec = query.spec
    candidates, ordered = _candidates(realm, query)
    if (ordered and not query.order) or query.count:
        total, page = run_query(query, candidates, id_ordered=ordered)
    else:
        # Paging a sorted query re-sorts every match per page; keep the sorted
        # matches until the realm changes (QBO answers pages in milliseconds).
        key = (query.spec.name, query.where, query.order, query.fields)
        cached = realm.query_cache.get(key)
        if cached is None or cached[0] != realm.generation:
            if len(realm.query_cache) > 32:
                realm.query_cache.clear()
            cached = (realm.generation, sorted_matches(query, candidates, id_ordered=ordered))
            realm.query_cache[key] = cached
        rows_all = cached[1]
        total = len(rows_all)
        page = rows_all[query.start - 1 : query.start - 1 + query.max_results]
    if query.count:
        return {"QueryResponse": {"totalCount": total}}
    if not page:
        return {"QueryResponse": {}}
    rows = [project(realm.render(spec, obj), query.fields) for obj in page]
    return {
        "QueryResponse": {spec.name: rows, "startPosition": query.start, "maxResults": len(rows)}
    }


def _candidates(realm: Realm, query: Query) -> tuple[Iterable[dict[str, Any]], bool]:
    """The objects a query must look at, and whether they come in id order.

    An ``Id`` or name equality is answered from the realm's indexes; every
    other query scans the entity's live objects (stored in creation order,
    which is id order unless ids were given explicitly).
    """
    entity = query.spec.name
    keys = lookup_keys(query, query.spec.name_field)
    ids: list[str] | None = None
    if keys is not None and keys[0] == "Id":
        ids = sorted(set(keys[1]), key=int)
    elif keys is not None:
        ids = realm.index.named(entity, keys[0], keys[1][0])
    if ids is not None:
        found = (realm.live(entity, obj_id) for obj_id in ids)
        return [obj for obj in found if obj is not None], True
    # A generator: a page of an id-ordered scan stops reading at its end.
    live = (r.data for r in realm.iter_records(entity) if not r.deleted)
    return live, realm.index.id_ordered(entity)


def run_batch(realm: Realm, payload: Any) -> dict[str, Any]:
    """Run a ``BatchItemRequest``; every item succeeds or faults on its own."""
    body = as_dict(payload, "BatchItemRequest")
    items = as_list(body.get("BatchItemRequest"), "BatchItemRequest")
    if not items:
        raise faults.FaultError("400", "MalformedRequest", "Batch Request is Empty")
    if len(items) > MAX_BATCH_ITEMS:
        raise faults.FaultError(
            "1040",
            "Batch size exceeds allowed limit",
            f"A batch may hold at most {MAX_BATCH_ITEMS} items, got {len(items)}",
        )
    seen: set[str] = set()
    results: list[dict[str, Any]] = []
    for raw in items:
        item = as_dict(raw, "BatchItemRequest")
        bid = item.get("bId")
        bid_text = bid if isinstance(bid, str) else None
        try:
            if not bid_text:
                raise faults.required("bId")
            if bid_text in seen:
                raise faults.business(f"bId {bid_text!r} is used twice in this batch", "bId")
            seen.add(bid_text)
            results.append({**_batch_item(realm, item), "bId": bid_text})
        except faults.FaultError as fault:
            entry: dict[str, Any] = {"Fault": fault.fault()}
            if bid_text:
                entry["bId"] = bid_text
            results.append(entry)
    return {"BatchItemResponse": results}


def _batch_item(realm: Realm, item: dict[str, Any]) -> dict[str, Any]:
    if "Query" in item:
        return run_query_text(realm, as_str(item["Query"], "Query"))
    names = [key for key in item if key not in _BATCH_KEYS]
    if len(names) != 1:
        raise faults.bad_property(
            "a batch item needs exactly one entity object", "BatchItemRequest"
        )
    spec = spec_for(names[0])
    if spec is None or spec.name != names[0]:
        raise faults.unsupported(f"batch {names[0]}")
    operation = as_str(item.get("operation") or "", "operation").lower()
    if operation not in ("create", "update", "delete"):
        raise faults.required("operation")
    params = {"operation": operation}
    if item.get("optionsData") is not None:
        options = as_str(item["optionsData"], "optionsData").lower()
        if options == "void":
            params = {"operation": "update", "include": "void"}
    payload = item[names[0]]
    if operation == "create" and isinstance(payload, dict) and payload.get("Id") is not None:
        raise faults.bad_property("a create must not carry an Id", "Id")
    return {spec.name: realm.render(spec, write_entity(realm, spec, payload, params))}


def cdc(realm: Realm, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """Change data capture: what changed in the listed entities since ``changedSince``."""
    names = params.get("entities")
    since_text = params.get("changedSince")
    if not names:
        raise faults.required("entities")
    if not since_text:
        raise faults.required("changedSince")
    since = parse_instant(since_text)
    if since is None:
        raise faults.bad_property(
            f"changedSince is not a date or date-time: {since_text!r}", "changedSince"
        )
    if since < now - CDC_LOOKBACK:
        raise faults.query_invalid(
            f"changedSince {since_text} is more than 30 days ago; CDC looks back at most 30 days"
        )
    specs = []
    for name in names.split(","):
        spec = spec_for(name.strip())
        if spec is None:
            raise faults.query_invalid(f"invalid entity in entities: {name.strip()!r}")
        if not spec.cdc:
            raise faults.query_invalid(f"CDC is not supported for {spec.name}")
        if spec not in specs:
            specs.append(spec)
    responses: list[dict[str, Any]] = []
    for spec in specs:
        changed = [r for r in realm.iter_records(spec.name) if r.changed >= since]
        changed.sort(key=lambda r: (r.changed, r.seq))
        # Past the cap QBO returns the earliest changes; a client re-asks from the last one.
        window = changed[:MAX_CDC_OBJECTS]
        rows = [realm.render(spec, r.data) for r in window if not r.deleted]
        rows += [_tombstone(r) for r in window if r.deleted]
        if rows:
            responses.append({spec.name: rows, "startPosition": 1, "maxResults": len(rows)})
        else:
            responses.append({})
    return {"CDCResponse": [{"QueryResponse": responses}]}


def _tombstone(record: Record) -> dict[str, Any]:
    return {
        "domain": "QBO",
        "status": "Deleted",
        "Id": record.data["Id"],
        "MetaData": {"LastUpdatedTime": meta_time(record.changed)},
    }
