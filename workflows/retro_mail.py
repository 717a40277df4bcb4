"""The process retro's emails and its reads of the actions store, from inside the workflow.

Every email is rendered per recipient (their own signed link, their own actions) and sent
through ``send_email`` and its ledger, keyed by its label and the run id. One email that cannot
go is logged and counted in the result, never allowed to stop the others; only the summary's
definite failure fails the run (and tells the facilitator). An actions store that cannot be
read leaves the review out with a warning: the retro still runs on time. Deterministic code only.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.actions.models import (
        LIST_OPEN_ACTIONS,
        ActionItem,
        ListOpenActionsInput,
    )
    from opsrhythm.platform.approvals.models import Contact
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import (
        DeliveryResult,
        FailedRecipient,
        Recipient,
        SendEmailInput,
    )
    from opsrhythm.rituals.process_retro.models import (
        RENDER_RETRO_EMAILS,
        RENDER_RETRO_SUMMARY,
        RETRO_ACTION_OUTCOMES,
        ActionOutcomesInput,
        EmailKind,
        RenderedSummary,
        RenderSummaryInput,
        RetroCounts,
        RetroEmailInput,
        RetroPlan,
    )
    from workflows.activity_options import RENDER_HEARTBEAT, RENDER_RETRY, RENDER_TIMEOUT
    from workflows.report_sending import send_all, send_one

STORE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5)
STORE_TIMEOUT = timedelta(seconds=30)
SUMMARY_AUDIENCE = "summary"


async def open_actions(plan: RetroPlan) -> list[ActionItem]:
    """Every open action (not decision) of this ritual's earlier retros; none (with a warning)
    if the store cannot be read."""
    try:
        found = await LIST_OPEN_ACTIONS.execute(
            ListOpenActionsInput(ritual_id=plan.ritual_id),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
    except ActivityError as error:
        workflow.logger.warning("Open actions not listed: %s", root_message(error))
        return []
    this_run = workflow.info().workflow_id
    # A decision is a record in force, not work: nobody reports it done, dropped or carried.
    return [a for a in found.actions if a.origin != this_run and a.kind == "action"]


async def action_outcomes(reviewed: list[ActionItem]) -> list[ActionItem]:
    """The reviewed actions as they stand now; as they were listed if the store is down."""
    if not reviewed:
        return []
    try:
        found = await RETRO_ACTION_OUTCOMES.execute(
            ActionOutcomesInput(action_ids=[action.action_id for action in reviewed]),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
    except ActivityError as error:
        workflow.logger.warning("Reviewed actions not read again: %s", root_message(error))
        return reviewed
    return found.actions


def owners_of(actions: list[ActionItem]) -> list[Contact]:
    """Each owner once, in the order of their first action."""
    owners: dict[str, Contact] = {}
    for action in actions:
        name = action.owner_name or action.owner_email
        owners.setdefault(action.owner_email.lower(), Contact(name=name, email=action.owner_email))
    return list(owners.values())


async def email_people(
    plan: RetroPlan,
    kind: EmailKind,
    recipients: list[Contact],
    label: str,
    *,
    open_actions: list[ActionItem] | None = None,
    counts: RetroCounts | None = None,
) -> list[DeliveryResult]:
    """Render one ``kind`` email per recipient and send each; ``label`` keys the ledger."""
    if not recipients:
        return []
    info = workflow.info()
    request = RetroEmailInput(
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        plan=plan,
        kind=kind,
        recipients=recipients,
        open_actions=open_actions or [],
        counts=counts,
    )
    try:
        emails = await RENDER_RETRO_EMAILS.execute(
            request,
            start_to_close_timeout=RENDER_TIMEOUT,
            heartbeat_timeout=RENDER_HEARTBEAT,
            retry_policy=RENDER_RETRY,
        )
    except ActivityError as error:
        workflow.logger.error("Retro %s emails not rendered: %s", label, root_message(error))
        reason = root_message(error)
        failed = [FailedRecipient(email=c.email, error=reason) for c in recipients]
        return [DeliveryResult(audience_id=kind, message_kind=label, failed=failed)]
    sends = [
        SendEmailInput(
            workflow_id=info.workflow_id,
            ritual_id=plan.ritual_id,
            period=plan.period,
            audience_id=kind,
            message_kind=f"{label}-{info.run_id}",
            message_path=message.path,
            recipients=[message.recipient],
            disable_click_tracking=True,  # the provider must never rewrite the signed links
        )
        for message in emails.messages
    ]
    deliveries = list(await asyncio.gather(*(send_one(send) for send in sends)))
    for delivery in deliveries:
        for recipient in delivery.failed:
            workflow.logger.error(
                "Retro %s to %s not sent: %s", label, recipient.email, recipient.error
            )
    return deliveries


async def send_summary(
    plan: RetroPlan, reviewed: list[ActionItem], counts: RetroCounts
) -> tuple[RenderedSummary, list[DeliveryResult]]:
    """Render the summary (never blank) and send it to the summary's recipients; a definite
    failure raises ``SendFailed``."""
    info = workflow.info()
    summary = await RENDER_RETRO_SUMMARY.execute(
        RenderSummaryInput(
            workflow_id=info.workflow_id, plan=plan, reviewed_actions=reviewed, counts=counts
        ),
        start_to_close_timeout=RENDER_TIMEOUT,
        heartbeat_timeout=RENDER_HEARTBEAT,
        retry_policy=RENDER_RETRY,
    )
    recipients = [Recipient(name=r.name, email=r.email) for r in plan.summary_recipients]
    deliveries = await send_all(
        [
            SendEmailInput(
                workflow_id=info.workflow_id,
                ritual_id=plan.ritual_id,
                period=plan.period,
                audience_id=SUMMARY_AUDIENCE,
                message_kind=f"summary-{info.run_id}",
                message_path=summary.path,
                recipients=recipients,
            )
        ]
    )
    return summary, deliveries
