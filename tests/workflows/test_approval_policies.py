"""The approval step's policies and refusals, on the time-skipping server with fake activities."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.approval_fakes import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    GRACE,
    ApprovalFakes,
    approval,
    approval_state,
    decide,
    running_report,
)
from tests.workflows.test_kpi_report import activity_options


async def refusal(coroutine: object) -> str:
    """The message of the validator's refusal of an Update."""
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await coroutine  # type: ignore[misc]
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def test_any_one_approval_sends_the_report(time_skipping_env: WorkflowEnvironment) -> None:
    """Policy any: the first approval lets the report go out, with the decision in the trail."""
    fakes = ApprovalFakes(approval())
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, CHLOE, comment="Looks right")
        result = await handle.result()
    assert ["leadership", "squad"] == sorted(fakes.reports_sent())
    assert result.approval is not None
    [entry] = result.approval.audit
    assert ("approved", CHLOE.email, "approve", "cli", "Looks right") == (
        result.approval.outcome,
        entry.actor,
        entry.action,
        entry.channel,
        entry.comment,
    )


async def test_all_waits_for_every_approver(time_skipping_env: WorkflowEnvironment) -> None:
    """Policy all: two approvals of three leave it pending; the third settles it."""
    fakes = ApprovalFakes(approval(policy="all", required=3))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        after_two = await decide(handle, CHLOE)
        await decide(handle, BEN)
        result = await handle.result()
    assert ("pending", [BEN.email]) == (after_two.state, [p.email for p in after_two.pending])
    assert result.approval is not None and "approved" == result.approval.outcome


async def test_n_of_m_settles_at_n(time_skipping_env: WorkflowEnvironment) -> None:
    """Policy 2 of 3: the second approval settles it without the third approver."""
    fakes = ApprovalFakes(approval(policy="n_of_m", required=2))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        first = await decide(handle, DEV)
        second = await decide(handle, BEN)
        await handle.result()
    assert ("pending", "approved") == (first.state, second.state)


async def test_reject_under_any_leaves_others_to_decide(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Without a veto, one rejection of three under 'any' does not end the request."""
    fakes = ApprovalFakes(approval())
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        status = await decide(handle, DEV, "reject", "numbers look off")
        await decide(handle, CHLOE)
        await handle.result()
    assert "pending" == status.state


async def test_veto_rejection_ends_it(time_skipping_env: WorkflowEnvironment) -> None:
    """A veto holder's rejection stops the run at once, though others could still approve."""
    fakes = ApprovalFakes(approval(veto=[DEV.email]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        status = await decide(handle, DEV, "reject", "churn figure is wrong")
        await handle.result()
    assert ("rejected", f"rejected by {DEV.email}: churn figure is wrong", []) == (
        status.state,
        status.reason,
        fakes.reports_sent(),
    )


async def test_reject_stops_with_reason(time_skipping_env: WorkflowEnvironment) -> None:
    """A rejection ends the run without stakeholder emails; the reason is in the result."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "reject", "MRR double-counts upgrades")
        result = await handle.result()
    assert result.approval is not None
    assert f"rejected by {DEV.email}: MRR double-counts upgrades" == result.approval.reason
    assert ([], [], ["rejected"]) == (
        result.deliveries,
        fakes.reports_sent(),
        [n.event for n in fakes.owner_notices],
    )


async def test_reject_without_reason_is_refused(time_skipping_env: WorkflowEnvironment) -> None:
    """A rejection needs a reason; without one the caller is told and nothing is recorded."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        message = await refusal(decide(handle, DEV, "reject", "  "))
        await decide(handle, DEV)
        await handle.result()
    assert "a reason is required to reject" == message


async def test_unauthorised_approver_is_refused_before_history(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Someone not configured cannot decide, and the refused Update never enters history."""
    fakes = ApprovalFakes(approval())
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        message = await refusal(decide(handle, GRACE))
        await decide(handle, DEV)
        await handle.result()
        history = await handle.fetch_history()
    accepted = [
        e
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert f"{GRACE.email} is not an approver of this request" == message
    assert 1 == len(accepted)


async def test_requester_cannot_approve_own_request(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """The requester may be listed as an approver but is refused when approving."""
    fakes = ApprovalFakes(approval(approvers=[ANA, DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        message = await refusal(decide(handle, ANA))
        await decide(handle, DEV)
        await handle.result()
    assert f"{ANA.email} requested this approval and cannot approve it" == message


async def test_second_decision_by_same_approver_is_refused(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """An approver decides once per round; a repeat is refused, naming the first decision."""
    fakes = ApprovalFakes(approval(policy="all", required=3))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        message = await refusal(decide(handle, DEV))
        await decide(handle, CHLOE)
        await decide(handle, BEN)
        await handle.result()
    assert message.startswith(f"{DEV.email} already decided (approve at ")


async def test_decision_after_settlement_is_refused(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Once approved, a late decision is refused even while the report is still sending."""
    hold = asyncio.Event()
    fakes = ApprovalFakes(approval(), hold_sends=hold)
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        message = await refusal(decide(handle, CHLOE, "reject", "too late"))
        hold.set()
        await handle.result()
    assert "this approval is already settled (approved)" == message


async def test_approval_emails_render_with_heartbeat_and_bounded_retries(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Rendering each approver's email heartbeats (30 s) and gives up after 3 attempts."""
    fakes = ApprovalFakes(approval())
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, CHLOE)
        await handle.result()
        options = await activity_options(handle, {"render_approval_emails"})
    assert {("render_approval_emails", timedelta(seconds=30), 3, ("RenderError",))} == options
