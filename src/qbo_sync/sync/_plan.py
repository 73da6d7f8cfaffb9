"""Planning a push: pure decisions over plain data, no I/O.

For each record, given its link, its fingerprint, the QBO candidates it could
match and what the realm has mapped, :func:`plan_entity` decides one of
create, sparse update, match, void, delete, inactivate, skip or fail, with a
reason. The engine then executes the writes; :meth:`SyncEngine.plan` shows
the decisions without executing them.

Matching rules: a stored link wins; otherwise the mapper's match keys in
order (customers: e-mail, then normalised display name; items: name;
invoices and credit memos: number). The first key that finds candidates
decides: one candidate is matched, two or more are reported as
``ambiguous_match`` for a person to review, never guessed. A QBO object
already linked to another record, or matched by an earlier record of the same
run, is not a candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from qbo_sync import models
from qbo_sync.errors import MappingError
from qbo_sync.mapping import CompanySetup, Mapper, RecordState
from qbo_sync.storage import EntityLink, LinkStatus, Settings
from qbo_sync.sync._report import Action

__all__ = [
    "NAME_LISTS",
    "NEW_ID",
    "PlanContext",
    "PlannedWrite",
    "candidate_index",
    "plan_entity",
    "without_attributes",
]

#: Entities QBO never deletes: deleting one in the product makes it inactive (facts 5.5).
NAME_LISTS = frozenset({"Customer", "Vendor", "Employee", "Item", "Account", "Term", "Class",
                        "Department", "PaymentMethod"})
#: What a dry run shows for the QBO id of a dependency the same run would create.
NEW_ID = "(new)"


@attrs.frozen(kw_only=True)
class PlannedWrite:
    """The decision for one record.

    Attributes:
        entity: QBO entity name.
        local_id: The product's id.
        action: What to do.
        fingerprint: The record's fingerprint now.
        record: The product's record.
        payload: The QBO entity to send (``Id``/``SyncToken`` set for updates).
        qbo_id: The linked or matched QBO id.
        sync_token: The SyncToken to send with an update, void or delete.
        reason: Why (for skips, matches and failures).
        message: Details for a person.
    """

    entity: str
    local_id: str
    action: Action
    fingerprint: str
    record: Any = attrs.field(eq=False, repr=False)
    payload: Any = attrs.field(default=None, eq=False, repr=False)
    qbo_id: str | None = None
    sync_token: str | None = None
    reason: str | None = None
    message: str | None = None


class PlanContext:
    """The :class:`~qbo_sync.mapping.MapContext` the engine gives mappers.

    Args:
        settings: The realm's settings (account, tax-code and item mappings).
        resolved: QBO ids by entity, then local id (links, plus what this run
            already wrote).
        failed: Why a dependency failed earlier in this run, by (entity, local id).
        default_item: Gives the QBO id of the default service item (or
            ``None``); called only when a line has no item.
        planned: (entity, local id) pairs a dry run would create first: they
            resolve to :data:`NEW_ID`.
        default_item_name: Named in the error when there is no default item.
        company: Gives the company's :class:`~qbo_sync.mapping.CompanySetup`
            (called only when a record needs it; default: a US company with
            nothing tracked).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        resolved: Mapping[str, Mapping[str, str]],
        failed: Mapping[tuple[str, str], str] | None = None,
        default_item: Callable[[], str | None] | None = None,
        planned: Iterable[tuple[str, str]] = (),
        default_item_name: str = "Professional Services",
        company: Callable[[], CompanySetup] | None = None,
    ) -> None:
        self._settings = settings
        self._company = company
        self._notes: list[str] = []
        self._resolved = resolved
        self._failed = failed or {}
        self._default_item = default_item
        self._planned = set(planned)
        self._default_item_name = default_item_name

    def qbo_id(self, entity: str, local_id: str) -> str:
        """See :meth:`qbo_sync.mapping.MapContext.qbo_id`."""
        found = self._resolved.get(entity, {}).get(local_id)
        if found is not None:
            return found
        if (entity, local_id) in self._planned:
            return NEW_ID
        why = self._failed.get((entity, local_id))
        detail = f"it failed in this run ({why})" if why else "it is not linked and was not given"
        raise MappingError(
            f"needs {entity} {local_id} in QBO first, but {detail}",
            reason="dependency_missing", entity=entity, local_id=local_id,
        )

    def account(self, role: str) -> str:
        """See :meth:`qbo_sync.mapping.MapContext.account`."""
        found = self._settings.account_mapping.get(role)
        if not found:
            raise MappingError(
                f"no QBO account is mapped for {role!r}: map it in the realm's settings "
                "(Settings.account_mapping) before pushing",
                reason="mapping_missing", field=f"account_mapping[{role!r}]",
            )
        return found

    def tax_code(self, local_code: str) -> str:
        """See :meth:`qbo_sync.mapping.MapContext.tax_code`."""
        found = self._settings.tax_code_mapping.get(local_code)
        if not found:
            raise MappingError(
                f"tax code {local_code!r} is not mapped to a QBO TaxCode "
                "(Settings.tax_code_mapping)",
                reason="mapping_missing", field=f"tax_code_mapping[{local_code!r}]",
            )
        return found

    def company(self) -> CompanySetup:
        """See :meth:`qbo_sync.mapping.MapContext.company`."""
        return self._company() if self._company is not None else CompanySetup()

    def warn(self, message: str) -> None:
        """See :meth:`qbo_sync.mapping.MapContext.warn`."""
        if message not in self._notes:
            self._notes.append(message)

    def take_notes(self) -> str | None:
        """The warnings about the record just mapped, joined (and forgotten)."""
        notes, self._notes = self._notes, []
        return "; ".join(notes) if notes else None

    def item(self, local_item_id: str | None) -> str:
        """See :meth:`qbo_sync.mapping.MapContext.item`."""
        if local_item_id is None:
            found = self._default_item() if self._default_item is not None else None
            if found is None:
                raise MappingError(
                    f"a line has no item and the default item {self._default_item_name!r} "
                    "could not be found or created",
                    reason="dependency_missing", entity="Item",
                )
            return found
        mapped = self._settings.item_mapping.get(local_item_id)
        return mapped or self.qbo_id("Item", local_item_id)


def candidate_index(
    mapper: Mapper[Any, Any], candidates: Iterable[Any], linked_qbo_ids: Iterable[str]
) -> dict[str, list[Any]]:
    """Unlinked QBO candidates by match key."""
    taken = set(linked_qbo_ids)
    index: dict[str, list[Any]] = {}
    for entity in candidates:
        if entity.id in taken:
            continue
        for key in mapper.qbo_match_keys(entity):
            bucket = index.setdefault(key, [])
            if all(c.id != entity.id for c in bucket):
                bucket.append(entity)
    return index


def without_attributes(entity: Any, names: Iterable[str]) -> Any:
    """A copy of a QBO model with ``names`` unset (left out of a sparse update)."""
    drop = {n: None for n in names if hasattr(entity, n)}
    return attrs.evolve(entity, **drop) if drop else entity


def _keyed(payload: Any, qbo_id: str | None, sync_token: str | None) -> Any:
    return attrs.evolve(payload, id=qbo_id, sync_token=sync_token)


def _key_only(entity: str, qbo_id: str | None, sync_token: str | None, **values: Any) -> Any:
    return models.entity_class(entity)(id=qbo_id, sync_token=sync_token, **values)


def plan_entity(
    mapper: Mapper[Any, Any],
    records: Sequence[Any],
    *,
    links: Mapping[str, EntityLink],
    fields: frozenset[str],
    qbo_owned: frozenset[str],
    candidates: Mapping[str, list[Any]],
    ctx: PlanContext,
) -> list[PlannedWrite]:
    """Decide what to do with each record of one entity (pure).

    Args:
        mapper: The entity's mapper.
        records: The product's records of that entity.
        links: Their links, by local id.
        fields: Local fields the product owns (fingerprinted and pushed).
        qbo_owned: QBO attributes QBO owns (left out of updates).
        candidates: Unlinked QBO objects by match key (:func:`candidate_index`).
        ctx: Resolves dependencies and mappings.
    """
    entity = mapper.entity
    claimed: dict[str, str] = {}
    out: list[PlannedWrite] = []
    for record in records:
        local_id = mapper.local_id(record)
        fp = mapper.fingerprint(record, fields)
        link = links.get(local_id)
        qbo_id = link.qbo_id if link is not None else None
        token = link.sync_token if link is not None else None

        def decide(action: Action, reason: str | None = None, message: str | None = None,
                   payload: Any = None, *, qbo: str | None = qbo_id, sync: str | None = token,
                   _r: Any = record, _l: str = local_id, _f: str = fp) -> PlannedWrite:
            return PlannedWrite(entity=entity, local_id=_l, action=action, fingerprint=_f,
                                record=_r, payload=payload, qbo_id=qbo, sync_token=sync,
                                reason=reason, message=message)

        if link is not None and link.status is LinkStatus.FAILED \
                and link.last_error_code == "needs_review":
            out.append(decide(Action.FAIL, "needs_review", link.last_error))
            continue
        if link is not None and link.status is LinkStatus.PENDING:
            out.append(decide(Action.FAIL, "write_unconfirmed",
                              "an earlier write is still unconfirmed; the next run resolves it"))
            continue
        if qbo_id and link is not None and link.fingerprint == fp \
                and link.status is LinkStatus.SYNCED:
            out.append(decide(Action.SKIP, "unchanged"))
            continue
        state = mapper.state(record)
        if state is not RecordState.ACTIVE:
            if not qbo_id:
                out.append(decide(Action.SKIP, "not_in_qbo",
                                  f"{state.value} before it was ever pushed"))
            elif state is RecordState.VOIDED:
                out.append(decide(Action.VOID, payload=_key_only(entity, qbo_id, token)))
            elif entity in NAME_LISTS:
                payload = _key_only(entity, qbo_id, token, active=False)
                out.append(decide(Action.INACTIVATE, payload=payload))
            else:
                out.append(decide(Action.DELETE, payload=_key_only(entity, qbo_id, token)))
            continue
        ctx.take_notes()
        try:
            payload = mapper.to_qbo(record, ctx)
        except MappingError as exc:
            ctx.take_notes()
            out.append(decide(Action.FAIL, exc.reason, exc.message))
            continue
        note = ctx.take_notes()  # e.g. a class the company does not track, left out
        if qbo_id:
            update = without_attributes(payload, qbo_owned)
            out.append(decide(Action.UPDATE, None, note, payload=_keyed(update, qbo_id, token)))
            continue
        match = _match(mapper, record, candidates, claimed)
        if isinstance(match, str):
            out.append(decide(Action.FAIL, "ambiguous_match", match))
        elif match is not None:
            claimed[match.id] = local_id
            out.append(decide(Action.MATCH, "matched", note, payload, qbo=match.id,
                                  sync=match.sync_token))
        else:
            out.append(decide(Action.CREATE, None, note, payload=payload, qbo=None, sync=None))
    return out


def _match(
    mapper: Mapper[Any, Any], record: Any, candidates: Mapping[str, list[Any]],
    claimed: Mapping[str, str],
) -> Any:
    """The one candidate, ``None``, or a message saying why it is ambiguous."""
    for key in mapper.match_keys(record):
        found = candidates.get(key, [])
        if not found:
            continue
        if len(found) > 1:
            ids = ", ".join(sorted(c.id for c in found))
            return (f"{len(found)} QBO {mapper.entity} records share {key!r} (ids {ids}); "
                    "link one by hand")
        only = found[0]
        if only.id in claimed:
            return (f"QBO {mapper.entity} {only.id} ({key!r}) is already matched by local record "
                    f"{claimed[only.id]} in this run")
        return only
    return None
