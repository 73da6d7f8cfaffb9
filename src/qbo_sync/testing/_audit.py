"""``audit_book``: after a push, is every record in QBO exactly once, and linked?

The check a chaos test or an integration test makes at the end: for each
entity of a :class:`~qbo_sync.testing.SampleBook`, the fake company holds one
object per local record (beyond what it had before the push), each record
has a synced link to a live object, and no two records share one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import attrs

from qbo_sync.storage import LinkStatus, LinkStore
from qbo_sync.sync import DEFAULT_ITEM_ID
from qbo_sync.testing._book import SampleBook
from qbo_sync.testing._fake._app import FakeQBO

__all__ = ["BookAudit", "audit_book", "book_baseline"]


@attrs.frozen(kw_only=True)
class BookAudit:
    """What :func:`audit_book` found.

    Attributes:
        duplicates: QBO objects beyond one per record, plus records linked to
            an object another record is linked to. Must be 0.
        unlinked: Records without a synced link to a live QBO object. Must be 0.
        pending: Records whose link still waits on an interrupted write.
        problems: One line per entity that is off, naming the counts.
    """

    duplicates: int
    unlinked: int
    pending: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the book is in QBO exactly once, every record linked, nothing pending."""
        return not (self.duplicates or self.unlinked or self.pending)


def book_baseline(fake: FakeQBO, realm_id: str, book: SampleBook) -> Counter[str]:
    """How many objects of each of the book's entities the company holds now (before a push)."""
    return Counter({entity: len(fake.objects(realm_id, entity)) for entity in book.by_entity()})


def audit_book(fake: FakeQBO, realm_id: str, store: LinkStore, book: SampleBook, *,
               baseline: Mapping[str, int] | None = None) -> BookAudit:
    """Check that ``book`` is in the fake company exactly once and linked record by record.

    Args:
        fake: The fake QBO the book was pushed to.
        realm_id: Its company.
        store: The store the engine linked the records in.
        book: The records pushed.
        baseline: Objects per entity the company held before the push
            (:func:`book_baseline`); the engine's default service item is
            allowed on top. ``None``: nothing before.
    """
    before = Counter(baseline or {})
    links: dict[str, dict[str, object]] = {}
    duplicates = unlinked = pending = 0
    problems: list[str] = []
    for entity, local in book.by_entity().items():
        objects = {str(o["Id"]) for o in fake.objects(realm_id, entity)}
        allowed = before[entity] + (1 if entity == "Item" else 0)  # the default service item
        extra = max(0, len(objects) - len(local) - allowed)
        found = store.get_links(realm_id, entity, local)
        links[entity] = dict(found)
        shared = sum(n - 1 for n in Counter(link.qbo_id for link in found.values()).values()
                     if n > 1)
        missing = sum(1 for local_id in local
                      if (link := found.get(local_id)) is None
                      or link.status is not LinkStatus.SYNCED or link.qbo_id not in objects)
        waiting = sum(1 for link in found.values()
                      if link.pending_request_id is not None and link.local_id != DEFAULT_ITEM_ID)
        duplicates += extra + shared
        unlinked += missing
        pending += waiting
        if extra or shared or missing or waiting:
            problems.append(f"{entity}: {len(local)} records, {len(objects)} in QBO "
                            f"({allowed} allowed beside them), {extra + shared} duplicated, "
                            f"{missing} unlinked, {waiting} pending")
    return BookAudit(duplicates=duplicates, unlinked=unlinked, pending=pending,
                     problems=tuple(problems))
