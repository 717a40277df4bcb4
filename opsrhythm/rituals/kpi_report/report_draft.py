"""What approvers see of a KPI report draft: a title, one line per KPI, and each KPI's figure
(compared between rounds after a request for changes). Pure, for workflows."""

from __future__ import annotations

from opsrhythm.platform.approvals.models import ApprovalContext, ApprovalDraft
from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.formatting import format_change, format_value, status_label
from opsrhythm.rituals.kpi_report.models import (
    INDEX_NAME,
    KpiFigures,
    RenderedReport,
    ReportPlan,
)


def report_draft(
    plan: ReportPlan, figures: list[KpiFigures], rendered: RenderedReport
) -> ApprovalDraft:
    """'Monthly recurring revenue: £512,000 (On track; +2.0% vs previous month)' per KPI."""
    lines = []
    for f in figures:
        line = f"{f.kpi.name}: {format_value(f.value, f.kpi)} ({status_label(f.status)}"
        if f.vs_previous is not None:
            line += f"; {format_change(f.vs_previous, f.kpi)} vs previous month"
        lines.append(line + ")")
    return ApprovalDraft(
        title=f"{plan.ritual_name} for {Month.parse(plan.period).label}",
        summary=lines,
        location=f"{rendered.archive_location}/{INDEX_NAME}",
        figures={f.kpi.name: format_value(f.value, f.kpi) for f in figures},
    )


def report_context(workflow_id: str, plan: ReportPlan, run_id: str = "") -> ApprovalContext:
    """``run_id`` is the asking run's (``workflow.info().run_id``): its links name it."""
    return ApprovalContext(
        workflow_id=workflow_id,
        ritual_id=plan.ritual_id,
        ritual_name=plan.ritual_name,
        period=plan.period,
        run_id=run_id,
    )
