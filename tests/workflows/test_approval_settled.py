"""Approvers who were asked but did not decide are told how the round was settled.

KpiReportWorkflow on the time-skipping server with fake activities: approvers Dev, Chloé and
Ben, Ana asks.
"""

from __future__ import annotations

from temporalio.testing import WorkflowEnvironment

from tests.workflows.approval_fakes import (
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


def settled(fakes: ApprovalFakes) -> list[tuple[list[str], str, int]]:
    return [
        ([r.email for r in e.recipients], e.outcome, e.round)
        for e in fakes.approval_emails
        if e.kind == "settled"
    ]


async def test_an_approval_is_told_to_those_who_did_not_decide(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Dev approves under 'any': Chloé and Ben get a 'settled' email saying so, under their own
    ledger key; Dev gets none."""
    fakes = ApprovalFakes(approval())
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        await handle.result()
    keys = {
        s.message_kind
        for s in fakes.sent
        if s.audience_id == "approval" and s.recipients[0].email in (CHLOE.email, BEN.email)
    }
    assert [([CHLOE.email, BEN.email], f"approved by {DEV.email}", 1)] == settled(fakes)
    assert {f"approval-request-r1-{handle.result_run_id}"} | {
        f"approval-settled-r1-{handle.result_run_id}"
    } == keys


async def test_a_veto_is_told_with_its_reason(time_skipping_env: WorkflowEnvironment) -> None:
    """A veto holder's rejection reaches the others with the reason."""
    fakes = ApprovalFakes(approval(veto=[DEV.email]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "reject", "churn figure is wrong")
        await handle.result()
    assert [
        ([CHLOE.email, BEN.email], f"rejected by {DEV.email}: churn figure is wrong", 1)
    ] == settled(fakes)


async def test_the_deadline_outcome_is_told_to_everyone_asked(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Nobody decides: every approver asked, the backup included, learns it was rejected."""
    plan = approval(approvers=[DEV, CHLOE], on_timeout="escalate", backup=GRACE)
    fakes = ApprovalFakes(plan)
    async with running_report(time_skipping_env.client, fakes) as handle:
        await handle.result()
    reason = "no decision by the deadline, even after escalating to the backup"
    assert [([DEV.email, CHLOE.email, GRACE.email], f"rejected: {reason}", 1)] == settled(fakes)


async def test_an_approval_at_the_deadline_says_so(time_skipping_env: WorkflowEnvironment) -> None:
    """on_timeout approve: the approvers learn it was approved at the deadline, by nobody."""
    fakes = ApprovalFakes(approval(approvers=[DEV, CHLOE], on_timeout="approve"))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await handle.result()
    assert [([DEV.email, CHLOE.email], "approved at the deadline, as configured", 1)] == settled(
        fakes
    )


async def test_nobody_left_to_tell_sends_nothing(time_skipping_env: WorkflowEnvironment) -> None:
    """The only approver decided: no 'settled' email."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        await handle.result()
    assert [] == settled(fakes)


async def test_a_settled_email_that_fails_never_fails_the_ritual(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Its rendering refused for good: logged, and the approved report still goes out."""
    fakes = ApprovalFakes(approval(), failing_kinds=frozenset({"settled"}))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV)
        result = await handle.result()
    assert result.approval is not None
    assert ("approved", ["leadership", "squad"], []) == (
        result.approval.outcome,
        sorted(fakes.reports_sent()),
        settled(fakes),
    )
