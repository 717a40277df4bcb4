"""Hand-built KPI figures and a report plan for October 2026, shared by the rendering tests."""

from __future__ import annotations

from opsrhythm.platform.models import Recipient
from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.models import (
    AudiencePlan,
    Change,
    KpiFigures,
    KpiPlan,
    KpiStatus,
    Movement,
    RenderReportInput,
    ReportPlan,
    TrendPoint,
)

PERIOD = "2026-10"
ANA = Recipient(name="Ana Silva", email="ana@acme.example")
BEN = Recipient(name="Ben Okafor", email="ben@acme.example")


def kpi(
    kpi_id: str,
    name: str,
    *,
    format: str = "{value:,.0f}",
    unit: str = "",
    direction: str = "higher",
    target: float | None = None,
    owner: Recipient = BEN,
) -> KpiPlan:
    return KpiPlan(
        kpi_id=kpi_id,
        name=name,
        unit=unit,
        format=format,
        direction="lower" if direction == "lower" else "higher",
        target=target,
        tolerance=0.1,
        notable_change=0.1,
        owner=owner,
    )


def _change(current: float | None, base: float | None) -> Change | None:
    if current is None or base is None:
        return None
    return Change(absolute=current - base, relative=(current - base) / base if base else None)


def figures(
    plan: KpiPlan,
    value: float | None,
    previous: float | None,
    year_ago: float | None,
    *,
    status: KpiStatus,
    movement: Movement | None,
    notable: bool = False,
    history: list[float | None] | None = None,
    error: str | None = None,
) -> KpiFigures:
    """Figures as the analysis would produce them; ``history`` is the ten months before."""
    older = history if history is not None else [previous] * 10
    months = Month.parse(PERIOD).trailing(12)
    values = [*older, previous, value]
    return KpiFigures(
        kpi=plan,
        period=PERIOD,
        value=value,
        previous=previous,
        year_ago=year_ago,
        vs_previous=_change(value, previous),
        vs_year_ago=_change(value, year_ago),
        status=status,
        movement=movement,
        notable=notable,
        trend=[TrendPoint(period=str(m), value=v) for m, v in zip(months, values, strict=True)],
        error=error,
    )


REVENUE = figures(
    kpi("revenue", "Revenue", format="£{value:,.0f}", target=1_200_000),
    1_262_000,
    1_180_000,
    1_050_000,
    status="on_track",
    movement="improved",
    history=[1.02e6, 1.05e6, 1.07e6, None, 1.11e6, 1.10e6, 1.15e6, 1.16e6, 1.14e6, 1.175e6],
)
CHURN = figures(
    kpi("churn", "Monthly churn", format="{value:.1f}%", unit="%", direction="lower", target=2.5),
    2.1,
    2.6,
    3.0,
    status="on_track",
    movement="improved",
    notable=True,
    history=[3.1, 3.0, 2.9, 2.9, 2.8, 2.7, 2.8, 2.7, 2.6, 2.6],
)
NPS = figures(
    kpi("nps", "Net promoter score", target=45),
    41,
    44,
    38,
    status="at_risk",
    movement="worsened",
    history=[38, 39, 40, 42, 41, 43, 44, 43, 45, 44],
)
TIME_TO_RESOLVE = figures(
    kpi("ttr", "Time to resolve", format="{value:.1f} h", unit="h", direction="lower", target=24),
    31.5,
    27.0,
    29.0,
    status="off_track",
    movement="worsened",
    notable=True,
    history=[30.0, 29.5, 28.0, 27.5, 26.0, 25.5, 26.5, 27.0, 26.0, 26.5],
)
ACTIVE_USERS = figures(
    kpi("active_users", "Active users", owner=ANA),
    None,
    18_400,
    15_900,
    status="no_data",
    movement=None,
    history=[15_900, 16_200, 16_500, 16_800, 17_000, 17_300, 17_600, 17_900, 18_100, 18_250],
    error="source unavailable",
)
SIGNUPS = figures(
    kpi("signups", "Sign-ups"),
    5_400,
    5_390,
    4_800,
    status="no_target",
    movement="flat",
    history=[4_800, 4_900, 5_000, 5_100, 5_150, 5_200, 5_250, 5_300, 5_350, 5_380],
)
ALL = [REVENUE, CHURN, NPS, TIME_TO_RESOLVE, ACTIVE_USERS, SIGNUPS]

LEADERSHIP = AudiencePlan(
    audience_id="leadership",
    name="Leadership",
    detail="summary",
    kpi_ids=[f.kpi.kpi_id for f in ALL],
    recipients=[ANA],
)
GROWTH = AudiencePlan(
    audience_id="growth",
    name="Growth squad",
    detail="detail",
    kpi_ids=["revenue", "active_users", "signups"],
    recipients=[BEN],
)
SUPPORT = AudiencePlan(
    audience_id="support",
    name="Support squad",
    detail="detail",
    kpi_ids=["churn", "ttr", "nps"],
    recipients=[BEN],
)


def report_input(
    audiences: list[AudiencePlan] | None = None,
    kpi_figures: list[KpiFigures] | None = None,
    workflow_id: str = "monthly-kpi-report-2026-10",
) -> RenderReportInput:
    chosen = kpi_figures if kpi_figures is not None else ALL
    plan = ReportPlan(
        ritual_id="monthly-kpi-report",
        ritual_name="Monthly KPI report",
        organization="Acme Ltd",
        period=PERIOD,
        owner=ANA,
        kpis=[f.kpi for f in chosen],
        sources=[],
        audiences=audiences if audiences is not None else [LEADERSHIP, GROWTH, SUPPORT],
    )
    return RenderReportInput(workflow_id=workflow_id, plan=plan, figures=chosen)
