"""Fake activities and helpers for running KpiReportWorkflow with an approval step."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from opsrhythm.platform.approvals.models import (
    ApprovalDecision,
    ApprovalEmailInput,
    ApprovalEmails,
    ApprovalMessage,
    ApprovalNoticeInput,
    ApprovalPlan,
    ApprovalStatus,
    Contact,
    RedraftRequest,
)
from opsrhythm.platform.models import DeliveryResult, SendEmailInput
from opsrhythm.rituals.kpi_report.models import (
    GatherSourceInput,
    KpiReportInput,
    KpiReportResult,
    PlanReportInput,
    ReportPlan,
    SourceValues,
)
from tests.workflows.test_kpi_report import FakeActivities, plan_for
from workflows.kpi_report import KpiReportWorkflow

ANA = Contact(name="Ana Silva", email="ana@acme.example")
DEV = Contact(name="Dev Patel", email="dev@acme.example")
CHLOE = Contact(name="Chloé Dubois", email="chloe@acme.example")
BEN = Contact(name="Ben Carter", email="ben@acme.example")
GRACE = Contact(name="Grace Kim", email="grace@acme.example")
DAY = 86_400


def approval(**changes: Any) -> ApprovalPlan:
    """Three approvers, any one of them; Ana (the owner) asks; three days; reject at deadline."""
    plan = ApprovalPlan(
        approvers=[DEV, CHLOE, BEN],
        requester=ANA,
        owner=ANA,
        deadline_seconds=3 * DAY,
        reminder_offsets_seconds=[2 * DAY],
    )
    return plan.model_copy(update=changes)


class ApprovalFakes(FakeActivities):
    """The KPI fakes, a plan with ``approval``, and records of approval emails and notices.

    ``restated``: KPI ids whose every value rises by 10 with each gather after the first, as if
    the owner fixed them between rounds. ``failing_kinds``: approval email kinds whose
    rendering fails for good."""

    def __init__(
        self,
        plan: ApprovalPlan,
        hold_sends: asyncio.Event | None = None,
        restated: frozenset[str] = frozenset(),
        failing_kinds: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.approval = plan
        self.hold_sends = hold_sends
        self.restated = restated
        self.failing_kinds = failing_kinds
        self.gathers: dict[str, int] = {}
        self.approval_emails: list[ApprovalEmailInput] = []
        self.owner_notices: list[ApprovalNoticeInput] = []

    def all(self) -> list[Callable[..., Any]]:
        replaced = {"plan_report", "send_email", "gather_source"}
        kept = [fn for fn in super().all() if getattr(fn, "__name__", "") not in replaced]

        @activity.defn(name="plan_report")
        async def plan_report(input: PlanReportInput) -> ReportPlan:
            return plan_for(input.period).model_copy(update={"approval": self.approval})

        @activity.defn(name="gather_source")
        async def gather_source(input: GatherSourceInput) -> SourceValues:
            earlier = self.gathers.get(input.source_id, 0)
            self.gathers[input.source_id] = earlier + 1
            return SourceValues(
                source_id=input.source_id,
                values={
                    k: {
                        p: 100.0 + i + (10.0 * earlier if k in self.restated else 0.0)
                        for i, p in enumerate(input.periods)
                    }
                    for k in input.kpi_ids
                },
            )

        @activity.defn(name="send_email")
        async def send_email(input: SendEmailInput) -> DeliveryResult:
            if self.hold_sends is not None and input.message_kind == "report":
                await self.hold_sends.wait()
            self.sent.append(input)
            return DeliveryResult(
                audience_id=input.audience_id,
                message_kind=input.message_kind,
                transport="outbox",
                sent=[r.email for r in input.recipients],
            )

        @activity.defn(name="render_approval_emails")
        async def render_approval_emails(input: ApprovalEmailInput) -> ApprovalEmails:
            if input.kind in self.failing_kinds:
                raise ApplicationError(f"no template for {input.kind}", non_retryable=True)
            self.approval_emails.append(input)
            return ApprovalEmails(
                messages=[
                    ApprovalMessage(recipient=r, path=f"/approval/{input.kind}/{r.email}")
                    for r in input.recipients
                ]
            )

        @activity.defn(name="render_approval_notice")
        async def render_approval_notice(input: ApprovalNoticeInput) -> str:
            self.owner_notices.append(input)
            return f"/approval/notice/{input.event}"

        return [
            *kept,
            plan_report,
            gather_source,
            send_email,
            render_approval_emails,
            render_approval_notice,
        ]

    def reports_sent(self) -> list[str]:
        return [s.audience_id for s in self.sent if s.message_kind == "report"]

    def emailed(self, kind: str) -> list[list[str]]:
        return [[r.email for r in e.recipients] for e in self.approval_emails if e.kind == kind]


Handle = WorkflowHandle[KpiReportWorkflow, KpiReportResult]


@asynccontextmanager
async def running_report(client: Client, fakes: ApprovalFakes) -> AsyncIterator[Handle]:
    """A worker with the fakes and a started report; the report waits for its approval."""
    task_queue = str(uuid.uuid4())
    async with Worker(
        client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        handle = await client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=f"monthly-kpi-report-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(days=30),
        )
        yield handle


async def approval_state(
    handle: Handle, state: str = "pending", round: int = 1, escalated: bool = False
) -> ApprovalStatus:
    """Poll until the approval reaches this state and the run is idle (5 s at most).

    Idle: no activity or workflow task outstanding, so the round's emails are out.
    """
    for _ in range(250):
        status = await handle.query(KpiReportWorkflow.approval)
        if (status.state, status.round, status.escalated) == (state, round, escalated):
            raw = (await handle.describe()).raw_description
            if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
                return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"approval never reached {state} round {round}: {status}")


async def decide(
    handle: Handle, who: Contact, decision: str = "approve", comment: str = "", **extra: Any
) -> ApprovalStatus:
    return await handle.execute_update(
        KpiReportWorkflow.decide,
        ApprovalDecision(
            approver=who.email, decision=decision, comment=comment, channel="cli", **extra
        ),
    )


async def redraft(handle: Handle, who: Contact = ANA, **extra: Any) -> ApprovalStatus:
    """The owner's word that the requested changes are made."""
    return await handle.execute_update(
        KpiReportWorkflow.redraft,
        RedraftRequest(requested_by=who.email, channel="cli", **extra),
    )
