"""Telling the item owners when an approver asks for changes to the review's pack: each gets
the approvers' comments and their own form links, since their updates count again until the
ritual's owner redrafts. Runs beside the approval gate; deterministic code only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.approvals import policy
    from opsrhythm.platform.approvals.models import ApprovalResult
    from opsrhythm.platform.models import DeliveryResult
    from opsrhythm.rituals.strategy_review.models import ReviewPlan
    from workflows.approval import ApprovalGate
    from workflows.review_mail import email_items


async def with_owners_told(
    gate: ApprovalGate,
    plan: ReviewPlan,
    undelivered: list[DeliveryResult],
    sign_off: Awaitable[ApprovalResult],
) -> ApprovalResult:
    """``sign_off``'s result; meanwhile every round that waits for a redraft emails the item
    owners once (label ``changes-rN``)."""
    settled = False
    told = 0

    def changes_asked() -> bool:
        return settled or (gate.awaiting_redraft and gate.round.number > told)

    async def tell_owners() -> None:
        nonlocal told
        while True:
            await workflow.wait_condition(changes_asked)
            if settled:
                return
            told = gate.round.number
            await email_items(
                plan,
                "changes-requested",
                plan.items,
                f"changes-r{told}",
                undelivered,
                comment="; ".join(policy.asked(gate.round)),
            )

    telling = asyncio.create_task(tell_owners())
    try:
        return await sign_off
    finally:
        settled = True
        await telling
