"""The strategy review's pack: owners' action updates applied, the quarter's KPIs and the open
actions gathered, the pack rendered for round N and sent to the attendees; and what the
approvers sign off. Deterministic code only.

A KPI source that fails leaves its KPIs marked with the reason, and an action store that
cannot be reached leaves the actions out with a warning: the pack still goes on time. The
pre-read goes to each attendee on its own, so one bad address reaches nobody else, and a
failure is reported, never raised: weeks of updates live in this run. Only a pack that cannot
be rendered fails the run.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.actions.models import (
        APPLY_ACTION_UPDATES,
        LIST_OPEN_ACTIONS,
        ActionItem,
        ActionUpdate,
        ApplyActionUpdatesInput,
        ListOpenActionsInput,
    )
    from opsrhythm.platform.approvals.models import ApprovalContext, ApprovalDraft
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import DeliveryResult, SendEmailInput
    from opsrhythm.platform.periods import Quarter
    from opsrhythm.rituals.strategy_review.models import (
        GATHER_QUARTER_KPIS,
        PACK_PAGE,
        RENDER_PACK,
        QuarterKpi,
        QuarterKpisInput,
        RenderedPack,
        RenderPackInput,
        ReviewPlan,
        SubmittedStatus,
    )
    from workflows.activity_options import RENDER_HEARTBEAT, RENDER_RETRY, RENDER_TIMEOUT
    from workflows.owner_notices import tell_undelivered
    from workflows.report_sending import send_one

STORE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5)
STORE_TIMEOUT = timedelta(seconds=30)
GATHER_TIMEOUT = timedelta(minutes=5)
GATHER_HEARTBEAT = timedelta(seconds=30)
PACK_AUDIENCE = "attendees"


async def open_actions(plan: ReviewPlan) -> list[ActionItem]:
    """The item owners' open actions; none (with a warning) if the store cannot be read."""
    owners = list(dict.fromkeys(item.owner.email for item in plan.items))
    try:
        found = await LIST_OPEN_ACTIONS.execute(
            ListOpenActionsInput(ritual_id=plan.ritual_id, owner_emails=owners),
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
        )
    except ActivityError as error:
        workflow.logger.warning("Open actions not listed: %s", root_message(error))
        return []
    return found.actions


async def build_pack(
    plan: ReviewPlan, latest: list[SubmittedStatus], round: int
) -> tuple[RenderedPack, list[ActionItem]]:
    """Apply the owners' action updates, gather, render round ``round`` of the pack."""
    await _apply_action_updates(plan, latest)
    actions, kpis = await asyncio.gather(open_actions(plan), _quarter_kpis(plan))
    pack = await RENDER_PACK.execute(
        RenderPackInput(
            workflow_id=workflow.info().workflow_id,
            plan=plan,
            submissions=latest,
            kpis=kpis,
            open_actions=actions,
            round=round,
        ),
        start_to_close_timeout=RENDER_TIMEOUT,
        heartbeat_timeout=RENDER_HEARTBEAT,
        retry_policy=RENDER_RETRY,
    )
    return pack, actions


async def send_pre_read(
    plan: ReviewPlan, pack: RenderedPack, round: int, undelivered: list[DeliveryResult]
) -> DeliveryResult:
    """The pack to each attendee, once per run and round; failures are in the result, kept in
    ``undelivered``, and the ritual's owner is told."""
    kind = f"pre-read-r{round}-{workflow.info().run_id}"
    each = await asyncio.gather(
        *(
            send_one(
                SendEmailInput(
                    workflow_id=workflow.info().workflow_id,
                    ritual_id=plan.ritual_id,
                    period=plan.period,
                    audience_id=PACK_AUDIENCE,
                    message_kind=kind,
                    message_path=pack.pre_read_path,
                    recipients=[attendee],
                )
            )
            for attendee in plan.attendees
        )
    )
    delivery = DeliveryResult(
        audience_id=PACK_AUDIENCE,
        message_kind=kind,
        transport=next((d.transport for d in each if d.transport), None),
        sent=[email for d in each for email in d.sent],
        skipped=[skipped for d in each for skipped in d.skipped],
        failed=[failed for d in each for failed in d.failed],
        unknown=[unknown for d in each for unknown in d.unknown],
    )
    if delivery.failed:
        undelivered.append(delivery)
        await tell_undelivered(plan, f"pre-read-r{round}", delivery.failed)
    return delivery


def pack_draft(
    plan: ReviewPlan, pack: RenderedPack, latest: list[SubmittedStatus]
) -> ApprovalDraft:
    """What approvers see; each item's status is a figure, so round N says what changed."""
    statuses = {s.submission.item_id: s.submission for s in latest}
    figures = {}
    for item in plan.items:
        submitted = statuses.get(item.item_id)
        figures[item.title] = (
            f"{submitted.rag}, {submitted.confidence}% confident" if submitted else "missing"
        )
    return ApprovalDraft(
        title=f"{plan.ritual_name} for {Quarter.parse(plan.period).label}",
        summary=pack.summary,
        location=f"{pack.location}/{PACK_PAGE}",
        figures=figures,
    )


def pack_context(plan: ReviewPlan) -> ApprovalContext:
    info = workflow.info()
    return ApprovalContext(
        workflow_id=info.workflow_id,
        ritual_id=plan.ritual_id,
        ritual_name=plan.ritual_name,
        period=plan.period,
        run_id=info.run_id,
    )


async def _apply_action_updates(plan: ReviewPlan, latest: list[SubmittedStatus]) -> None:
    """Each owner's updates from their latest status update; a refusal or failure only logs."""
    owners = {item.item_id: item.owner.email for item in plan.items}
    by_owner: dict[str, list[ActionUpdate]] = {}
    for status in latest:
        owner = owners[status.submission.item_id]
        by_owner.setdefault(owner, []).extend(status.submission.action_updates)
    for owner, updates in by_owner.items():
        if not updates:
            continue
        try:
            applied = await APPLY_ACTION_UPDATES.execute(
                ApplyActionUpdatesInput(owner_email=owner, updates=updates),
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=STORE_RETRY,
            )
        except ActivityError as error:
            workflow.logger.warning("Action updates of %s not applied: %s", owner, error)
            continue
        for refused in applied.refused:
            workflow.logger.warning("Action update of %s refused: %s", owner, refused)


async def _quarter_kpis(plan: ReviewPlan) -> list[QuarterKpi]:
    if not plan.kpis:
        return []
    try:
        gathered = await GATHER_QUARTER_KPIS.execute(
            QuarterKpisInput(plan=plan),
            start_to_close_timeout=GATHER_TIMEOUT,
            heartbeat_timeout=GATHER_HEARTBEAT,
            retry_policy=STORE_RETRY,
        )
    except ActivityError as error:
        reason = root_message(error)
        workflow.logger.warning("Quarter KPIs not gathered: %s", reason)
        return [
            QuarterKpi(
                kpi=kpi,
                value=None,
                previous_quarter=None,
                year_ago=None,
                target=kpi.target,
                error=reason,
            )
            for kpi in plan.kpis
        ]
    return gathered.kpis
