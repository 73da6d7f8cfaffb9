"""Connection health: a pure score with reasons and actions, and dashboard figures.

:func:`compute_health` is the calculator (facts in, report out);
:func:`health_for_realm` and :func:`dashboard_for_realm` read the facts from
storage (read only). See ``docs/health.md``.
"""

from qbo_sync.health._dashboard import (
    Dashboard,
    DashboardSource,
    EntityFigures,
    RecentActivity,
    dashboard_for_realm,
)
from qbo_sync.health._policy import ConnectionState, HealthPolicy, HealthTier
from qbo_sync.health._realm import (
    HealthSource,
    failure_groups,
    health_for_realm,
    health_inputs_for_realm,
)
from qbo_sync.health._score import (
    FailureGroup,
    HealthInputs,
    HealthReason,
    HealthReport,
    compute_health,
)

__all__ = [
    "ConnectionState",
    "Dashboard",
    "DashboardSource",
    "EntityFigures",
    "FailureGroup",
    "HealthInputs",
    "HealthPolicy",
    "HealthReason",
    "HealthReport",
    "HealthSource",
    "HealthTier",
    "RecentActivity",
    "compute_health",
    "dashboard_for_realm",
    "failure_groups",
    "health_for_realm",
    "health_inputs_for_realm",
]
