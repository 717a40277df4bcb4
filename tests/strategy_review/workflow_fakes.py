"""Fake activities, under the contract's names, for running StrategyReviewWorkflow on the
time-skipping server; and helpers to start it, wait for a stage, submit and decide."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from opsrhythm.platform import search_attributes
from opsrhythm.platform.actions.models import (
    ActionItem,
    AppliedActionUpdates,
    ApplyActionUpdatesInput,
    ListOpenActionsInput,
    OpenActions,
)
from opsrhythm.platform.approvals.models import (
    ApprovalEmailInput,
    ApprovalEmails,
    ApprovalMessage,
    ApprovalNoticeInput,
    ApprovalPlan,
    Contact,
)
from opsrhythm.platform.models import (
    DeliveryResult,
    FailureNoticeInput,
    NeedsAttentionInput,
    Recipient,
    RitualRunInput,
    SendEmailInput,
    UndeliveredNoticeInput,
    UnknownRecipient,
)
from opsrhythm.rituals.strategy_review.models import (
    PlanReviewInput,
    QuarterKpis,
    QuarterKpisInput,
    RenderedPack,
    RenderPackInput,
    ReviewAudiencePlan,
    ReviewEmailInput,
    ReviewEmails,
    ReviewItemPlan,
    ReviewMessage,
    ReviewPlan,
    ReviewSectionPlan,
    ReviewStatus,
    StatusSubmission,
    StrategyReviewResult,
    SubmittedStatus,
)
from workflows.strategy_review import StrategyReviewWorkflow

DAY = timedelta(days=1)
ANA = Contact(name="Ana Silva", email="ana@acme.example")
BEN = Contact(name="Ben Carter", email="ben@acme.example")
DEV = Contact(name="Dev Patel", email="dev@acme.example")
CHLOE = Contact(name="Chloé Dubois", email="chloe@acme.example", timezone="Europe/Paris")
EMMA = Contact(name="Emma Larsen", email="emma@acme.example", timezone="Europe/Copenhagen")
GRACE = Contact(name="Grace Kim", email="grace@acme.example", timezone="America/New_York")
AUDIENCES = ("leadership", "sales", "support")
RITUAL = "quarterly-strategy-review"

Handle = WorkflowHandle[StrategyReviewWorkflow, StrategyReviewResult]


def review_plan(kickoff_at: datetime, approval: ApprovalPlan | None) -> ReviewPlan:
    """Three owners; due 4 days after kick-off, reminded 2 and 1 days before, escalated a day
    after; the pack 6 days after kick-off, the meeting a day later."""
    due_at = kickoff_at + 4 * DAY

    def item(item_id: str, owner: Contact, manager: Contact) -> ReviewItemPlan:
        return ReviewItemPlan(
            item_id=item_id,
            kind="objective",
            title=item_id.replace("-", " ").capitalize(),
            owner=owner,
            manager=manager,
            reminders_at=[due_at - 2 * DAY, due_at - DAY],
        )

    def people(*contacts: Contact) -> list[Recipient]:
        return [Recipient(name=c.name, email=c.email) for c in contacts]

    return ReviewPlan(
        ritual_id=RITUAL,
        ritual_name="Quarterly strategy review",
        organization="Acme Analytics",
        timezone="Europe/London",
        period="2026-Q4",
        owner=Recipient(name=ANA.name, email=ANA.email),
        items=[
            item("grow-revenue", CHLOE, BEN),
            item("insights-everywhere", EMMA, DEV),
            item("reduce-churn", GRACE, DEV),
        ],
        sections=[
            ReviewSectionPlan(
                section_id="status", title="Status", content="status", audiences=list(AUDIENCES)
            ),
            ReviewSectionPlan(
                section_id="risks", title="Risks", content="risks", audiences=["leadership"]
            ),
        ],
        attendees=people(ANA, BEN, DEV),
        audiences=[
            ReviewAudiencePlan(audience_id=a, name=a.title(), recipients=people(BEN))
            for a in AUDIENCES
        ],
        approval=approval,
        kickoff_at=kickoff_at,
        due_at=due_at,
        escalate_at=due_at + DAY,
        pre_read_at=kickoff_at + 6 * DAY,
        meeting_at=kickoff_at + 7 * DAY,
    )


def sign_off(**changes: Any) -> ApprovalPlan:
    """Dev or Ben approves; Ana (the ritual's owner) asks; two days to decide."""
    plan = ApprovalPlan(approvers=[DEV, BEN], requester=ANA, owner=ANA, deadline_seconds=2 * 86_400)
    return plan.model_copy(update=changes)


class ReviewFakes:
    """Records every call; the plan is built from the run's kick-off."""

    def __init__(
        self,
        approval: ApprovalPlan | None = None,
        *,
        failing_emails: frozenset[str] = frozenset(),
        store_down: bool = False,
        pack_fails: bool = False,
        unknown_once: frozenset[str] = frozenset(),
        unmanaged: frozenset[str] = frozenset(),
    ) -> None:
        """``failing_emails``: recipients every send to fails for good; ``store_down``: the
        actions store refuses every call; ``pack_fails``: the pack never renders."""
        self.approval = approval
        self.failing_emails = failing_emails
        self.store_down = store_down
        self.pack_fails = pack_fails
        self.unknown_once = set(unknown_once)
        self.unmanaged = unmanaged
        """Items planned without a manager."""
        """Audiences whose first summary send ends with its outcome unknown."""
        self.failure_notices: list[FailureNoticeInput] = []
        self.attention_notices: list[NeedsAttentionInput] = []
        self.undelivered_notices: list[UndeliveredNoticeInput] = []
        self.review_emails: list[ReviewEmailInput] = []
        self.packs: list[RenderPackInput] = []
        self.sent: list[SendEmailInput] = []
        self.sent_at: list[datetime] = []
        """When each of ``sent`` was scheduled, in the server's (skipped) time."""
        self.applied: list[ApplyActionUpdatesInput] = []
        self.approval_emails: list[ApprovalEmailInput] = []
        self.actions = [
            ActionItem(
                action_id="quarterly-strategy-review-2026-Q3-1",
                origin="quarterly-strategy-review-2026-Q3",
                ritual_id=RITUAL,
                period="2026-Q3",
                title="Price the Insights add-on",
                owner_email=CHLOE.email,
                due=datetime(2026, 12, 1).date(),
            )
        ]

    def all(self) -> list[Callable[..., Any]]:
        @activity.defn(name="plan_strategy_review")
        async def plan_strategy_review(input: PlanReviewInput) -> ReviewPlan:
            plan = review_plan(input.kickoff_at, self.approval)
            for item in plan.items:
                if item.item_id in self.unmanaged:
                    item.manager = None
            return plan

        @activity.defn(name="list_open_actions")
        async def list_open_actions(input: ListOpenActionsInput) -> OpenActions:
            self._store()
            return OpenActions(actions=self.actions)

        @activity.defn(name="apply_action_updates")
        async def apply_action_updates(input: ApplyActionUpdatesInput) -> AppliedActionUpdates:
            self._store()
            self.applied.append(input)
            return AppliedActionUpdates(applied=[u.action_id for u in input.updates], refused=[])

        @activity.defn(name="render_review_emails")
        async def render_review_emails(input: ReviewEmailInput) -> ReviewEmails:
            self.review_emails.append(input)
            by_recipient: dict[str, list[str]] = {}
            for item in input.items:
                email = item.owner.email
                if input.kind == "escalation":
                    email = item.manager.email if item.manager else input.plan.owner.email
                by_recipient.setdefault(email, []).append(item.item_id)
            return ReviewEmails(
                messages=[
                    ReviewMessage(
                        recipient=Recipient(name=email, email=email),
                        path=f"/review/{input.kind}/{email}",
                        item_ids=item_ids,
                    )
                    for email, item_ids in by_recipient.items()
                ]
            )

        @activity.defn(name="gather_quarter_kpis")
        async def gather_quarter_kpis(input: QuarterKpisInput) -> QuarterKpis:
            return QuarterKpis(kpis=[])

        @activity.defn(name="render_review_pack")
        async def render_review_pack(input: RenderPackInput) -> RenderedPack:
            if self.pack_fails:
                raise ApplicationError("template pack.html: no such block", non_retryable=True)
            self.packs.append(input)
            submitted = {s.submission.item_id for s in input.submissions}
            folder = f"/archive/{input.workflow_id}/r{input.round}"
            return RenderedPack(
                location=folder,
                pre_read_path=f"{folder}/pre-read.eml",
                publish_paths={a: f"{folder}/{a}.eml" for a in AUDIENCES},
                summary=[f"{s.submission.item_id}: {s.submission.rag}" for s in input.submissions],
                missing=[i.item_id for i in input.plan.items if i.item_id not in submitted],
            )

        @activity.defn(name="send_email")
        async def send_email(input: SendEmailInput) -> DeliveryResult:
            if {r.email for r in input.recipients} & self.failing_emails:
                raise ApplicationError(
                    "HTTP 400: does not contain a valid address", non_retryable=True
                )
            self.sent.append(input)
            self.sent_at.append(activity.info().scheduled_time)
            if input.message_kind == "summary" and input.audience_id in self.unknown_once:
                self.unknown_once.remove(input.audience_id)
                return DeliveryResult(
                    audience_id=input.audience_id,
                    message_kind=input.message_kind,
                    unknown=[
                        UnknownRecipient(email=r.email, since=datetime(2026, 12, 1, tzinfo=UTC))
                        for r in input.recipients
                    ],
                )
            return DeliveryResult(
                audience_id=input.audience_id,
                message_kind=input.message_kind,
                transport="outbox",
                sent=[r.email for r in input.recipients],
            )

        @activity.defn(name="render_approval_emails")
        async def render_approval_emails(input: ApprovalEmailInput) -> ApprovalEmails:
            self.approval_emails.append(input)
            return ApprovalEmails(
                messages=[
                    ApprovalMessage(recipient=r, path=f"/approval/{input.kind}/{r.email}")
                    for r in input.recipients
                ]
            )

        @activity.defn(name="render_approval_notice")
        async def render_approval_notice(input: ApprovalNoticeInput) -> str:
            return f"/approval/notice/{input.event}"

        @activity.defn(name="send_failure_notice")
        async def send_failure_notice(input: FailureNoticeInput) -> DeliveryResult:
            self.failure_notices.append(input)
            return DeliveryResult(
                audience_id="owner", message_kind="failure", sent=[input.owner.email]
            )

        @activity.defn(name="send_needs_attention_notice")
        async def send_needs_attention_notice(input: NeedsAttentionInput) -> DeliveryResult:
            self.attention_notices.append(input)
            return DeliveryResult(
                audience_id="owner", message_kind="attention", sent=[input.owner.email]
            )

        @activity.defn(name="send_undelivered_notice")
        async def send_undelivered_notice(input: UndeliveredNoticeInput) -> DeliveryResult:
            self.undelivered_notices.append(input)
            return DeliveryResult(
                audience_id="owner", message_kind="undelivered", sent=[input.owner.email]
            )

        return [
            send_failure_notice,
            send_undelivered_notice,
            send_needs_attention_notice,
            plan_strategy_review,
            list_open_actions,
            apply_action_updates,
            render_review_emails,
            gather_quarter_kpis,
            render_review_pack,
            send_email,
            render_approval_emails,
            render_approval_notice,
        ]

    def _store(self) -> None:
        if self.store_down:
            raise ApplicationError("actions store: connection refused", non_retryable=True)

    def emailed(self, kind: str) -> list[list[str]]:
        """The items of each review email of ``kind``, in order."""
        return [[i.item_id for i in e.items] for e in self.review_emails if e.kind == kind]

    def pre_reads_after_kick_off(self) -> list[float]:
        """Hours from the first kick-off email to each attendee's pre-read (server time)."""
        sent = list(zip(self.sent, self.sent_at, strict=True))
        kick_off = min(at for s, at in sent if s.message_kind.startswith("kick-off"))
        hour = timedelta(hours=1)
        return [round((at - kick_off) / hour, 1) for s, at in sent if s.audience_id == "attendees"]

    def summaries(self) -> list[str]:
        return sorted(s.audience_id for s in self.sent if s.message_kind == "summary")


@asynccontextmanager
async def running_review(
    client: Client, fakes: ReviewFakes, searchable: bool = False, workflow_id: str | None = None
) -> AsyncIterator[Handle]:
    """A worker with the fakes and a started review; ``searchable`` sets Ritual and Period, as
    ``opsrhythm run`` does on a server that has them."""
    task_queue = str(uuid.uuid4())
    attributes = TypedSearchAttributes(
        [
            SearchAttributePair(search_attributes.RITUAL, RITUAL),
            SearchAttributePair(search_attributes.PERIOD, "2026-Q4"),
        ]
        if searchable
        else []
    )
    async with Worker(
        client, task_queue=task_queue, workflows=[StrategyReviewWorkflow], activities=fakes.all()
    ):
        handle = await client.start_workflow(
            StrategyReviewWorkflow.run,
            RitualRunInput(ritual_id=RITUAL, period="2026-Q4"),
            id=workflow_id or f"{RITUAL}-2026-Q4-{uuid.uuid4()}",
            task_queue=task_queue,
            search_attributes=attributes,
            execution_timeout=timedelta(days=60),
        )
        yield handle


async def stage(handle: Handle, wanted: str) -> ReviewStatus:
    """Poll until the review is at ``wanted`` and idle (no activity or task outstanding)."""
    for _ in range(250):
        status = await handle.query(StrategyReviewWorkflow.review_status)
        if status.stage == wanted:
            raw = (await handle.describe()).raw_description
            if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
                return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"the review never reached {wanted!r}: {status}")


async def submit(
    handle: Handle, item_id: str, owner: Contact, rag: str = "green", **extra: Any
) -> SubmittedStatus:
    return await handle.execute_update(
        StrategyReviewWorkflow.submit_status,
        StatusSubmission(
            item_id=item_id,
            owner=owner.email,
            rag=rag,
            confidence=70,
            narrative=f"{item_id} as {owner.name} sees it",
            channel="cli",
            **extra,
        ),
    )
