"""The approval step over time: rounds after requested changes, reminders, deadline outcomes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from tests.workflows.approval_fakes import (
    DAY,
    DEV,
    GRACE,
    ApprovalFakes,
    approval,
    approval_state,
    decide,
    redraft,
    running_report,
)


async def test_requested_changes_redraft_and_ask_again(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A request for changes, then the owner's redraft: the draft is re-rendered and asked
    again; the new round approves it."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "request_changes", "Use the restated churn")
        await approval_state(handle, "redrafting")
        await redraft(handle)
        await approval_state(handle, round=2)
        await decide(handle, DEV, comment="Better")
        result = await handle.result()
    assert result.approval is not None
    assert (2, 2, [[DEV.email], [DEV.email]]) == (
        len(fakes.rendered),
        result.approval.rounds,
        fakes.emailed("request"),
    )
    assert ["changes_requested"] == [n.event for n in fakes.owner_notices]


async def test_decision_for_a_replaced_round_is_refused(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A link from round 1 cannot decide round 2, which shows a different draft."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "request_changes", "Use the restated churn")
        await approval_state(handle, "redrafting")
        await redraft(handle)
        await approval_state(handle, round=2)
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await decide(handle, DEV, round=1)
        await decide(handle, DEV, round=2)
        await handle.result()
    assert "was replaced by round 2" in str(failure.value.cause)


async def test_reminders_then_reject_at_deadline(time_skipping_env: WorkflowEnvironment) -> None:
    """Undecided: reminded after 2 days, rejected at 3, the owner told; it takes well under 1 s."""
    fakes = ApprovalFakes(approval(approvers=[DEV, GRACE], reminder_offsets_seconds=[DAY, 2 * DAY]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        started = time.monotonic()
        result = await handle.result()
        elapsed = time.monotonic() - started
    assert result.approval is not None
    assert ("rejected", "no decision by the deadline") == (
        result.approval.outcome,
        result.approval.reason,
    )
    assert [[DEV.email, GRACE.email]] * 2 == fakes.emailed("reminder")
    assert (["rejected"], []) == ([n.event for n in fakes.owner_notices], fakes.reports_sent())
    assert elapsed < 1.0


async def test_reminders_skip_who_already_decided(time_skipping_env: WorkflowEnvironment) -> None:
    """A reminder goes only to approvers who have not decided yet."""
    fakes = ApprovalFakes(approval(policy="all", required=2, approvers=[DEV, GRACE]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        await handle.result()
    assert [[GRACE.email]] == fakes.emailed("reminder")


async def test_deadline_can_approve(time_skipping_env: WorkflowEnvironment) -> None:
    """on_timeout approve: the report goes out at the deadline and the owner is told."""
    fakes = ApprovalFakes(approval(on_timeout="approve"))
    async with running_report(time_skipping_env.client, fakes) as handle:
        result = await handle.result()
    assert result.approval is not None
    assert ("approved", "deadline") == (result.approval.outcome, result.approval.audit[-1].channel)
    assert (["approved_at_deadline"], 2) == (
        [n.event for n in fakes.owner_notices],
        len(fakes.reports_sent()),
    )


async def test_deadline_escalates_to_backup(time_skipping_env: WorkflowEnvironment) -> None:
    """on_timeout escalate: after 3 days the backup is asked, the owner told, and it decides."""
    fakes = ApprovalFakes(approval(approvers=[DEV], on_timeout="escalate", backup=GRACE))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await time_skipping_env.sleep(timedelta(days=3, minutes=1))
        await approval_state(handle, escalated=True)
        await decide(handle, GRACE, comment="Approved on Dev's behalf")
        result = await handle.result()
    assert result.approval is not None
    assert ([[GRACE.email]], ["escalated"], "approved") == (
        fakes.emailed("escalation"),
        [n.event for n in fakes.owner_notices],
        result.approval.outcome,
    )


async def test_escalation_unanswered_rejects(time_skipping_env: WorkflowEnvironment) -> None:
    """An escalation nobody answers either ends in a rejection: the ritual never waits forever."""
    fakes = ApprovalFakes(approval(approvers=[DEV], on_timeout="escalate", backup=GRACE))
    async with running_report(time_skipping_env.client, fakes) as handle:
        result = await handle.result()
    assert result.approval is not None
    assert "no decision by the deadline, even after escalating to the backup" == (
        result.approval.reason
    )


async def test_approval_emails_use_the_ledger_path_without_click_tracking(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Requests go through send_email, one ledger key per run, round and kind, click tracking
    off; so does the 'settled' email to the approver who did not decide."""
    fakes = ApprovalFakes(approval(approvers=[DEV, GRACE]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        await handle.result()
    approval_sends = [s for s in fakes.sent if s.audience_id == "approval"]
    run = handle.result_run_id
    assert [(f"approval-request-r1-{run}", True)] * 2 + [(f"approval-settled-r1-{run}", True)] == [
        (s.message_kind, s.disable_click_tracking) for s in approval_sends
    ]
