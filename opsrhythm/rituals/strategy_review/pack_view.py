"""What the pack and the published summaries show, worked out before any template runs.

The pack (for attendees and approvers) holds every item, its latest update or a 'missing'
mark, every KPI and the open actions. A published summary holds only the sections whose
``audiences`` name its audience, and in them only items not kept from that audience: the
filtering happens here, once, so no template can leak a section by forgetting a check.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from opsrhythm.platform.actions.models import ActionItem
from opsrhythm.platform.approvals.times import local_time
from opsrhythm.platform.periods import Month, Quarter
from opsrhythm.rituals.kpi_report.formatting import (
    format_change,
    format_value,
    status_colour,
    status_label,
)
from opsrhythm.rituals.kpi_report.kpi_math import change, target_status
from opsrhythm.rituals.strategy_review.models import (
    QuarterKpi,
    RenderPackInput,
    ReviewAudiencePlan,
    ReviewItemPlan,
    ReviewPlan,
    ReviewSectionPlan,
    SubmittedStatus,
)

RAG_COLOURS = {"green": "#1a7f37", "amber": "#9a6700", "red": "#c62828"}


@dataclass(frozen=True)
class ItemView:
    item: ReviewItemPlan
    update: SubmittedStatus | None
    """The latest version; None: no update arrived (shown as missing, never left out)."""

    @property
    def missing(self) -> bool:
        return self.update is None

    @property
    def rag_colour(self) -> str:
        return RAG_COLOURS[self.update.submission.rag] if self.update else "#656d76"


@dataclass(frozen=True)
class KpiRow:
    row: QuarterKpi
    value: str
    previous: str
    year_ago: str
    target: str
    vs_previous: str
    vs_year_ago: str
    status: str
    colour: str
    to_date: str
    """'' for a whole quarter; else the months the value covers ('to date: Oct 2026')."""


@dataclass(frozen=True)
class SectionView:
    section: ReviewSectionPlan
    items: list[ItemView]
    kpis: list[KpiRow]
    actions: list[ActionItem]
    audience_names: list[str]


@dataclass(frozen=True)
class PackView:
    plan: ReviewPlan
    workflow_id: str
    quarter: str
    round: int
    meeting: str
    items: list[ItemView]
    sections: list[SectionView]
    kpis: list[KpiRow]
    actions: list[ActionItem]
    audience: ReviewAudiencePlan | None = None
    rag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def missing(self) -> list[ItemView]:
        return [view for view in self.items if view.missing]


def latest_updates(submissions: list[SubmittedStatus]) -> dict[str, SubmittedStatus]:
    latest: dict[str, SubmittedStatus] = {}
    for status in submissions:
        known = latest.get(status.submission.item_id)
        if known is None or status.version > known.version:
            latest[status.submission.item_id] = status
    return latest


def kpi_row(row: QuarterKpi) -> KpiRow:
    kpi = row.kpi
    status = target_status(row.value, row.target, kpi.direction, kpi.tolerance)
    value = format_value(row.value, kpi)
    if row.value is None and row.error:
        value = f"No data: {row.error}"
    return KpiRow(
        row=row,
        value=value,
        previous=format_value(row.previous_quarter, kpi),
        year_ago=format_value(row.year_ago, kpi),
        target=format_value(row.target, kpi) if row.target is not None else "none",
        vs_previous=format_change(change(row.value, row.previous_quarter), kpi),
        vs_year_ago=format_change(change(row.value, row.year_ago), kpi),
        status=status_label(status),
        colour=status_colour(status),
        to_date=_to_date(row),
    )


def _to_date(row: QuarterKpi) -> str:
    if row.value is None or not row.months or len(row.months) >= 3:
        return ""
    return "to date: " + ", ".join(Month.parse(m).label for m in row.months)


def pack_view(input: RenderPackInput) -> PackView:
    plan = input.plan
    latest = latest_updates(input.submissions)
    items = [ItemView(item, latest.get(item.item_id)) for item in plan.items]
    kpis = [kpi_row(row) for row in input.kpis]
    actions = [a for a in input.open_actions if a.state == "open"]
    names = {a.audience_id: a.name for a in plan.audiences}
    sections = [
        SectionView(
            section=section,
            items=items,
            kpis=[k for k in kpis if k.row.kpi.kpi_id in section.kpi_ids],
            actions=actions,
            audience_names=[names.get(a, a) for a in section.audiences],
        )
        for section in plan.sections
    ]
    counts = Counter(view.update.submission.rag for view in items if view.update)
    return PackView(
        plan=plan,
        workflow_id=input.workflow_id,
        quarter=Quarter.parse(plan.period).label,
        round=input.round,
        meeting=local_time(plan.meeting_at, plan.timezone),
        items=items,
        sections=sections,
        kpis=kpis,
        actions=actions,
        rag_counts={rag: counts[rag] for rag in ("green", "amber", "red")},
    )


def audience_view(pack: PackView, audience: ReviewAudiencePlan) -> PackView:
    """Only what ``audience`` may read: its sections, and in them the items it may see."""
    wanted = audience.audience_id

    def visible(view: ItemView) -> bool:
        return view.item.audiences is None or wanted in view.item.audiences

    sections = [
        replace(section, items=[v for v in section.items if visible(v)])
        for section in pack.sections
        if wanted in section.section.audiences
    ]
    shown_kpis = {k.row.kpi.kpi_id for s in sections for k in s.kpis}
    return replace(
        pack,
        audience=audience,
        sections=sections,
        items=[v for v in pack.items if visible(v)],
        kpis=[k for k in pack.kpis if k.row.kpi.kpi_id in shown_kpis],
        actions=pack.actions if any(s.section.content == "actions" for s in sections) else [],
        rag_counts={},
    )


def summary_lines(pack: PackView) -> list[str]:
    """For the approval request: counts, titles and statuses, never an owner's narrative."""
    total, missing = len(pack.items), pack.missing
    lines = [f"Updates: {total - len(missing)} of {total} in"]
    if missing:
        names = ", ".join(f"{v.item.title} ({v.item.owner.name})" for v in missing)
        lines.append(f"Missing: {names}")
    counts = pack.rag_counts
    lines.append(f"RAG: {counts['green']} green, {counts['amber']} amber, {counts['red']} red")
    for view in pack.items:
        if view.update and view.update.submission.rag == "red":
            confidence = view.update.submission.confidence
            lines.append(f"Red: {view.item.title} ({view.item.owner.name}, {confidence}%)")
    if pack.kpis:
        statuses = Counter(k.status for k in pack.kpis)
        lines.append("KPIs: " + ", ".join(f"{n} {s.lower()}" for s, n in statuses.items()))
    lines.append(f"Open actions: {len(pack.actions)}")
    for audience in pack.plan.audiences:
        shown = [s.title for s in pack.plan.sections if audience.audience_id in s.audiences]
        lines.append(f"Publishes to {audience.name}: " + (", ".join(shown) or "nothing"))
    return lines
