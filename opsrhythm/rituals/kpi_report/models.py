"""Inputs and outputs of the KPI report workflow and its activities.

They carry ids, periods and figures, never secrets or rendered documents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from opsrhythm.platform.activity_ref import ActivityRef
from opsrhythm.platform.approvals.models import ApprovalPlan, ApprovalResult
from opsrhythm.platform.models import DeliveryResult, Period, Recipient, RitualRunInput

KpiStatus = Literal["on_track", "at_risk", "off_track", "no_target", "no_data"]
Movement = Literal["improved", "worsened", "flat"]
# The archived overview of a run, beside one HTML file per audience.
INDEX_NAME = "report.html"
# ApplicationError types of gather_source: a source a retry cannot fix, and one that is down.
SOURCE_ERROR = "SourceError"
SOURCE_UNAVAILABLE = "SourceUnavailable"


class KpiReportInput(RitualRunInput):
    """A month's report; scheduled runs derive the month from the scheduled time."""


class KpiPlan(BaseModel):
    """What the workflow needs to know about one KPI; display settings stay in config."""

    kpi_id: str
    name: str
    unit: str
    format: str
    direction: Literal["higher", "lower"]
    target: float | None
    tolerance: float
    notable_change: float
    owner: Recipient


class SourcePlan(BaseModel):
    source_id: str
    kpi_ids: list[str]


class AudiencePlan(BaseModel):
    audience_id: str
    name: str
    detail: Literal["summary", "detail"]
    kpi_ids: list[str]
    recipients: list[Recipient]


class PlanReportInput(BaseModel):
    ritual_id: str
    period: Period


class ReportPlan(BaseModel):
    """A snapshot of the config for one run, so edits mid-run cannot change it."""

    ritual_id: str
    ritual_name: str
    organization: str
    period: Period
    owner: Recipient
    kpis: list[KpiPlan]
    sources: list[SourcePlan]
    audiences: list[AudiencePlan]
    approval: ApprovalPlan | None = Field(default=None, description="Sign-off before sending.")
    templates: str = Field(default="kpi_report", description="Folder under templates/.")


class GatherSourceInput(BaseModel):
    source_id: str
    kpi_ids: list[str]
    periods: list[Period]


class SourceValues(BaseModel):
    source_id: str
    values: dict[str, dict[str, float | None]] = Field(
        description="kpi_id -> period -> value; None where the source has no value."
    )
    errors: dict[str, str] = Field(
        default_factory=dict,
        description="kpi_id -> why that KPI alone could not be read (one line); not in values.",
    )


class Change(BaseModel):
    absolute: float
    relative: float | None = Field(description="Fraction of the base; None when the base is 0.")


class TrendPoint(BaseModel):
    period: Period
    value: float | None


class KpiFigures(BaseModel):
    """One KPI analysed for one period."""

    kpi: KpiPlan
    period: Period
    value: float | None
    previous: float | None
    year_ago: float | None
    vs_previous: Change | None
    vs_year_ago: Change | None
    status: KpiStatus
    movement: Movement | None = Field(description="Direction-aware reading of vs_previous.")
    notable: bool
    trend: list[TrendPoint]
    error: str | None = Field(default=None, description="Why the source gave no data.")


class RenderReportInput(BaseModel):
    workflow_id: str
    plan: ReportPlan
    figures: list[KpiFigures]
    round: int = Field(
        default=1, description="Approval round; each after the first is archived in round-N/."
    )


class RenderedMessage(BaseModel):
    audience_id: str
    subject: str
    path: str = Field(description="Archived RenderedEmail JSON for this audience.")


class RenderedReport(BaseModel):
    archive_location: str
    messages: list[RenderedMessage]


class KpiReportResult(BaseModel):
    workflow_id: str
    ritual_id: str
    period: Period
    archive_location: str
    deliveries: list[DeliveryResult]
    kpis_without_data: list[str] = Field(default_factory=list)
    approval: ApprovalResult | None = Field(
        default=None, description="How the sign-off ended; rejected means nothing was sent."
    )
    waiting_until: datetime | None = Field(
        default=None,
        description="Set while the run waits to be settled: when it stops waiting (UTC).",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unknown_outcomes(self) -> int:
        """Recipients whose outcome is unknown: while any remain, the run needs attention."""
        return sum(len(delivery.unknown) for delivery in self.deliveries)


PLAN_REPORT = ActivityRef[PlanReportInput, ReportPlan]("plan_report", ReportPlan)
GATHER_SOURCE = ActivityRef[GatherSourceInput, SourceValues]("gather_source", SourceValues)
RENDER_REPORT = ActivityRef[RenderReportInput, RenderedReport]("render_report", RenderedReport)
