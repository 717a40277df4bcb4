"""Inputs, outputs and query answers of the approval step that any ritual can run.

They travel through Temporal history and the ``decide`` Update, so they carry emails, names,
times and comments, never link tokens or secrets. New fields get defaults so that running
workflows keep decoding. This module imports nothing of ours: ``models`` builds on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from opsrhythm.platform.activity_ref import ActivityRef

Policy = Literal["any", "all", "n_of_m"]
TimeoutOutcome = Literal["escalate", "approve", "reject"]
DecisionKind = Literal["approve", "reject", "request_changes"]
CallerChannel = Literal["email-link", "cli", "api", "temporal-cli"]
Channel = Literal["email-link", "cli", "api", "temporal-cli", "deadline"]
EmailKind = Literal["request", "reminder", "escalation", "settled"]
SYSTEM_ACTOR = "opsrhythm"
"""The actor of audit entries that no person made: a deadline's outcome or an escalation."""


class Contact(BaseModel):
    """A person the approval step writes to; kept apart from models.Contact to avoid a cycle."""

    name: str
    email: str
    timezone: str = Field(default="UTC", description="IANA zone their times are shown in.")


class ApprovalPlan(BaseModel):
    """One ritual's approval settings, resolved to people and seconds when the run is planned."""

    approvers: list[Contact]
    policy: Policy = "any"
    required: int = Field(default=1, description="Approvals that settle it.")
    veto: list[str] = Field(default_factory=list, description="Emails whose reject ends it.")
    requester: Contact
    owner: Contact
    deadline_seconds: int
    reminder_offsets_seconds: list[int] = Field(
        default_factory=list, description="When to remind, counted from the request."
    )
    on_timeout: TimeoutOutcome = "reject"
    backup: Contact | None = None
    redraft_after_seconds: int | None = Field(
        default=None,
        description="After a request for changes, redraft on its own this long after; None "
        "waits for the owner's ``redraft``.",
    )


class ApprovalContext(BaseModel):
    """What the approval step needs to know about the ritual run that asks."""

    workflow_id: str
    ritual_id: str
    ritual_name: str
    period: str
    run_id: str = Field(default="", description="The asking run: links name it and the round.")


class ApprovalDraft(BaseModel):
    """What the approvers are asked to sign off: a title, a short summary, where the rest is."""

    title: str
    summary: list[str] = Field(default_factory=list)
    location: str = Field(default="", description="Where the full draft is archived.")
    figures: dict[str, str] = Field(
        default_factory=dict, description="Headline figures by name, compared between rounds."
    )
    asked: list[str] = Field(
        default_factory=list, description="'who: what' for each change asked of the last round."
    )
    changed: list[str] = Field(
        default_factory=list, description="'name: old -> new' for each figure since last round."
    )


class ApprovalDecision(BaseModel):
    """The argument of the ``decide`` Update; the ``approval`` query shows the open round."""

    approver: str = Field(description="The approver's email, as configured.")
    decision: DecisionKind
    comment: str = Field(
        default="", description="Required to reject (the reason) or ask for changes."
    )
    channel: CallerChannel = "api"
    round: int | None = Field(
        default=None, description="The round this decision is for; None means the open one."
    )
    not_after: datetime | None = Field(
        default=None,
        description="When the caller stopped waiting: arriving later (no worker was running), "
        "it is refused instead of being applied behind the caller's back.",
    )


class RedraftRequest(BaseModel):
    """The argument of the ``redraft`` Update: the owner says the fixes are in, draft again."""

    requested_by: str = Field(default="", description="Who asked, for the audit trail.")
    round: int | None = Field(default=None, description="The round whose changes were made.")
    channel: CallerChannel = "api"


class AuditEntry(BaseModel):
    round: int
    actor: str = Field(description="The approver's email, or 'opsrhythm' for a deadline.")
    action: Literal["approve", "reject", "request_changes", "escalate", "redraft"]
    at: datetime
    channel: Channel
    comment: str = ""
    update_id: str = Field(default="", description="The ``decide`` Update that recorded it.")
    caller: str = Field(
        default="",
        description="The Temporal client identity that sent it, read from the run's history by "
        "the client (``approvals.client``); never taken from the decision itself.",
    )


class ApprovalStatus(BaseModel):
    """The ``approval`` query's answer, and the ``decide`` Update's."""

    workflow_id: str
    ritual_id: str = ""
    ritual_name: str = ""
    state: Literal["not_requested", "pending", "redrafting", "approved", "rejected"]
    round: int = 0
    title: str = ""
    summary: list[str] = Field(default_factory=list)
    location: str = ""
    policy: str = ""
    deadline: datetime | None = None
    escalated: bool = False
    approvers: list[Contact] = Field(default_factory=list)
    pending: list[Contact] = Field(
        default_factory=list, description="Approvers who have not decided this round."
    )
    requester: Contact | None = None
    owner: Contact | None = Field(default=None, description="Who redrafts; times in their zone.")
    reason: str = ""
    audit: list[AuditEntry] = Field(default_factory=list)
    asked: list[str] = Field(default_factory=list, description="This round's draft: asked.")
    changed: list[str] = Field(default_factory=list, description="This round's draft: changed.")
    redraft_due: datetime | None = Field(
        default=None,
        description="Redrafting: when it redrafts on its own; None waits for the owner.",
    )
    run_id: str = ""


class ApprovalResult(BaseModel):
    """How an approval ended, in the ritual's result."""

    outcome: Literal["approved", "rejected"]
    reason: str = ""
    rounds: int
    audit: list[AuditEntry]


class ApprovalEmailInput(BaseModel):
    context: ApprovalContext
    kind: EmailKind
    round: int
    draft: ApprovalDraft
    recipients: list[Contact]
    requester: Contact
    deadline: datetime
    outcome: str = Field(default="", description="kind 'settled': how it was settled, in words.")


class ApprovalMessage(BaseModel):
    recipient: Contact
    path: str = Field(description="Archived RenderedEmail JSON for this recipient.")


class ApprovalEmails(BaseModel):
    messages: list[ApprovalMessage]


class ApprovalNoticeInput(BaseModel):
    """Tells the ritual's owner what happened to the approval: one event, in words."""

    context: ApprovalContext
    owner: Contact
    round: int
    event: Literal["changes_requested", "rejected", "approved_at_deadline", "escalated"]
    redraft_due: datetime | None = Field(
        default=None, description="changes_requested: when it redrafts on its own, if configured."
    )
    headline: str
    detail: str = ""


REDRAFT_UPDATE = "redraft"
"""The Update the owner sends (``opsrhythm redraft WF``) once the requested changes are made."""

RENDER_APPROVAL_EMAILS = ActivityRef[ApprovalEmailInput, ApprovalEmails](
    "render_approval_emails", ApprovalEmails
)
RENDER_APPROVAL_NOTICE = ActivityRef[ApprovalNoticeInput, str]("render_approval_notice", str)
