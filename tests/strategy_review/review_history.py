"""A whole quarter's review, as a test runs it and as ``record_histories`` records it for the
replay test: reminders, an escalation, a late update, changes requested, a resubmission, the
owner's redraft, approval and publishing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.actions.models import ActionUpdate
from opsrhythm.platform.approvals.models import ApprovalDecision, RedraftRequest
from opsrhythm.rituals.strategy_review.models import (
    ReviewStatus,
    StrategyReviewResult,
    SubmittedStatus,
)
from tests.strategy_review.workflow_fakes import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    EMMA,
    GRACE,
    ReviewFakes,
    running_review,
    sign_off,
    stage,
    submit,
)
from workflows.strategy_review import StrategyReviewWorkflow


@dataclass
class Quarter:
    fakes: ReviewFakes
    workflow_id: str
    before_grace: ReviewStatus
    late: SubmittedStatus
    resubmitted: SubmittedStatus
    built: ReviewStatus
    pre_reads_when_built: int
    result: StrategyReviewResult
    history: WorkflowHistory


async def full_quarter(env: WorkflowEnvironment, workflow_id: str | None = None) -> Quarter:
    """Chloé (with an action update) and Emma on time; Grace reminded, escalated to Dev, late
    (the pack is built at once, the pre-read waits for its time); Dev asks for changes, Chloé
    resubmits, Ana redrafts; Ben approves."""
    fakes = ReviewFakes(sign_off())
    async with running_review(env.client, fakes, workflow_id=workflow_id) as handle:
        await stage(handle, "collecting")
        update = ActionUpdate(action_id=fakes.actions[0].action_id, state="done", note="Priced")
        await submit(handle, "grow-revenue", CHLOE, action_updates=[update])
        await submit(handle, "insights-everywhere", EMMA)
        await env.sleep(timedelta(days=5, hours=12))
        before_grace = await stage(handle, "collecting")
        late = await submit(handle, "reduce-churn", GRACE, "red")
        built = await stage(handle, "pack built")
        pre_reads_when_built = len([s for s in fakes.sent if s.audience_id == "attendees"])
        await env.sleep(timedelta(hours=12))
        await stage(handle, "awaiting sign-off")
        await handle.execute_update(
            StrategyReviewWorkflow.decide,
            ApprovalDecision(
                approver=DEV.email, decision="request_changes", comment="Revenue is amber now"
            ),
        )
        await stage(handle, "redrafting")
        resubmitted = await submit(handle, "grow-revenue", CHLOE, "amber")
        await handle.execute_update(
            StrategyReviewWorkflow.redraft, RedraftRequest(requested_by=ANA.email, channel="cli")
        )
        await stage(handle, "awaiting sign-off")
        await handle.execute_update(
            StrategyReviewWorkflow.decide, ApprovalDecision(approver=BEN.email, decision="approve")
        )
        result = await handle.result()
        history = await handle.fetch_history()
    return Quarter(
        fakes,
        handle.id,
        before_grace,
        late,
        resubmitted,
        built,
        pre_reads_when_built,
        result,
        history,
    )
