"""A configured KPI turned into the ``KpiPlan`` a run works from: shared by the KPI report's
plan and every kind that shows KPIs (the strategy review's quarter context)."""

from __future__ import annotations

from opsrhythm.platform.kpi_config import Kpi
from opsrhythm.platform.models import Recipient
from opsrhythm.rituals.kpi_report.models import KpiPlan

DEFAULT_TOLERANCE = 0.05
DEFAULT_NOTABLE_CHANGE = 0.10


def kpi_plan(
    kpi: Kpi,
    owner: Recipient,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    notable_change: float = DEFAULT_NOTABLE_CHANGE,
) -> KpiPlan:
    """``tolerance`` and ``notable_change`` are the ritual's; the KPI's own settings win."""
    return KpiPlan(
        kpi_id=kpi.id,
        name=kpi.name,
        unit=kpi.unit,
        format=kpi.format,
        direction=kpi.direction,
        target=kpi.target,
        tolerance=tolerance if kpi.tolerance is None else kpi.tolerance,
        notable_change=notable_change if kpi.notable_change is None else kpi.notable_change,
        owner=owner,
    )
