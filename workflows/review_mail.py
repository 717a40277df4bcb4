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

import asyncio
from datetime import datetime
from itertools import groupby
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.actions.models import ActionItem
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import (
        SEND_EMAIL,
        DeliveryResult,
        FailedRecipient,
        SendEmailInput,
    )
    from opsrhythm.rituals.strategy_review.models import (
        RENDER_REVIEW_EMAILS,
        ReviewEmailInput,
        ReviewItemPlan,
        ReviewMessage,
        ReviewPlan,
    )
    from workflows.activity_options import (
        RENDER_HEARTBEAT,
        RENDER_RETRY,
        RENDER_TIMEOUT,
        SEND_HEARTBEAT,
        SEND_RETRY,
        SEND_TIMEOUT,
    )
    from workflows.owner_notices import tell_undelivered
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
    deliveries = await _render_and_send(plan, kind, items, label, open_actions or [], comment)
    failed = [d for d in deliveries if d.failed]
    if failed:
        undelivered += failed
        await tell_undelivered(plan, label, [f for d in failed for f in d.failed])
    return deliveries


async def _render_and_send(
    plan: ReviewPlan,
    kind: EmailKind,
    items: list[ReviewItemPlan],
    label: str,
    open_actions: list[ActionItem],
    comment: str,
) -> list[DeliveryResult]:
    info = workflow.info()
    request = ReviewEmailInput(
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        plan=plan,
        kind=kind,
        items=items,
        open_actions=open_actions,
        comment=comment,
    )
    audience = "managers" if kind == "escalation" else "owners"
    try:
        emails = await RENDER_REVIEW_EMAILS.execute(
            request,
            start_to_close_timeout=RENDER_TIMEOUT,
            heartbeat_timeout=RENDER_HEARTBEAT,
            retry_policy=RENDER_RETRY,
        )
    except ActivityError as error:
        workflow.logger.error("Review %s emails not rendered: %s", label, root_message(error))
        failed = [
            FailedRecipient(email=_recipient_of(plan, kind, item), error=root_message(error))
            for item in items
        ]
        return [DeliveryResult(audience_id=audience, message_kind=label, failed=failed)]
    return list(await asyncio.gather(*(_send(plan, m, audience, label) for m in emails.messages)))


def _recipient_of(plan: ReviewPlan, kind: EmailKind, item: ReviewItemPlan) -> str:
    if kind != "escalation":
        return item.owner.email
    return item.manager.email if item.manager is not None else plan.owner.email


async def _send(
    plan: ReviewPlan, message: ReviewMessage, audience: str, label: str
) -> DeliveryResult:
    """``label`` plus the run id is the ledger's key: once per run and recipient."""
    send = SendEmailInput(
        workflow_id=workflow.info().workflow_id,
        ritual_id=plan.ritual_id,
        period=plan.period,
        audience_id=audience,
        message_kind=f"{label}-{workflow.info().run_id}",
        message_path=message.path,
        recipients=[message.recipient],
        disable_click_tracking=True,  # the provider must never rewrite the signed links
    )
    try:
        return await SEND_EMAIL.execute(
            send,
            start_to_close_timeout=SEND_TIMEOUT,
            heartbeat_timeout=SEND_HEARTBEAT,
            retry_policy=SEND_RETRY,
        )
    except ActivityError as error:
        workflow.logger.error("Review %s to %s not sent: %s", label, message.recipient.email, error)
        return DeliveryResult(
            audience_id=audience,
            message_kind=send.message_kind,
            failed=[FailedRecipient(email=message.recipient.email, error=root_message(error))],
        )
