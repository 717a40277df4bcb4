"""Escalation counts what the backup already decided: every policy x the backup's earlier word.

The README's example: Ben is an approver and the backup. Approvers Dev, Chloé and Ben; Ana asks;
a one-minute deadline that escalates. Each row says what Ben did before the deadline (or that
the backup is Grace, who is no approver) and how the round ends, on the time-skipping server.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.workflows.approval_fakes import (
    BEN,
    GRACE,
    ApprovalFakes,
    approval,
    approval_state,
    decide,
    running_report,
)

DEADLINE = 60
Prior = Literal["none", "approved", "rejected", "outsider"]
# (policy, the backup's earlier decision) -> (outcome, who got an escalation email, escalated)
TABLE: list[tuple[str, Prior, str, list[list[str]], bool]] = [
    ("any", "none", "approved", [[BEN.email]], True),
    ("any", "approved", "approved", [], False),
    ("any", "rejected", "rejected", [], True),
    ("any", "outsider", "approved", [[GRACE.email]], True),
    ("all", "none", "approved", [[BEN.email]], True),
    ("all", "approved", "approved", [], True),
    ("all", "rejected", "rejected", [], False),
    ("all", "outsider", "approved", [[GRACE.email]], True),
    ("n_of_m", "none", "approved", [[BEN.email]], True),
    ("n_of_m", "approved", "approved", [], True),
    ("n_of_m", "rejected", "rejected", [], True),
    ("n_of_m", "outsider", "approved", [[GRACE.email]], True),
]
REQUIRED = {"any": 1, "all": 3, "n_of_m": 2}


@pytest.mark.parametrize(("policy", "prior", "outcome", "escalation_emails", "escalated"), TABLE)
async def test_escalation_counts_the_backups_earlier_decision(
    time_skipping_env: WorkflowEnvironment,
    policy: str,
    prior: Prior,
    outcome: str,
    escalation_emails: list[list[str]],
    escalated: bool,
) -> None:
    """A backup who already approved settles it approved, who rejected settles it rejected,
    and is not asked again; one who had not decided is asked and decides."""
    backup = GRACE if prior == "outsider" else BEN
    plan = approval(
        policy=policy,
        required=REQUIRED[policy],
        deadline_seconds=DEADLINE,
        reminder_offsets_seconds=[],
        on_timeout="escalate",
        backup=backup,
    )
    fakes = ApprovalFakes(plan)
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        if prior == "approved":
            await decide(handle, BEN, comment="Fine by me")
        elif prior == "rejected":
            await decide(handle, BEN, "reject", "numbers look off")
        else:
            await time_skipping_env.sleep(timedelta(seconds=DEADLINE + 1))
            await approval_state(handle, escalated=True)
            await decide(handle, backup, comment="Approved on the team's behalf")
        result = await handle.result()
    assert result.approval is not None
    escalations = [e for e in result.approval.audit if e.action == "escalate"]
    assert (outcome, escalation_emails, escalated) == (
        result.approval.outcome,
        fakes.emailed("escalation"),
        bool(escalations),
    )
    if outcome == "rejected":
        assert f"rejected by {BEN.email}: numbers look off" == result.approval.reason


async def test_escalation_to_an_approver_who_approved_says_so_in_the_trail(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """The escalation's audit entry names the backup's earlier decision, and the owner is not
    told that the backup was asked."""
    plan = approval(
        policy="all",
        required=3,
        deadline_seconds=DEADLINE,
        reminder_offsets_seconds=[],
        on_timeout="escalate",
        backup=BEN,
    )
    fakes = ApprovalFakes(plan)
    async with running_report(time_skipping_env.client, fakes) as handle:
        await approval_state(handle)
        await decide(handle, BEN)
        result = await handle.result()
    assert result.approval is not None
    [escalation] = [e for e in result.approval.audit if e.action == "escalate"]
    assert (f"no decision by the deadline; {BEN.email} had decided (approve)", []) == (
        escalation.comment,
        [n.event for n in fakes.owner_notices],
    )
