"""``ActionFollowUpWorkflow``: one per origin (``actions-<origin>``), reminding owners of its
open actions before their due dates and telling the owner and the ritual's owner when one is
overdue; deterministic only.

It asks the store which notices are due, renders and sends each through SEND_EMAIL (the send
ledger keeps anyone from getting one twice), and sleeps until the next notice's moment or until
a command signals that the origin's actions changed. It finishes when nothing is left to send
(every action closed, or each overdue one told); the next ``actions add`` starts it again. A
notice that cannot be sent never holds back the others: one that failed for a passing reason is
tried again at the next check, within an hour; one refused for good (a non-retryable error, such
as SendGrid's 400 or 401) or failed ``MAX_NOTICE_TRIES`` times is given up, and the ritual's
owner is told once (the owner-notice path, with its outbox and webhook fallback). It continues
as new every ``checks_per_run`` checks, carrying what it gave up.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.actions.follow_up import (
        ACTIONS_CHANGED_SIGNAL,
        FOLLOW_UP_WORKFLOW,
        PLAN_ACTION_NOTICES,
        RENDER_ACTION_NOTICE,
        ActionFollowUpInput,
        ActionNotice,
        ActionNoticePlan,
        PlanActionNoticesInput,
        RenderActionNoticeInput,
    )
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import SEND_EMAIL, FailedRecipient, Recipient, SendEmailInput
    from workflows.activity_options import (
        RENDER_RETRY,
        RENDER_TIMEOUT,
        SEND_HEARTBEAT,
        SEND_RETRY,
        SEND_TIMEOUT,
    )
    from workflows.owner_notices import tell_undelivered

# The plan only reads the database: an outage is outlasted, never a reason to stop reminding.
PLAN_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5)
)
RETRY_FAILED_AFTER = timedelta(hours=1)
MAX_NOTICE_TRIES = 24
"""Failed checks (about a day of hourly tries) before a notice is given up."""


@dataclass(frozen=True)
class _Ritual:
    """What the owner notice names (``owner_notices.RitualPlan``)."""

    ritual_id: str
    ritual_name: str
    period: str
    owner: Recipient


@workflow.defn(name=FOLLOW_UP_WORKFLOW)
class ActionFollowUpWorkflow:
    def __init__(self) -> None:
        self._changed = False
        self._given_up: list[str] = []
        self._tries: dict[str, int] = {}

    @workflow.signal(name=ACTIONS_CHANGED_SIGNAL)
    def actions_changed(self) -> None:
        """An action of the origin was added, closed or carried: look again now."""
        self._changed = True

    @workflow.run
    async def run(self, input: ActionFollowUpInput) -> int:
        """Returns how many notices this run sent."""
        self._given_up, self._tries = list(input.given_up), dict(input.failed_tries)
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
                if notice.key in self._given_up:
                    continue
                error, for_good = await self._send(notice)
                if error is None:
                    sent += 1
                    self._tries.pop(notice.key, None)
                elif await self._given_up_on(plan, notice, error, for_good):
                    continue
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
        workflow.continue_as_new(
            input.model_copy(update={"given_up": self._given_up, "failed_tries": self._tries})
        )

    async def _given_up_on(
        self, plan: ActionNoticePlan, notice: ActionNotice, error: str, for_good: bool
    ) -> bool:
        """Count the failure; past the limit or refused for good, give the notice up and tell
        the ritual's owner once. Whether it was given up."""
        tries = self._tries.get(notice.key, 0) + 1
        self._tries[notice.key] = tries
        if not for_good and tries < MAX_NOTICE_TRIES:
            return False
        self._given_up.append(notice.key)
        self._tries.pop(notice.key, None)
        why = error if for_good else f"{error} (failed {tries} times)"
        workflow.logger.error("%s of %s given up: %s", notice.kind, notice.action_id, why)
        if plan.ritual_owner is not None:
            ritual = _Ritual(notice.ritual_id, plan.ritual_name, notice.period, plan.ritual_owner)
            failed = [FailedRecipient(email=r.email, error=why) for r in notice.recipients]
            await tell_undelivered(ritual, f"{notice.kind} of {notice.action_id}", failed)
        return True

    async def _send(self, notice: ActionNotice) -> tuple[str | None, bool]:
        """(None, False) once sent; else why not, and whether it was refused for good."""
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
            cause = error.cause
            return root_message(error), isinstance(cause, ApplicationError) and cause.non_retryable
        if result.failed:
            return "; ".join(f"{f.email}: {f.error}" for f in result.failed), True
        return None, False
