"""The sync engine: push the product's records to QBO, pull QBO's changes back.

Planning is pure (:mod:`qbo_sync.sync._plan`); execution, recovery of
interrupted writes and pulls do the I/O through the client and the store.
See ``docs/sync.md`` and the pages it links.
"""

from __future__ import annotations

from qbo_sync.sync._changes import (
    PAYMENT_CONFIRMED,
    Change,
    ChangeKind,
    ChangeSink,
    InvoicePayment,
    RecordSource,
)
from qbo_sync.sync._engine import Progress, SyncEngine
from qbo_sync.sync._plan import NEW_ID, PlanContext, PlannedWrite, plan_entity
from qbo_sync.sync._policy import FieldPolicy
from qbo_sync.sync._pushrun import DEFAULT_ITEM_ID
from qbo_sync.sync._report import Action, RecordOutcome, SyncReport
from qbo_sync.sync._schedule import DuePlan, DueRealm, ScheduleStore, due_realms
from qbo_sync.sync._setup import ACCOUNT_ROLES, TaxCodeInfo, TaxRateInfo
from qbo_sync.sync._source import MemorySource

__all__ = [
    "ACCOUNT_ROLES",
    "DEFAULT_ITEM_ID",
    "NEW_ID",
    "PAYMENT_CONFIRMED",
    "Action",
    "Change",
    "ChangeKind",
    "ChangeSink",
    "DuePlan",
    "DueRealm",
    "FieldPolicy",
    "InvoicePayment",
    "MemorySource",
    "PlanContext",
    "PlannedWrite",
    "Progress",
    "RecordOutcome",
    "RecordSource",
    "ScheduleStore",
    "SyncEngine",
    "SyncReport",
    "TaxCodeInfo",
    "TaxRateInfo",
    "due_realms",
    "plan_entity",
]
