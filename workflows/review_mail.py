"""The strategy review's emails to owners and managers: the kick-off, reminders before the due
date, escalations after it and, after a request for changes, the owners' notice; each rendered
per recipient (their own links, never another owner's draft) and sent through ``send_email``
and its ledger.

Keys hold the run id, as the approval step's do: a re-run of a failed review asks again. One
email that cannot go never stops the others: it is counted in the result, kept in
``undelivered`` (the status shows it) and the ritual's owner is told once per batch.
Deterministic code only.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.actions.models import ActionItem
    from opsrhythm.platform.models import DeliveryResult
    from opsrhythm.rituals.strategy_review.models import (
        RENDER_REVIEW_EMAILS,
        ReviewEmailInput,
        ReviewItemPlan,
        ReviewPlan,
    )
    from workflows.per_recipient_mail import render_and_send, tell_if_undelivered
    from workflows.review_collection import Collection

EmailKind = Literal["kick-off", "reminder", "escalation", "changes-requested"]
FollowUp = tuple[datetime, str, list[ReviewItemPlan]]


def follow_ups(plan: ReviewPlan) -> list[FollowUp]:
    """Every reminder moment with the items due a reminder then (label 'reminder-N', N the
    reminder's number for its owner), the due time, and the escalation (to each item's manager,
    or the ritual's owner where it names none)."""
    timed = sorted(
        (
            (moment, number, item)
            for item in plan.items
            for number, moment in enumerate(item.reminders_at, 1)
        ),
        key=lambda entry: (entry[0], entry[1]),
    )
    found: list[FollowUp] = [
        (moment, f"reminder-{number}", [item for _, _, item in group])
        for (moment, number), group in groupby(timed, key=lambda entry: (entry[0], entry[1]))
    ]
    # The due time itself sends nothing; it wakes the run, so the status query (which sees the
    # time of the run's last step) names the late owners from then on.
    found.append((plan.due_at, "due", []))
    if plan.items:
        found.append((plan.escalate_at, "escalation", list(plan.items)))
    return sorted(found, key=lambda follow_up: follow_up[0])


async def follow_up_until(
    plan: ReviewPlan, collection: Collection, until: datetime, undelivered: list[DeliveryResult]
) -> list[DeliveryResult]:
    """Remind and escalate on time, only about items still without an update, until every
    update is in, the owner closes collection, or ``until``."""
    deliveries: list[DeliveryResult] = []
    for moment, label, items in follow_ups(plan):
        if moment >= until or await collection.all_in_by(moment):
            break
        waiting = {i.item_id for i in collection.pending()}
        missing = [item for item in items if item.item_id in waiting]
        kind: EmailKind = "escalation" if label == "escalation" else "reminder"
        deliveries += await email_items(plan, kind, missing, label, undelivered)
    await collection.all_in_by(until)
    return deliveries


async def email_items(
    plan: ReviewPlan,
    kind: EmailKind,
    items: list[ReviewItemPlan],
    label: str,
    undelivered: list[DeliveryResult],
    open_actions: list[ActionItem] | None = None,
    comment: str = "",
) -> list[DeliveryResult]:
    """Render one email per owner (or manager) about ``items`` and send each; failures go to
    ``undelivered`` and the ritual's owner is told."""
    if not items:
        return []
    info = workflow.info()
    request = ReviewEmailInput(
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        plan=plan,
        kind=kind,
        items=items,
        open_actions=open_actions or [],
        comment=comment,
    )
    deliveries = await render_and_send(
        RENDER_REVIEW_EMAILS,
        request,
        plan,
        audience="managers" if kind == "escalation" else "owners",
        label=label,
        expected=[_recipient_of(plan, kind, item) for item in items],
    )
    undelivered += await tell_if_undelivered(plan, label, deliveries)
    return deliveries


def _recipient_of(plan: ReviewPlan, kind: EmailKind, item: ReviewItemPlan) -> str:
    if kind != "escalation":
        return item.owner.email
    return item.manager.email if item.manager is not None else plan.owner.email
