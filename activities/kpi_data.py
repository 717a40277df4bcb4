"""Activities that read the config and the KPI sources for a report run."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.progress import heartbeat, heartbeating
from opsrhythm.platform.approvals.plan import approval_plan
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.kpi_config import CsvSource, SqlSource
from opsrhythm.platform.models import Recipient
from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.config import KpiReportRitual
from opsrhythm.rituals.kpi_report.kpi_plans import kpi_plan
from opsrhythm.rituals.kpi_report.models import (
    GATHER_SOURCE,
    PLAN_REPORT,
    SOURCE_ERROR,
    SOURCE_UNAVAILABLE,
    AudiencePlan,
    GatherSourceInput,
    PlanReportInput,
    ReportPlan,
    SourcePlan,
    SourceValues,
)
from opsrhythm.rituals.kpi_report.sources import SourceError, SqlReader, read_csv, read_http


class KpiDataActivities:
    def __init__(self, config: PlatformConfig) -> None:
        self._config = config
        self._sql = SqlReader(config.base_dir)

    @activity.defn(name=PLAN_REPORT.name)
    def plan_report(self, input: PlanReportInput) -> ReportPlan:
        """Snapshot the ritual's config for one run."""
        config = self._config
        ritual = next((r for r in config.rituals if r.id == input.ritual_id), None)
        if not isinstance(ritual, KpiReportRitual):
            known = ", ".join(r.id for r in config.rituals if isinstance(r, KpiReportRitual))
            raise ApplicationError(
                f"unknown ritual {input.ritual_id!r} (known: {known})", non_retryable=True
            )
        chosen = set(ritual.kpis) if ritual.kpis is not None else None
        kpis = [k for k in config.kpis if chosen is None or k.id in chosen]

        def recipient(person_id: str) -> Recipient:
            person = config.person(person_id)
            return Recipient(name=person.name, email=person.email)

        audiences = []
        for audience_id in ritual.audiences:
            audience = config.audience(audience_id)
            audiences.append(
                AudiencePlan(
                    audience_id=audience.id,
                    name=audience.name,
                    detail=audience.detail,
                    kpi_ids=[k.id for k in kpis if audience.id in k.audiences],
                    recipients=[recipient(member) for member in audience.members],
                )
            )
        source_ids = list(dict.fromkeys(k.source for k in kpis))
        return ReportPlan(
            ritual_id=ritual.id,
            ritual_name=ritual.name,
            templates=ritual.templates_folder,
            organization=config.organization.name,
            period=input.period,
            owner=recipient(ritual.owner),
            kpis=[
                kpi_plan(
                    k,
                    recipient(k.owner),
                    tolerance=ritual.tolerance,
                    notable_change=ritual.notable_change,
                )
                for k in kpis
            ],
            sources=[
                SourcePlan(source_id=s, kpi_ids=[k.id for k in kpis if k.source == s])
                for s in source_ids
            ],
            audiences=audiences,
            approval=approval_plan(config, ritual),
        )

    @activity.defn(name=GATHER_SOURCE.name)
    def gather_source(self, input: GatherSourceInput) -> SourceValues:
        """Every requested KPI of one source, for every requested month.

        Heartbeats after each KPI (each month for HTTP), and in the background while one
        slow query or request runs, so a lost worker is noticed within the heartbeat timeout
        without limiting how long a single query may take. A KPI that cannot be read is
        returned in ``errors``; only a source that cannot be read at all fails the activity:
        ``SourceError`` when a retry cannot help, ``SourceUnavailable`` when it may.
        """
        source = self._config.source(input.source_id)
        kpis = [self._config.kpi(kpi_id) for kpi_id in input.kpi_ids]
        months = [Month.parse(period) for period in input.periods]
        with heartbeating(f"reading {source.id}"):
            try:
                if isinstance(source, SqlSource):
                    reading = self._sql.read(source, kpis, months, heartbeat)
                elif isinstance(source, CsvSource):
                    reading = read_csv(source, self._config.base_dir, kpis, months, heartbeat)
                else:
                    reading = read_http(source, kpis, months, heartbeat)
            except SourceError as error:
                raise ApplicationError(
                    str(error),
                    type=SOURCE_ERROR if error.permanent else SOURCE_UNAVAILABLE,
                    non_retryable=error.permanent,
                ) from None
        return SourceValues(source_id=source.id, values=reading.values, errors=reading.errors)
