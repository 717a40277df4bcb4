"""KPI analysis: changes, target status and notable moves, aware of which way is better.

Pure and deterministic, so the workflow runs it directly and its output is in history.
"""

from __future__ import annotations

from collections.abc import Mapping

from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.models import (
    Change,
    KpiFigures,
    KpiPlan,
    KpiStatus,
    Movement,
    ReportPlan,
    TrendPoint,
)

TREND_LENGTH = 12


def periods_needed(period: Month) -> list[Month]:
    """Every month the report reads: the trend window plus the same month last year."""
    return [period.year_ago(), *period.trailing(TREND_LENGTH)]


def change(current: float | None, base: float | None) -> Change | None:
    if current is None or base is None:
        return None
    relative = (current - base) / abs(base) if base != 0 else None
    return Change(absolute=current - base, relative=relative)


def target_status(
    value: float | None, target: float | None, direction: str, tolerance: float
) -> KpiStatus:
    """On track meets the target; at risk misses it by at most ``tolerance`` of the target."""
    if value is None:
        return "no_data"
    if target is None:
        return "no_target"
    shortfall = target - value if direction == "higher" else value - target
    if shortfall <= 0:
        return "on_track"
    if shortfall <= abs(target) * tolerance:
        return "at_risk"
    return "off_track"


def movement(delta: Change | None, direction: str, flat_below: float = 0.005) -> Movement | None:
    """Read a change the way the KPI's owner would: a fall in churn is an improvement."""
    if delta is None:
        return None
    size = abs(delta.relative) if delta.relative is not None else abs(delta.absolute)
    if size < flat_below:
        return "flat"
    went_up = delta.absolute > 0
    return "improved" if went_up == (direction == "higher") else "worsened"


def is_notable(delta: Change | None, threshold: float) -> bool:
    if delta is None:
        return False
    if delta.relative is None:
        return delta.absolute != 0
    return abs(delta.relative) >= threshold


def analyse(
    kpi: KpiPlan, period: Month, series: Mapping[str, float | None], error: str | None = None
) -> KpiFigures:
    """Figures for ``kpi`` in ``period`` from its values by period (``YYYY-MM`` keys)."""
    value = series.get(str(period))
    previous = series.get(str(period.previous()))
    year_ago = series.get(str(period.year_ago()))
    vs_previous = change(value, previous)
    return KpiFigures(
        kpi=kpi,
        period=str(period),
        value=value,
        previous=previous,
        year_ago=year_ago,
        vs_previous=vs_previous,
        vs_year_ago=change(value, year_ago),
        status=target_status(value, kpi.target, kpi.direction, kpi.tolerance),
        movement=movement(vs_previous, kpi.direction),
        notable=is_notable(vs_previous, kpi.notable_change),
        trend=[
            TrendPoint(period=str(month), value=series.get(str(month)))
            for month in period.trailing(TREND_LENGTH)
        ],
        error=error if value is None else None,
    )


def analyse_report(
    plan: ReportPlan,
    period: Month,
    series: dict[str, dict[str, float | None]],
    errors: dict[str, str],
) -> list[KpiFigures]:
    """Figures for every KPI in the plan; ``errors`` explains KPIs whose source failed."""
    return [
        analyse(kpi, period, series.get(kpi.kpi_id, {}), errors.get(kpi.kpi_id))
        for kpi in plan.kpis
    ]
