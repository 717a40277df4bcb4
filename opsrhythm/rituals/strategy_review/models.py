"""The quarterly strategy review's models: the contract between its workflow, its activities,
its commands and its pages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from opsrhythm.platform.actions.models import ActionItem, ActionUpdate
from opsrhythm.platform.activity_ref import ActivityRef
from opsrhythm.platform.approvals.models import (
    ApprovalPlan,
    ApprovalResult,
    ApprovalStatus,
    Contact,
)
from opsrhythm.platform.models import DeliveryResult, Recipient
from opsrhythm.rituals.kpi_report.models import KpiPlan, SourcePlan

SUBMIT_UPDATE = "submit_status"
"""Update carrying a ``StatusSubmission``, returning the ``SubmittedStatus`` stored; its
validator refuses unknown items, someone else's item, and anything once the pack is built
(unless a request for changes reopened it)."""
CLOSE_COLLECTION_UPDATE = "close_collection"
"""Update (``CloseCollection``), returning the ``ReviewStatus`` after it: the ritual owner
builds the pack now, not at pre-read time."""
REVIEW_STATUS_QUERY = "review_status"
"""Query returning ``ReviewStatus``."""

Rag = Literal["green", "amber", "red"]
ItemKind = Literal["objective", "initiative"]
SectionContent = Literal["status", "narrative", "risks", "asks", "kpis", "actions"]
ReviewStage = Literal[
    "kick-off",
    "collecting",
    "building pack",
    "pack built",
    "pre-read sent",
    "awaiting sign-off",
    "redrafting",
    "publishing",
    "published",
    "rejected",
]
SubmitChannel = Literal["cli", "web", "api"]
PACK_PAGE = "pack.html"
"""The pack's page in ``RenderedPack.location``: the approvers' full draft is
``f"{location}/{PACK_PAGE}"`` (the web serves a draft's files beside its page)."""


class ReviewItemPlan(BaseModel):
    """An objective or initiative whose owner reports on it."""

    item_id: str
    kind: ItemKind
    title: str
    owner: Contact
    manager: Contact | None = Field(default=None, description="Escalation after the due date.")
    reminders_at: list[datetime] = Field(
        default_factory=list, description="When the owner is reminded, in UTC (their local times)."
    )
    audiences: list[str] | None = Field(
        default=None,
        description="Audience ids whose published summary may mention it; None: every audience "
        "its sections reach.",
    )


class ReviewSectionPlan(BaseModel):
    """One part of the pack, and the audiences its published summary may reach."""

    section_id: str
    title: str
    content: SectionContent
    audiences: list[str] = Field(description="Audience ids; empty: the pack only (attendees).")
    kpi_ids: list[str] = Field(default_factory=list, description="content 'kpis': which ones.")


class ReviewAudiencePlan(BaseModel):
    audience_id: str
    name: str
    recipients: list[Recipient]


class ReviewPlan(BaseModel):
    """A snapshot of the config for one review, so edits mid-quarter cannot change it."""

    ritual_id: str
    ritual_name: str
    organization: str
    timezone: str = Field(description="The organisation's zone: the meeting's time is in it.")
    period: str = Field(description="The quarter reviewed, 'YYYY-Qn'.")
    owner: Recipient
    items: list[ReviewItemPlan]
    sections: list[ReviewSectionPlan]
    attendees: list[Recipient]
    audiences: list[ReviewAudiencePlan]
    kpis: list[KpiPlan] = Field(default_factory=list)
    sources: list[SourcePlan] = Field(default_factory=list)
    approval: ApprovalPlan | None = None
    kickoff_at: datetime
    due_at: datetime
    escalate_at: datetime = Field(description="When late owners' managers are told.")
    pre_read_at: datetime = Field(description="When the pre-read goes to attendees (pack built).")
    meeting_at: datetime
    templates: str = "strategy_review"


class PlanReviewInput(BaseModel):
    ritual_id: str
    period: str
    kickoff_at: datetime = Field(
        description="The run's start (workflow time): offsets count from it."
    )


class StatusSubmission(BaseModel):
    """One owner's status update for one item; a resubmission replaces the earlier one."""

    item_id: str
    owner: str = Field(description="The submitter's email; must own the item.")
    rag: Rag
    confidence: int = Field(ge=0, le=100, description="Percent confident of the quarter's goal.")
    narrative: str = Field(min_length=1, max_length=20_000)
    risks: list[str] = Field(default_factory=list)
    asks: list[str] = Field(default_factory=list)
    action_updates: list[ActionUpdate] = Field(default_factory=list)
    channel: SubmitChannel = "api"
    not_after: datetime | None = Field(
        default=None, description="Refused if a worker only sees it after this (no worker up)."
    )


class SubmittedStatus(BaseModel):
    submission: StatusSubmission
    version: int = Field(description="1 for the first submission, 2 for the next, ...")
    submitted_at: datetime
    late: bool = Field(description="Submitted after the due date.")
    caller: str = Field(default="", description="The Temporal client identity that sent it.")


class CloseCollection(BaseModel):
    requested_by: str = Field(description="The ritual owner's email.")
    send_now: bool = Field(
        default=False, description="Send the pre-read once the pack is built, not at pre_read_at."
    )


class QuarterKpi(BaseModel):
    """One KPI for the quarter against the previous quarter, the same quarter last year and its
    target; ``error`` says why a value is missing."""

    kpi: KpiPlan
    value: float | None
    previous_quarter: float | None
    year_ago: float | None
    target: float | None
    error: str | None = None
    months: list[str] = Field(
        default_factory=list,
        description="The months 'value' comes from; fewer than the quarter's three: to date.",
    )


class ReviewEmailInput(BaseModel):
    """Kick-off, reminder, escalation or changes-requested emails for ``items`` (one email per
    owner or manager)."""

    workflow_id: str
    run_id: str
    plan: ReviewPlan
    kind: Literal["kick-off", "reminder", "escalation", "changes-requested"]
    items: list[ReviewItemPlan]
    open_actions: list[ActionItem] = Field(default_factory=list)
    comment: str = Field(default="", description="changes-requested: what the approvers asked.")


class ReviewMessage(BaseModel):
    recipient: Recipient
    path: str = Field(description="The rendered email, ready for send_email.")
    item_ids: list[str] = Field(description="The items it is about (ledger key).")


class ReviewEmails(BaseModel):
    messages: list[ReviewMessage]


class QuarterKpisInput(BaseModel):
    plan: ReviewPlan


class QuarterKpis(BaseModel):
    kpis: list[QuarterKpi]


class RenderPackInput(BaseModel):
    workflow_id: str
    plan: ReviewPlan
    submissions: list[SubmittedStatus] = Field(description="The latest per item.")
    kpis: list[QuarterKpi]
    open_actions: list[ActionItem] = Field(default_factory=list)
    round: int = 1


class RenderedPack(BaseModel):
    location: str = Field(description="The archived pack's folder.")
    pre_read_path: str = Field(description="The attendees' email, ready for send_email.")
    publish_paths: dict[str, str] = Field(description="audience id -> its summary's email.")
    summary: list[str] = Field(description="Lines for the approval request.")
    missing: list[str] = Field(description="Items with no update: marked missing in the pack.")


class ReviewStatus(BaseModel):
    workflow_id: str
    ritual_id: str
    period: str
    stage: ReviewStage
    due_at: datetime | None = None
    pre_read_at: datetime | None = None
    meeting_at: datetime | None = None
    submitted: list[SubmittedStatus] = Field(default_factory=list)
    late: list[str] = Field(default_factory=list, description="Item ids past due, no update.")
    pending: list[str] = Field(default_factory=list, description="Item ids with no update yet.")
    approval: ApprovalStatus | None = None
    items: list[ReviewItemPlan] = Field(
        default_factory=list, description="The plan's items: the web form shows its own item."
    )
    open_actions: list[ActionItem] = Field(
        default_factory=list, description="Open actions of the items' owners (kick-off's list)."
    )
    undelivered: list[DeliveryResult] = Field(
        default_factory=list, description="Emails to owners, managers, attendees that failed."
    )


class StrategyReviewResult(BaseModel):
    workflow_id: str
    ritual_id: str
    period: str
    stage: ReviewStage
    pack_location: str = ""
    missing: list[str] = Field(default_factory=list)
    approval: ApprovalResult | None = None
    deliveries: list[DeliveryResult] = Field(default_factory=list)
    waiting_until: datetime | None = Field(
        default=None,
        description="While summaries' outcomes are unknown (``pending_result``): until when the "
        "run waits for ``opsrhythm ledger resolve``.",
    )


PLAN_REVIEW = ActivityRef[PlanReviewInput, ReviewPlan]("plan_strategy_review", ReviewPlan)
RENDER_REVIEW_EMAILS = ActivityRef[ReviewEmailInput, ReviewEmails](
    "render_review_emails", ReviewEmails
)
GATHER_QUARTER_KPIS = ActivityRef[QuarterKpisInput, QuarterKpis]("gather_quarter_kpis", QuarterKpis)
RENDER_PACK = ActivityRef[RenderPackInput, RenderedPack]("render_review_pack", RenderedPack)
