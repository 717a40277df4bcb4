"""Inputs and outputs every ritual shares: recipients, rendered emails, deliveries, status.

These travel through Temporal history, so they carry ids and periods, never secrets or
rendered documents (those are archived and passed by reference). New fields get defaults so
that running workflows keep decoding.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from opsrhythm.platform.activity_ref import ActivityRef
from opsrhythm.platform.approvals.models import ApprovalStatus
from opsrhythm.platform.periods import PERIOD_PATTERN

Period = Annotated[str, Field(pattern=PERIOD_PATTERN)]


class RitualRunInput(BaseModel):
    """What starts one run of any ritual kind: manual, scheduled or re-run."""

    ritual_id: str
    period: Period | None = Field(
        default=None,
        description="The period to run for; scheduled runs derive it from the scheduled time.",
    )


class Recipient(BaseModel):
    name: str
    email: str


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


class UnknownRecipient(BaseModel):
    """A recipient whose request left without a known outcome: neither resent nor counted sent."""

    email: str
    since: datetime
    """When the attempt that sent it claimed it (UTC)."""


class DeliveryResult(BaseModel):
    """The whole run's deliveries to one audience, counting every attempt's, not only the last."""

    audience_id: str
    message_kind: str
    transport: Literal["outbox", "sendgrid"] | None = None
    sent: list[str] = Field(default_factory=list)
    skipped: list[SkippedRecipient] = Field(default_factory=list)
    failed: list[FailedRecipient] = Field(default_factory=list)
    unknown: list[UnknownRecipient] = Field(default_factory=list)
    """Left 'sending' by an attempt that stopped mid-request: see ``opsrhythm ledger unknown``."""


class OwnerNotice(BaseModel):
    """What every notice to a ritual's owner names: the run it is about, and the owner."""

    workflow_id: str
    run_id: str = Field(
        default="", description="Temporal's run id: a notice goes once per run, not per id."
    )
    ritual_id: str
    ritual_name: str
    period: Period
    owner: Recipient


class FailureNoticeInput(OwnerNotice):
    kind: Literal["failure"] = "failure"
    error: str
    rerun_command: str


class AudienceCount(BaseModel):
    audience_id: str
    count: int


class NeedsAttentionInput(OwnerNotice):
    """A run that sent with recipients whose outcome is unknown, and how to settle them."""

    kind: Literal["needs-attention"] = "needs-attention"
    unknown: list[AudienceCount]
    list_command: str
    resolve_command: str
    waiting_until: datetime | None = Field(
        default=None, description="The run waits to be settled until then (UTC), then finishes."
    )


class UndeliveredNoticeInput(OwnerNotice):
    """Emails of a run that could not be sent while the run goes on (a kind that does not fail
    its run for one recipient): who, why, and where to follow the run."""

    kind: Literal["undelivered"] = "undelivered"
    label: str = Field(description="Which emails, e.g. 'kick-off', 'reminder-1', 'pre-read-r1'.")
    failed: list[FailedRecipient]
    status_command: str = Field(description="How to follow the run, e.g. 'opsrhythm status WF'.")


class OwnerFallbackInput(BaseModel):
    """An owner notice that could not be emailed: for the outbox folder and the webhook."""

    notice: Annotated[
        FailureNoticeInput | NeedsAttentionInput | UndeliveredNoticeInput,
        Field(discriminator="kind"),
    ]
    email_error: str = Field(description="Why the email could not be sent.")


class OwnerFallbackResult(BaseModel):
    outbox_file: str
    webhook_posted: bool = Field(description="False when the config names no webhook.")


class ReportStatus(BaseModel):
    """What the ``status`` query answers while a report runs."""

    ritual_id: str
    period: Period | None
    step: str
    approval: ApprovalStatus | None = None
    unknown_outcomes: int = Field(
        default=0, description="Recipients whose outcome is unknown: the run needs attention."
    )


SEND_EMAIL = ActivityRef[SendEmailInput, DeliveryResult]("send_email", DeliveryResult)
SEND_FAILURE_NOTICE = ActivityRef[FailureNoticeInput, DeliveryResult](
    "send_failure_notice", DeliveryResult
)
SEND_NEEDS_ATTENTION_NOTICE = ActivityRef[NeedsAttentionInput, DeliveryResult](
    "send_needs_attention_notice", DeliveryResult
)
SEND_UNDELIVERED_NOTICE = ActivityRef[UndeliveredNoticeInput, DeliveryResult](
    "send_undelivered_notice", DeliveryResult
)
NOTIFY_OWNER_FALLBACK = ActivityRef[OwnerFallbackInput, OwnerFallbackResult](
    "notify_owner_fallback", OwnerFallbackResult
)
