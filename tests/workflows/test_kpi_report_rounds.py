"""A request for changes redrafts into the next round's archive, so round 1's stays."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from tests.workflows.approval_fakes import (
    DEV,
    ApprovalFakes,
    approval,
    approval_state,
    decide,
    running_report,
)


async def test_each_redraft_is_rendered_for_its_own_round(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Round 1 renders with round 1, the redraft after a request for changes with round 2."""
    fakes = ApprovalFakes(approval(approvers=[DEV], redraft_after_seconds=60))
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, DEV, "request_changes", "Use the restated churn")
        await time_skipping_env.sleep(timedelta(minutes=2))  # the delay, if the gate waits
        await approval_state(handle, round=2)
        await decide(handle, DEV)
        await handle.result()
    assert [1, 2] == [rendered.round for rendered in fakes.rendered]
