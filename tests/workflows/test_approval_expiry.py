"""A decision that arrives after its sender stopped waiting is refused, and replay agrees.

``not_after`` is when the CLI or the web page gave up (no worker was running); the workflow
compares it with its own clock, in the validator and again in the handler on replay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from opsrhythm.platform.approvals import policy
from opsrhythm.platform.approvals.models import ApprovalDecision
from tests.workflows.approval_fakes import (
    DEV,
    ApprovalFakes,
    approval,
    approval_state,
    decide,
    running_report,
)
from workflows.kpi_report import KpiReportWorkflow

GAVE_UP = datetime(2026, 10, 3, 9, 5, tzinfo=UTC)


def test_refusal_names_when_the_sender_stopped_waiting() -> None:
    """Past its not_after by the workflow's clock: refused, naming the time; before it: fine."""
    plan = approval()
    state = policy.Round(number=1, open=True)
    decision = ApprovalDecision(approver=DEV.email, decision="approve", not_after=GAVE_UP)
    late = policy.refusal(plan, state, decision, GAVE_UP + timedelta(seconds=1))
    in_time = policy.refusal(plan, state, decision, GAVE_UP)
    assert (
        "this decision arrived after its sender stopped waiting (at 09:05 UTC; no worker was "
        "running); it was not recorded — decide again",
        None,
    ) == (late, in_time)


async def test_an_expired_decision_is_refused_and_a_fresh_one_settles(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A decision whose sender gave up before the workflow saw it is refused and leaves no
    trace; the same approver's next decision, still awaited, approves."""
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    async with running_report(time_skipping_env.client, fakes) as handle:
        status = await approval_state(handle)
        assert status.deadline is not None
        asked_at = status.deadline - timedelta(days=3)
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await decide(handle, DEV, not_after=asked_at - timedelta(minutes=1))
        await decide(handle, DEV, not_after=status.deadline + timedelta(days=30))
        result = await handle.result()
        history = await handle.fetch_history()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.message.startswith("this decision arrived after its sender stopped waiting")
    assert result.approval is not None
    assert (["approve"], "approved") == (
        [e.action for e in result.approval.audit],
        result.approval.outcome,
    )
    # The handler checks not_after again on replay, against the clock replay gives back.
    replayer = Replayer(workflows=[KpiReportWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
