"""The process retro's emails and its reads of the actions store, from inside the workflow.

Every email, the summary too, goes to each recipient on their own through ``send_email`` and
its ledger, keyed by its label and the run id. One email that cannot go is counted in the
result and the facilitator told, never allowed to stop the others or fail the run. An actions
store that cannot be read leaves the review out with a warning: the retro still runs on time.
Deterministic code only.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    from opsrhythm.platform.models import DeliveryResult, Recipient
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
        RetroMessage,
        RetroPlan,
    )
    from workflows.activity_options import RENDER_HEARTBEAT, RENDER_RETRY, RENDER_TIMEOUT
    from workflows.per_recipient_mail import render_and_send, send_each, tell_if_undelivered

STORE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5)
STORE_TIMEOUT = timedelta(seconds=30)
SUMMARY_AUDIENCE = "summary"


@dataclass(frozen=True)
class RetroRitual:
    """The retro as an owner notice names it: the facilitator is the ritual's owner."""

    ritual_id: str
    ritual_name: str
    period: str
    owner: Recipient


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


def facilitator_notice_plan(plan: RetroPlan) -> RetroRitual:
    """What an owner notice needs: the facilitator is the ritual's owner."""
    facilitator = Recipient(name=plan.facilitator.name, email=plan.facilitator.email)
    return RetroRitual(plan.ritual_id, plan.ritual_name, plan.period, facilitator)


async def email_people(
    plan: RetroPlan,
    kind: EmailKind,
    recipients: list[Contact],
    label: str,
    *,
    open_actions: list[ActionItem] | None = None,
    counts: RetroCounts | None = None,
) -> list[DeliveryResult]:
    """Render one ``kind`` email per recipient and send each; ``label`` keys the ledger. The
    facilitator is told of any that could not go."""
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
    deliveries = await render_and_send(
        RENDER_RETRO_EMAILS,
        request,
        plan,
        audience=kind,
        label=label,
        expected=[c.email for c in recipients],
    )
    await tell_if_undelivered(facilitator_notice_plan(plan), label, deliveries)
    return deliveries


async def send_summary(
    plan: RetroPlan, reviewed: list[ActionItem], counts: RetroCounts
) -> tuple[RenderedSummary, list[DeliveryResult]]:
    """Render the summary (never blank) and send it to each recipient on their own, so one
    refused address fails only its email and the facilitator is told."""
    info = workflow.info()
    summary = await RENDER_RETRO_SUMMARY.execute(
        RenderSummaryInput(
            workflow_id=info.workflow_id, plan=plan, reviewed_actions=reviewed, counts=counts
        ),
        start_to_close_timeout=RENDER_TIMEOUT,
        heartbeat_timeout=RENDER_HEARTBEAT,
        retry_policy=RENDER_RETRY,
    )
    messages = [RetroMessage(recipient=r, path=summary.path) for r in plan.summary_recipients]
    deliveries = await send_each(messages, plan, audience=SUMMARY_AUDIENCE, label="summary")
    await tell_if_undelivered(facilitator_notice_plan(plan), "summary", deliveries)
    return summary, deliveries
