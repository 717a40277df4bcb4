"""The approval step's emails, from inside a workflow: render them, then send each one.

Rendering (and signing the links) happens in an activity, in the worker; sending goes through
the ordinary ``send_email`` activity and its ledger, with click tracking off so the provider
never rewrites the signed links. Each email goes once per run: its ledger key holds the run id,
as an owner notice's does, so the re-run of a failed period asks its approvers again.
Deterministic code only.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.approvals.models import (
        RENDER_APPROVAL_EMAILS,
        RENDER_APPROVAL_NOTICE,
        ApprovalContext,
        ApprovalEmailInput,
        ApprovalNoticeInput,
        Contact,
    )
    from opsrhythm.platform.models import SEND_EMAIL, DeliveryResult, Recipient, SendEmailInput
    from workflows.activity_options import (
        RENDER_HEARTBEAT,
        RENDER_RETRY,
        RENDER_TIMEOUT,
        SEND_HEARTBEAT,
        SEND_RETRY,
        SEND_TIMEOUT,
    )

APPROVAL_AUDIENCE = "approval"


async def email_approvers(input: ApprovalEmailInput, label: str) -> None:
    """Each recipient's own email (their own links); ``label`` keeps ledger keys apart within
    the run."""
    if not input.recipients:
        return
    emails = await RENDER_APPROVAL_EMAILS.execute(
        input,
        start_to_close_timeout=RENDER_TIMEOUT,
        heartbeat_timeout=RENDER_HEARTBEAT,
        retry_policy=RENDER_RETRY,
    )
    await asyncio.gather(
        *(send(input.context, m.path, m.recipient, f"approval-{label}") for m in emails.messages)
    )


async def notify_owner(notice: ApprovalNoticeInput) -> None:
    """Tell the ritual's owner; a failure here is logged, never allowed to stop the ritual."""
    try:
        path = await RENDER_APPROVAL_NOTICE.execute(
            notice,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RENDER_RETRY,
        )
        label = f"approval-notice-r{notice.round}-{notice.event}"
        await send(notice.context, path, notice.owner, label)
    except ActivityError as error:
        workflow.logger.error("Could not tell the owner (%s): %s", notice.event, error)


async def send(
    context: ApprovalContext, path: str, recipient: Contact, kind: str
) -> DeliveryResult:
    """``kind`` plus this run's id is the ledger's message key: once per run, not per id."""
    return await SEND_EMAIL.execute(
        SendEmailInput(
            workflow_id=context.workflow_id,
            ritual_id=context.ritual_id,
            period=context.period,
            audience_id=APPROVAL_AUDIENCE,
            message_kind=f"{kind}-{workflow.info().run_id}",
            message_path=path,
            recipients=[Recipient(name=recipient.name, email=recipient.email)],
            disable_click_tracking=True,
        ),
        start_to_close_timeout=SEND_TIMEOUT,
        heartbeat_timeout=SEND_HEARTBEAT,
        retry_policy=SEND_RETRY,
    )
