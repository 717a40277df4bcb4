"""``ActionFollowUpWorkflow``: one per origin (``actions-<origin>``), reminding owners of its
open actions before their due dates and telling the owner and the ritual's owner when one is
overdue; deterministic only.

It asks the store which notices are due, renders and sends each through SEND_EMAIL (the send
ledger keeps anyone from getting one twice), and sleeps until the next notice's moment or until
a command signals that the origin's actions changed. It finishes when nothing is left to send
(every action closed, or each overdue one told); the next ``actions add`` starts it again. A
notice that cannot be sent is logged and tried again at the next check, within an hour; it never
holds back the others. It continues as new every ``checks_per_run`` checks.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.actions.follow_up import (
        ACTIONS_CHANGED_SIGNAL,
        FOLLOW_UP_WORKFLOW,
        PLAN_ACTION_NOTICES,
        RENDER_ACTION_NOTICE,
        ActionFollowUpInput,
        ActionNotice,
        PlanActionNoticesInput,
        RenderActionNoticeInput,
    )
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import SEND_EMAIL, SendEmailInput
    from workflows.activity_options import (
        RENDER_RETRY,
        RENDER_TIMEOUT,
        SEND_HEARTBEAT,
        SEND_RETRY,
        SEND_TIMEOUT,
    )

# The plan only reads the database: an outage is outlasted, never a reason to stop reminding.
PLAN_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5)
)
RETRY_FAILED_AFTER = timedelta(hours=1)


@workflow.defn(name=FOLLOW_UP_WORKFLOW)
class ActionFollowUpWorkflow:
    def __init__(self) -> None:
        self._changed = False

    @workflow.signal(name=ACTIONS_CHANGED_SIGNAL)
    def actions_changed(self) -> None:
        """An action of the origin was added, closed or carried: look again now."""
        self._changed = True

    @workflow.run
    async def run(self, input: ActionFollowUpInput) -> int:
        """Returns how many notices this run sent."""
        sent = 0
        for _ in range(input.checks_per_run):
            self._changed = False
            plan = await PLAN_ACTION_NOTICES.execute(
                PlanActionNoticesInput(origin=input.origin, now=workflow.now()),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=PLAN_RETRY,
            )
            failed = 0
            for notice in plan.due:
                if await self._send(notice):
                    sent += 1
                else:
                    failed += 1
            wait = plan.next_at - workflow.now() if plan.next_at else None
            if failed:
                wait = min(wait, RETRY_FAILED_AFTER) if wait else RETRY_FAILED_AFTER
            if wait is None and not self._changed:
                await workflow.wait_condition(workflow.all_handlers_finished)
                return sent
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._changed, timeout=max(wait or timedelta(0), timedelta(seconds=1))
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(input)

    async def _send(self, notice: ActionNotice) -> bool:
        workflow_id = workflow.info().workflow_id
        try:
            path = await RENDER_ACTION_NOTICE.execute(
                RenderActionNoticeInput(workflow_id=workflow_id, notice=notice),
                start_to_close_timeout=RENDER_TIMEOUT,
                retry_policy=RENDER_RETRY,
            )
            result = await SEND_EMAIL.execute(
                SendEmailInput(
                    workflow_id=workflow_id,
                    ritual_id=notice.ritual_id,
                    period=notice.period,
                    audience_id=notice.action_id,
                    message_kind=notice.message_kind,
                    message_path=path,
                    recipients=notice.recipients,
                ),
                start_to_close_timeout=SEND_TIMEOUT,
                heartbeat_timeout=SEND_HEARTBEAT,
                retry_policy=SEND_RETRY,
            )
        except ActivityError as error:
            workflow.logger.warning(
                "%s of %s not sent: %s", notice.kind, notice.action_id, root_message(error)
            )
            return False
        return not result.failed
