"""The monthly KPI report's registry entry."""

from opsrhythm.platform.periods import Month
from opsrhythm.platform.ritual_kind import PeriodicKind

KPI_REPORT = PeriodicKind(
    kind="kpi_report",
    period=Month,
    workflow="KpiReportWorkflow",
    templates="kpi_report",
    worker="opsrhythm.rituals.kpi_report.worker:worker_parts",
    commands="opsrhythm.rituals.kpi_report.cli:COMMANDS",
    show_result="opsrhythm.rituals.kpi_report.commands:print_result",
    settles_outcomes=True,
    config_model="opsrhythm.rituals.kpi_report.config:KpiReportRitual",
)
