"""What one audience's KPI email shows: figures turned into display strings for the templates.

Both the HTML and the plain-text templates read the same view, so the two parts of an email
always carry the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report import formatting as fmt
from opsrhythm.rituals.kpi_report.charts import TREND_PERIODS
from opsrhythm.rituals.kpi_report.models import (
    AudiencePlan,
    KpiFigures,
    KpiStatus,
    Movement,
    ReportPlan,
)


@dataclass(frozen=True)
class KpiView:
    figures: KpiFigures
    kpi_id: str
    name: str
    value: str
    previous: str
    year_ago: str
    target: str
    vs_previous: str
    vs_year_ago: str
    status: KpiStatus
    status_label: str
    status_colour: str
    status_background: str
    movement: Movement | None
    movement_colour: str
    owner_name: str
    owner_email: str
    no_data: str | None
    reasons: list[str]
    exception: bool


@dataclass(frozen=True)
class AudienceView:
    organization: str
    ritual_name: str
    audience_id: str
    audience_name: str
    detail: str
    period_label: str
    previous_label: str
    year_ago_label: str
    period_short: str
    previous_short: str
    year_ago_short: str
    trend_label: str
    subject: str
    kpis: list[KpiView]
    exceptions: list[KpiView]
    preheader: str


def _short(month: Month) -> str:
    """'Oct 2026': short enough for a table header on a phone."""
    return month.start.strftime("%b %Y")


def report_subject(period: str, audience_name: str) -> str:
    return f"KPI report: {Month.parse(period).label} — {audience_name}"


def kpi_view(figures: KpiFigures, previous_label: str) -> KpiView:
    kpi = figures.kpi
    return KpiView(
        figures=figures,
        kpi_id=kpi.kpi_id,
        name=kpi.name,
        value=fmt.format_value(figures.value, kpi),
        previous=fmt.format_value(figures.previous, kpi),
        year_ago=fmt.format_value(figures.year_ago, kpi),
        target=fmt.format_value(kpi.target, kpi) if kpi.target is not None else "No target",
        vs_previous=fmt.format_change(figures.vs_previous, kpi),
        vs_year_ago=fmt.format_change(figures.vs_year_ago, kpi),
        status=figures.status,
        status_label=fmt.status_label(figures.status),
        status_colour=fmt.status_colour(figures.status),
        status_background=fmt.status_background(figures.status),
        movement=figures.movement,
        movement_colour=fmt.movement_colour(figures.movement),
        owner_name=kpi.owner.name,
        owner_email=kpi.owner.email,
        no_data=fmt.no_data_text(figures) if figures.status == "no_data" else None,
        reasons=fmt.exception_reasons(figures, previous_label),
        exception=fmt.is_exception(figures),
    )


def _preheader(kpis: list[KpiView]) -> str:
    """The inbox preview line: how many KPIs need a look."""
    counts = Counter(k.status for k in kpis)
    parts = [f"{counts['on_track']} of {len(kpis)} KPIs on track"]
    words: dict[KpiStatus, str] = {
        "off_track": "off track",
        "at_risk": "at risk",
        "no_data": "without data",
    }
    parts += [f"{counts[status]} {word}" for status, word in words.items() if counts[status]]
    return " · ".join(parts)


def audience_view(
    plan: ReportPlan, audience: AudiencePlan, figures: dict[str, KpiFigures]
) -> AudienceView:
    """The audience's KPIs in its own order; a KPI without figures is a contract breach."""
    missing = [kpi_id for kpi_id in audience.kpi_ids if kpi_id not in figures]
    if missing:
        raise ValueError(
            f"audience {audience.audience_id!r} lists KPIs with no figures: {', '.join(missing)}"
        )
    month = Month.parse(plan.period)
    previous_label = month.previous().label
    kpis = [kpi_view(figures[kpi_id], previous_label) for kpi_id in audience.kpi_ids]
    return AudienceView(
        organization=plan.organization,
        ritual_name=plan.ritual_name,
        audience_id=audience.audience_id,
        audience_name=audience.name,
        detail=audience.detail,
        period_label=month.label,
        previous_label=previous_label,
        year_ago_label=month.year_ago().label,
        period_short=_short(month),
        previous_short=_short(month.previous()),
        year_ago_short=_short(month.year_ago()),
        trend_label=f"{month.shift(1 - TREND_PERIODS).short_label} to {month.short_label}",
        subject=report_subject(plan.period, audience.name),
        kpis=kpis,
        exceptions=[k for k in kpis if k.exception],
        preheader=_preheader(kpis),
    )
