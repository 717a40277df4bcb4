"""A request for changes waits for the owner; round N then says what was asked and what changed.

KpiReportWorkflow on the time-skipping server with fake activities; Ana owns the report.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.approvals.models import RedraftRequest
from tests.workflows.approval_fakes import (
    ANA,
    CHLOE,
    DAY,
    DEV,
    ApprovalFakes,
    Handle,
    approval,
    approval_state,
    decide,
    redraft,
    running_report,
)
from workflows.kpi_report import KpiReportWorkflow

CHURN_FIX = "Use the restated churn"


async def refused(coroutine: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await coroutine  # type: ignore[misc]
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def changes_then_approved(handle: Handle) -> None:
    await approval_state(handle, round=2)
    await decide(handle, DEV, comment="Better")
    await handle.result()


async def test_a_request_for_changes_waits_for_the_owner(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Ten days after a request for changes nothing is redrafted; the owner's redraft starts
    round 2 at once. Meanwhile the status says it waits for the owner, with no due time."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "request_changes", CHURN_FIX)
        await time_skipping_env.sleep(timedelta(days=10))
        waiting = await approval_state(handle, "redrafting")
        drafts_while_waiting = len(fakes.rendered)
        await redraft(handle)
        await changes_then_approved(handle)
    [notice] = fakes.owner_notices
    assert ("redrafting", None, 1, 2) == (
        waiting.state,
        waiting.redraft_due,
        drafts_while_waiting,
        len(fakes.rendered),
    )
    assert ("changes_requested", None) == (notice.event, notice.redraft_due)


async def test_redraft_after_the_configured_delay(time_skipping_env: WorkflowEnvironment) -> None:
    """With redraft_after, nobody redrafting: round 2 is drafted a day later on its own; the
    owner's notice and the status carry the time, and the audit trail says it was the delay."""
    fakes = ApprovalFakes(approval(approvers=[DEV], redraft_after_seconds=DAY))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        requested = await decide(handle, DEV, "request_changes", CHURN_FIX)
        waiting = await approval_state(handle, "redrafting")
        await time_skipping_env.sleep(timedelta(days=1, minutes=1))
        await changes_then_approved(handle)
    [notice] = fakes.owner_notices
    [entry] = [e for e in requested.audit if e.action == "request_changes"]
    assert waiting.redraft_due is not None
    late = waiting.redraft_due - (entry.at + timedelta(days=1))
    assert (True, waiting.redraft_due) == (
        timedelta(0) <= late < timedelta(seconds=5),
        notice.redraft_due,
    )
    result = await handle.result()
    assert result.approval is not None
    assert [("opsrhythm", "deadline")] == [
        (e.actor, e.channel) for e in result.approval.audit if e.action == "redraft"
    ]


async def test_round_two_says_what_was_asked_and_what_changed(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Dev approves with a comment, Chloé asks for changes: the owner's notice lists only
    Chloé's request; round 2's draft, email and status name it and the churn figure's change."""
    plan = approval(approvers=[DEV, CHLOE], policy="all", required=2)
    fakes = ApprovalFakes(plan, restated=frozenset({"churn"}))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, comment="Looks fine to me")
        await decide(handle, CHLOE, "request_changes", CHURN_FIX)
        await approval_state(handle, "redrafting")
        await redraft(handle)
        round_two = await approval_state(handle, round=2)
        # Finish the run: one left waiting with no worker stops time skipping for later tests.
        await decide(handle, DEV)
        await decide(handle, CHLOE)
        await handle.result()
    first, second = (e.draft for e in fakes.approval_emails if e.kind == "request")
    before = first.figures["Churn"]
    asked = [f"{CHLOE.email}: {CHURN_FIX}"]
    changed = [f"Churn: {before} -> {float(before) + 10:,.0f}"]
    assert (f"{CHLOE.email}: {CHURN_FIX}", asked, changed) == (
        fakes.owner_notices[0].detail,
        round_two.asked,
        round_two.changed,
    )
    assert (asked, changed) == (second.asked, second.changed)
    assert ([], []) == (first.asked, first.changed)


async def test_no_figure_changed_is_said_as_an_empty_list(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Redrafted with the same figures: round 2 still names the request, and no change."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "request_changes", CHURN_FIX)
        await approval_state(handle, "redrafting")
        await redraft(handle)
        round_two = await approval_state(handle, round=2)
        await decide(handle, DEV)
        await handle.result()
    assert ([f"{DEV.email}: {CHURN_FIX}"], []) == (round_two.asked, round_two.changed)


async def test_redraft_is_refused_unless_changes_were_requested(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A redraft while approvers are deciding, or naming another round, is refused in one line
    and never enters history; a decision while the owner redrafts is refused too."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        early = await refused(redraft(handle))
        await decide(handle, DEV, "request_changes", CHURN_FIX)
        await approval_state(handle, "redrafting")
        wrong_round = await refused(redraft(handle, round=3))
        decision = await refused(decide(handle, DEV))
        await redraft(handle, round=1)
        await changes_then_approved(handle)
    assert (
        "this run is not waiting for a redraft",
        "round 1 asked for changes, not round 3",
        "changes were requested: a new draft is being prepared, and a new request follows",
    ) == (early, wrong_round, decision)


async def test_the_owners_redraft_is_audited_with_its_update_id(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """The redraft's audit entry names who asked, the channel and the Update's id."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "request_changes", CHURN_FIX)
        await approval_state(handle, "redrafting")
        status = await handle.execute_update(
            KpiReportWorkflow.redraft,
            RedraftRequest(requested_by=ANA.email, channel="cli"),
            id="redraft-by-ana",
        )
        await changes_then_approved(handle)
    [entry] = [e for e in status.audit if e.action == "redraft"]
    assert (ANA.email, "cli", "redraft-by-ana", 1) == (
        entry.actor,
        entry.channel,
        entry.update_id,
        entry.round,
    )
