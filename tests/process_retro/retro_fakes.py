"""Fake activities, under the contract's names, for running ProcessRetroWorkflow on the
time-skipping server; and helpers to start a retro, wait for a stage and advance it.

``RetroFakes`` holds what the retro store and the actions store would: a test adds items,
votes and actions to it the way the CLI writes them to the database, never through Temporal.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from opsrhythm.platform.actions.models import ActionItem, ListOpenActionsInput, OpenActions
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.models import (
    DeliveryResult,
    FailureNoticeInput,
    Recipient,
    RitualRunInput,
    SendEmailInput,
    UndeliveredNoticeInput,
)
from opsrhythm.rituals.process_retro.models import (
    ActionOutcomesInput,
    AdvanceRequest,
    GroupItemsInput,
    PlanRetroInput,
    ProcessRetroResult,
    RenderedSummary,
    RenderSummaryInput,
    RetroCounts,
    RetroCountsInput,
    RetroEmailInput,
    RetroEmails,
    RetroMessage,
    RetroPlan,
    RetroPrompt,
    RetroStage,
    RetroStatus,
)
from workflows.process_retro import ProcessRetroWorkflow

DAY = timedelta(days=1)
ANA = Contact(name="Ana Silva", email="ana@acme.example")
EMMA = Contact(name="Emma Larsen", email="emma@acme.example", timezone="Europe/Copenhagen")
FARID = Contact(name="Farid Haddad", email="farid@acme.example")
GRACE = Contact(name="Grace Kim", email="grace@acme.example", timezone="America/New_York")
PARTICIPANTS = [EMMA, FARID, GRACE]
RITUAL = "process-retro"

Handle = WorkflowHandle[ProcessRetroWorkflow, ProcessRetroResult]


def retro_plan(opened_at: datetime, period: str) -> RetroPlan:
    """Ana facilitates; Emma, Farid and Grace take part. A day of action review, three of
    collection (reminded a day before it closes), four hours of grouping, a day each of voting
    and actions."""
    review = opened_at + DAY
    collection = review + 3 * DAY
    grouping = collection + timedelta(hours=4)
    voting = grouping + DAY
    return RetroPlan(
        ritual_id=RITUAL,
        ritual_name="Release communication retro",
        organization="Acme Analytics",
        process="release communication",
        period=period,
        facilitator=ANA,
        participants=PARTICIPANTS,
        summary_audiences=[],
        summary_recipients=[Recipient(name=c.name, email=c.email) for c in PARTICIPANTS],
        format="start-stop-continue",
        prompts=[
            RetroPrompt(prompt_id=p, question=f"What should we {p}?")
            for p in ("start", "stop", "continue")
        ],
        votes_per_person=5,
        votes_per_group=3,
        opened_at=opened_at,
        action_review_closes_at=review,
        collection_closes_at=collection,
        reminders_at=[collection - DAY],
        grouping_closes_at=grouping,
        voting_closes_at=voting,
        actions_close_at=voting + DAY,
    )


@dataclass
class RetroFakes:
    """Records every call; ``items`` and ``votes`` per workflow id, as the retro store keeps."""

    items: dict[str, list[str]] = field(default_factory=dict)
    votes: dict[str, int] = field(default_factory=dict)
    actions: list[ActionItem] = field(default_factory=list)
    store_down: bool = False
    failing_emails: frozenset[str] = frozenset()
    summary_fails: bool = False
    late_by: timedelta = timedelta(0)
    """How long before the run's start its plan opens (a scheduled run that started late)."""
    emails: list[RetroEmailInput] = field(default_factory=list)
    summaries: list[RenderSummaryInput] = field(default_factory=list)
    sent: list[SendEmailInput] = field(default_factory=list)
    failure_notices: list[FailureNoticeInput] = field(default_factory=list)
    undelivered_notices: list[UndeliveredNoticeInput] = field(default_factory=list)
    activity_inputs: list[Any] = field(default_factory=list)

    def add_action(self, origin: str, owner: Contact, title: str, due: date) -> ActionItem:
        """What ``opsrhythm retro action`` records in the actions store."""
        number = sum(a.origin == origin for a in self.actions) + 1
        action = ActionItem(
            action_id=f"{origin}-{number}",
            origin=origin,
            ritual_id=RITUAL,
            period=origin.removeprefix(f"{RITUAL}-")[:8],
            title=title,
            owner_email=owner.email,
            owner_name=owner.name,
            due=due,
        )
        self.actions.append(action)
        return action

    def close_action(self, action_id: str, state: str) -> None:
        """What ``opsrhythm actions done|drop ID`` does to the store."""
        [index] = [i for i, a in enumerate(self.actions) if a.action_id == action_id]
        self.actions[index] = self.actions[index].model_copy(update={"state": state})

    def all(self) -> list[Callable[..., Any]]:
        @activity.defn(name="plan_process_retro")
        async def plan_process_retro(input: PlanRetroInput) -> RetroPlan:
            return retro_plan(input.opened_at - self.late_by, input.period)

        @activity.defn(name="list_open_actions")
        async def list_open_actions(input: ListOpenActionsInput) -> OpenActions:
            self._store()
            mine = [a for a in self.actions if a.ritual_id == input.ritual_id]
            return OpenActions(actions=[a for a in mine if a.state == "open"])

        @activity.defn(name="retro_action_outcomes")
        async def retro_action_outcomes(input: ActionOutcomesInput) -> OpenActions:
            self._store()
            return OpenActions(actions=[a for a in self.actions if a.action_id in input.action_ids])

        @activity.defn(name="group_retro_items")
        async def group_retro_items(input: GroupItemsInput) -> RetroCounts:
            self._store()
            self.activity_inputs.append(input)
            return self._counts(input.workflow_id)

        @activity.defn(name="retro_counts")
        async def retro_counts(input: RetroCountsInput) -> RetroCounts:
            self._store()
            self.activity_inputs.append(input)
            return self._counts(input.workflow_id)

        @activity.defn(name="render_retro_emails")
        async def render_retro_emails(input: RetroEmailInput) -> RetroEmails:
            self.emails.append(input)
            return RetroEmails(
                messages=[
                    RetroMessage(
                        recipient=Recipient(name=c.name, email=c.email),
                        path=f"/retro/{input.kind}/{c.email}",
                    )
                    for c in input.recipients
                ]
            )

        @activity.defn(name="render_retro_summary")
        async def render_retro_summary(input: RenderSummaryInput) -> RenderedSummary:
            if self.summary_fails:
                raise ApplicationError("template summary.html: no such block", non_retryable=True)
            self.summaries.append(input)
            counts = self._counts(input.workflow_id)
            return RenderedSummary(
                path=f"/archive/{input.workflow_id}/summary.json",
                location=f"/archive/{input.workflow_id}",
                themes=counts.groups,
                actions=sum(a.origin == input.workflow_id for a in self.actions),
                empty=not counts.items,
            )

        @activity.defn(name="send_email")
        async def send_email(input: SendEmailInput) -> DeliveryResult:
            if {r.email for r in input.recipients} & self.failing_emails:
                raise ApplicationError(
                    "HTTP 400: does not contain a valid address", non_retryable=True
                )
            self.sent.append(input)
            return DeliveryResult(
                audience_id=input.audience_id,
                message_kind=input.message_kind,
                transport="outbox",
                sent=[r.email for r in input.recipients],
            )

        @activity.defn(name="send_failure_notice")
        async def send_failure_notice(input: FailureNoticeInput) -> DeliveryResult:
            self.failure_notices.append(input)
            return DeliveryResult(
                audience_id="owner", message_kind="failure", sent=[input.owner.email]
            )

        @activity.defn(name="send_undelivered_notice")
        async def send_undelivered_notice(input: UndeliveredNoticeInput) -> DeliveryResult:
            self.undelivered_notices.append(input)
            return DeliveryResult(
                audience_id="owner", message_kind="undelivered", sent=[input.owner.email]
            )

        return [
            plan_process_retro,
            list_open_actions,
            retro_action_outcomes,
            group_retro_items,
            retro_counts,
            render_retro_emails,
            render_retro_summary,
            send_email,
            send_failure_notice,
            send_undelivered_notice,
        ]

    def _counts(self, workflow_id: str) -> RetroCounts:
        items = self.items.get(workflow_id, [])
        return RetroCounts(
            items=len(items),
            participants=len(set(items)),
            groups=len(items),
            votes=self.votes.get(workflow_id, 0),
            voters=1 if self.votes.get(workflow_id) else 0,
        )

    def _store(self) -> None:
        if self.store_down:
            raise ApplicationError("retro store: connection refused", non_retryable=True)

    def emailed(self, kind: str) -> list[list[str]]:
        """The recipients of each email of ``kind``, in order."""
        return [[c.email for c in e.recipients] for e in self.emails if e.kind == kind]


@asynccontextmanager
async def running_retro(
    client: Client, fakes: RetroFakes, period: str = "2026-W49", workflow_id: str | None = None
) -> AsyncIterator[Handle]:
    """A worker with the fakes and a started retro of ``period``."""
    task_queue = str(uuid.uuid4())
    async with Worker(
        client, task_queue=task_queue, workflows=[ProcessRetroWorkflow], activities=fakes.all()
    ):
        handle = await client.start_workflow(
            ProcessRetroWorkflow.run,
            RitualRunInput(ritual_id=RITUAL, period=period),
            id=workflow_id or f"{RITUAL}-{period}-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(days=60),
        )
        yield handle


async def stage(
    handle: Handle, wanted: RetroStage, until: Callable[[RetroStatus], bool] | None = None
) -> RetroStatus:
    """Poll until the retro is at ``wanted`` (and ``until`` holds of its status) and idle (no
    activity or task outstanding)."""
    for _ in range(250):
        status = await handle.query(ProcessRetroWorkflow.retro_status)
        if status.stage == wanted and (until is None or until(status)):
            raw = (await handle.describe()).raw_description
            if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
                # Asked again: the first answer may predate the step that made it idle.
                status = await handle.query(ProcessRetroWorkflow.retro_status)
                if status.stage == wanted and (until is None or until(status)):
                    return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"the retro never reached {wanted!r}: {status}")


async def advance(handle: Handle, stage: RetroStage, by: Contact = ANA) -> RetroStatus:
    return await handle.execute_update(
        ProcessRetroWorkflow.advance, AdvanceRequest(requested_by=by.email, stage=stage)
    )
