"""Telling a report's owner that its run failed, waits for attention, or could not email some
of its people while it goes on; deterministic only.

Each notice is emailed once per run (workflow id and run id), so a re-run that fails again
tells the owner again. When the email cannot go (SendGrid refusing the account, the ledger's
database down), the notice goes to the outbox folder and the configured webhook instead; if
that fails too, one log line says so and the run's own outcome stands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import (
        NOTIFY_OWNER_FALLBACK,
        SEND_FAILURE_NOTICE,
        SEND_NEEDS_ATTENTION_NOTICE,
        SEND_UNDELIVERED_NOTICE,
        AudienceCount,
        DeliveryResult,
        FailedRecipient,
        FailureNoticeInput,
        NeedsAttentionInput,
        OwnerFallbackInput,
        OwnerNotice,
        Recipient,
        UndeliveredNoticeInput,
    )
    from opsrhythm.platform.runs import LIST_UNKNOWN_COMMAND, rerun_command, resolve_command
    from workflows.activity_options import SEND_HEARTBEAT

# A notice is one email: give up within a minute or so and take the fallback, rather than
# keep the owner waiting through the report's own ten attempts.
NOTICE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
# New runs record it; a run that failed before the fallback existed replays without it.
FALLBACK_PATCH = "owner-notice-fallback"


class RitualPlan(Protocol):
    """What a notice needs of any kind's plan."""

    @property
    def ritual_id(self) -> str: ...
    @property
    def ritual_name(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def owner(self) -> Recipient: ...


async def tell_failure(plan: RitualPlan, error: str) -> None:
    notice = FailureNoticeInput(
        **_this_run(plan),
        error=error,
        rerun_command=rerun_command(plan.ritual_id, plan.period),
    )
    await _tell(notice)


async def tell_needs_attention(
    plan: RitualPlan, deliveries: list[DeliveryResult], waiting_until: datetime
) -> None:
    notice = NeedsAttentionInput(
        **_this_run(plan),
        unknown=[
            AudienceCount(audience_id=d.audience_id, count=len(d.unknown))
            for d in deliveries
            if d.unknown
        ],
        list_command=LIST_UNKNOWN_COMMAND,
        resolve_command=resolve_command(workflow.info().workflow_id),
        waiting_until=waiting_until,
    )
    await _tell(notice)


async def tell_undelivered(plan: RitualPlan, label: str, failed: list[FailedRecipient]) -> None:
    """Some of the run's ``label`` emails failed for good; the run goes on."""
    workflow_id = workflow.info().workflow_id
    notice = UndeliveredNoticeInput(
        **_this_run(plan),
        label=label,
        failed=failed,
        status_command=f"opsrhythm status {workflow_id}",
    )
    await _tell(notice)


def _this_run(plan: RitualPlan) -> dict[str, Any]:
    """What every owner notice names: this run (its id and Temporal run id), and the owner."""
    info = workflow.info()
    return OwnerNotice(
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        ritual_id=plan.ritual_id,
        ritual_name=plan.ritual_name,
        period=plan.period,
        owner=plan.owner,
    ).model_dump()


async def _tell(notice: FailureNoticeInput | NeedsAttentionInput | UndeliveredNoticeInput) -> None:
    options = {
        "start_to_close_timeout": timedelta(minutes=2),
        "heartbeat_timeout": SEND_HEARTBEAT,
        "retry_policy": NOTICE_RETRY,
    }
    try:
        if isinstance(notice, FailureNoticeInput):
            delivery = await SEND_FAILURE_NOTICE.execute(notice, **options)
        elif isinstance(notice, UndeliveredNoticeInput):
            delivery = await SEND_UNDELIVERED_NOTICE.execute(notice, **options)
        else:
            delivery = await SEND_NEEDS_ATTENTION_NOTICE.execute(notice, **options)
        if not delivery.unknown:
            return
        # It may never have arrived: better told twice than not at all.
        email_error = "the email's outcome is unknown (its request got no answer)"
    except ActivityError as failure:
        email_error = root_message(failure)
    workflow.logger.error("Could not email the owner the %s notice: %s", notice.kind, email_error)
    if not workflow.patched(FALLBACK_PATCH):
        return
    try:
        await NOTIFY_OWNER_FALLBACK.execute(
            OwnerFallbackInput(notice=notice, email_error=email_error),
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=NOTICE_RETRY,
        )
    except ActivityError as failure:
        workflow.logger.error(
            "Could not leave the owner the %s notice in the outbox or on the webhook either: %s",
            notice.kind,
            root_message(failure),
        )
