"""Inputs and outputs of the KPI report workflow and its activities.

These travel through Temporal history, so they carry ids, periods and figures, never secrets
or rendered documents (those are archived and passed by reference). New fields get defaults
so that running workflows keep decoding.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from opsrhythm.approvals.models import ApprovalPlan, ApprovalResult, ApprovalStatus
from opsrhythm.periods import PERIOD_PATTERN

Period = Annotated[str, Field(pattern=PERIOD_PATTERN)]
KpiStatus = Literal["on_track", "at_risk", "off_track", "no_target", "no_data"]
Movement = Literal["improved", "worsened", "flat"]


class Recipient(BaseModel):
    name: str
    email: str


class KpiReportInput(BaseModel):
    ritual_id: str
    period: Period | None = Field(
        default=None,
        description="Month to report; scheduled runs derive it from the scheduled time.",
    )


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


class GatherSourceInput(BaseModel):
    source_id: str
    kpi_ids: list[str]
    periods: list[Period]


class SourceValues(BaseModel):
    source_id: str
    values: dict[str, dict[str, float | None]] = Field(
        description="kpi_id -> period -> value; None where the source has no value."
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


class RenderedMessage(BaseModel):
    audience_id: str
    subject: str
    path: str = Field(description="Archived RenderedEmail JSON for this audience.")


class RenderedReport(BaseModel):
    archive_location: str
    messages: list[RenderedMessage]


class InlineImage(BaseModel):
    content_id: str
    filename: str
    content_base64: str


class RenderedEmail(BaseModel):
    """A complete email body, stored in the archive and read back by the sender."""

    subject: str
    html: str
    text: str
    inline_images: list[InlineImage] = Field(default_factory=list)


class SendEmailInput(BaseModel):
    workflow_id: str
    ritual_id: str
    period: Period
    audience_id: str
    message_kind: str = Field(description="Distinguishes several emails of one run: 'report'.")
    message_path: str
    recipients: list[Recipient]
    disable_click_tracking: bool = True


class SkippedRecipient(BaseModel):
    email: str
    reason: str


class FailedRecipient(BaseModel):
    email: str
    error: str


class DeliveryResult(BaseModel):
    audience_id: str
    message_kind: str
    transport: Literal["outbox", "sendgrid"] | None = None
    sent: list[str] = Field(default_factory=list)
    skipped: list[SkippedRecipient] = Field(default_factory=list)
    failed: list[FailedRecipient] = Field(default_factory=list)


class FailureNoticeInput(BaseModel):
    workflow_id: str
    ritual_id: str
    ritual_name: str
    period: Period
    owner: Recipient
    error: str
    rerun_command: str


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


class ReportStatus(BaseModel):
    """What the ``status`` query answers while a report runs."""

    ritual_id: str
    period: Period | None
    step: str
    approval: ApprovalStatus | None = None
