"""The KPI report's workflow and activities, wired to the worker's clients."""

from __future__ import annotations

from activities.kpi_data import KpiDataActivities
from activities.reporting import ReportingActivities
from opsrhythm.platform.ritual_kind import WorkerContext, WorkerParts
from opsrhythm.rituals.kpi_report.rendering import ReportRenderer
from workflows.kpi_report import KpiReportWorkflow


def worker_parts(context: WorkerContext) -> WorkerParts:
    data = KpiDataActivities(context.config)
    reporting = ReportingActivities(ReportRenderer(context.templates_dir, context.archive_dir))
    return WorkerParts(
        workflows=[KpiReportWorkflow],
        activities=[data.plan_report, data.gather_source, reporting.render_report],
    )
