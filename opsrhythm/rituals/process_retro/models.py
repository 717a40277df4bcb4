"""The process retrospective's models: the contract between its workflow, activities, commands
and pages.

Anonymity: an item's text and author never travel through Temporal. Items and votes go straight
to the retro store (``opsrhythm.rituals.process_retro.store``), keyed by a pseudonymous author key
(HMAC of the retro and the participant's email under ``OPSRHYTHM_SECRET``) unless the participant
signs the item; the workflow sees only counts and group ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from opsrhythm.platform.actions.models import ActionItem, OpenActions
from opsrhythm.platform.activity_ref import ActivityRef
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.models import DeliveryResult, Recipient

ADVANCE_UPDATE = "advance"
"""Update (``AdvanceRequest``): the facilitator closes the current window now."""
RETRO_STATUS_QUERY = "retro_status"
"""Query returning ``RetroStatus``."""

RetroStage = Literal[
    "action review",
    "collecting",
    "grouping",
    "voting",
    "actions",
    "summary sent",
]
EmailKind = Literal[
    "action-review",  # each owner of an open action from earlier retros: done, dropped, carried
    "invite",  # collection opens: the signed form link and the CLI command
    "reminder",  # before collection closes
    "vote",  # voting opens
    "summary",  # the summary, to the ritual's audiences
]


class RetroPrompt(BaseModel):
    prompt_id: str = Field(description="e.g. 'start', 'stop', 'continue'.")
    question: str


class RetroPlan(BaseModel):
    """A snapshot of the config for one retro, so edits mid-cycle cannot change it."""

    ritual_id: str
    ritual_name: str
    organization: str
    process: str = Field(description="The process under review, e.g. 'release communication'.")
    period: str = Field(description="The cycle, named by its start week: 'YYYY-Www'.")
    facilitator: Contact = Field(description="The ritual's owner.")
    participants: list[Contact]
    summary_audiences: list[str] = Field(description="Audience ids; empty: the participants.")
    summary_recipients: list[Recipient]
    format: str = Field(description="'start-stop-continue', '4ls', 'mad-sad-glad' or 'custom'.")
    prompts: list[RetroPrompt]
    votes_per_person: int = Field(ge=1)
    votes_per_group: int = Field(ge=1, description="Most dots one person may put on one group.")
    opened_at: datetime
    action_review_closes_at: datetime
    collection_closes_at: datetime
    reminders_at: list[datetime] = Field(default_factory=list)
    voting_closes_at: datetime
    grouping_closes_at: datetime | None = Field(
        default=None,
        description="The facilitator's time to merge and split groups before voting opens; "
        "None: voting opens as soon as the items are grouped.",
    )
    actions_close_at: datetime = Field(description="When the summary goes out at the latest.")
    templates: str = "process_retro"

    def participant(self, email: str) -> Contact | None:
        """The participant with this email (any case), if there is one."""
        wanted = email.strip().lower()
        return next((p for p in self.participants if p.email.lower() == wanted), None)


class PlanRetroInput(BaseModel):
    ritual_id: str
    period: str
    opened_at: datetime = Field(
        description="The run's start (workflow time): windows count from it."
    )


class AdvanceRequest(BaseModel):
    requested_by: str = Field(description="The facilitator's email.")
    stage: RetroStage = Field(
        description="The stage to close; refused if it is not the current one."
    )


class RetroCounts(BaseModel):
    """What the workflow may know about a retro's content: counts, never text or authors."""

    items: int = 0
    participants: int = Field(default=0, description="People who added at least one item.")
    groups: int = 0
    votes: int = 0
    voters: int = 0


class RetroCountsInput(BaseModel):
    workflow_id: str
    participants: list[str] = Field(description="Emails, to count who took part.")


class GroupItemsInput(BaseModel):
    workflow_id: str


class RetroEmailInput(BaseModel):
    """One email per recipient: action owners, participants (invite, reminder, vote)."""

    workflow_id: str
    run_id: str
    plan: RetroPlan
    kind: EmailKind
    recipients: list[Contact]
    open_actions: list[ActionItem] = Field(
        default_factory=list, description="action-review: each recipient sees only their own."
    )
    counts: RetroCounts | None = None


class RetroMessage(BaseModel):
    recipient: Recipient
    path: str


class RetroEmails(BaseModel):
    messages: list[RetroMessage]


class RenderSummaryInput(BaseModel):
    workflow_id: str
    plan: RetroPlan
    reviewed_actions: list[ActionItem] = Field(description="Earlier actions and their outcome.")
    counts: RetroCounts | None = Field(
        default=None,
        description="The retro's latest counts (RETRO_COUNTS after voting), for the participation "
        "rate; None: the summary activity counts from the store itself.",
    )


class RenderedSummary(BaseModel):
    path: str = Field(description="The summary email, ready for send_email.")
    location: str = Field(description="Its archive folder.")
    themes: int
    actions: int
    empty: bool = Field(description="No items: the summary says so (never blank).")


class RetroStatus(BaseModel):
    workflow_id: str
    ritual_id: str
    period: str
    stage: RetroStage
    closes_at: datetime | None = Field(default=None, description="When this stage's window ends.")
    counts: RetroCounts = Field(default_factory=RetroCounts)
    open_actions_reviewed: int = 0
    open_actions_pending: int = 0
    plan: RetroPlan | None = Field(
        default=None,
        description="The run's plan, so commands and pages check participants, prompts and "
        "vote limits against the snapshot rather than a config edited since.",
    )


class ActionOutcomesInput(BaseModel):
    action_ids: list[str] = Field(description="Actions reviewed: each one's current state.")


class ProcessRetroResult(BaseModel):
    workflow_id: str
    ritual_id: str
    period: str
    stage: RetroStage
    counts: RetroCounts
    summary_location: str = ""
    deliveries: list[DeliveryResult] = Field(default_factory=list)


PLAN_RETRO = ActivityRef[PlanRetroInput, RetroPlan]("plan_process_retro", RetroPlan)
RETRO_COUNTS = ActivityRef[RetroCountsInput, RetroCounts]("retro_counts", RetroCounts)
GROUP_RETRO_ITEMS = ActivityRef[GroupItemsInput, RetroCounts]("group_retro_items", RetroCounts)
RENDER_RETRO_EMAILS = ActivityRef[RetroEmailInput, RetroEmails]("render_retro_emails", RetroEmails)
RETRO_ACTION_OUTCOMES = ActivityRef[ActionOutcomesInput, OpenActions](
    "retro_action_outcomes", OpenActions
)
"""The reviewed actions as they stand now (done, dropped, carried or still open), for the
summary; an id no longer in the store is left out."""
RENDER_RETRO_SUMMARY = ActivityRef[RenderSummaryInput, RenderedSummary](
    "render_retro_summary", RenderedSummary
)
