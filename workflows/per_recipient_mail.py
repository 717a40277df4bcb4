"""Emails rendered one per recipient (their own links, their own items) and sent one by one
through ``send_email`` and its ledger, for any kind; deterministic only.

One address that cannot be sent to fails only its own email: it comes back as a failed
``DeliveryResult`` and the others go on. ``label`` plus the run id keys the ledger, so a re-run
of a failed run emails again while a retry or replay of this one never does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.activity_ref import ActivityRef
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import (
        DeliveryResult,
        FailedRecipient,
        Recipient,
        SendEmailInput,
    )
    from workflows.activity_options import RENDER_HEARTBEAT, RENDER_RETRY, RENDER_TIMEOUT
    from workflows.owner_notices import RitualPlan, tell_undelivered
    from workflows.report_sending import send_one


class Addressed(Protocol):
    """A rendered email for one person: where it is archived and who gets it."""

    @property
    def recipient(self) -> Recipient: ...
    @property
    def path(self) -> str: ...


class RenderedBatch(Protocol):
    @property
    def messages(self) -> Sequence[Addressed]: ...


class SendsFor(Protocol):
    """What the ledger's key needs of any kind's plan."""

    @property
    def ritual_id(self) -> str: ...
    @property
    def period(self) -> str: ...


async def render_and_send(
    render: ActivityRef[Any, Any],
    request: object,
    plan: SendsFor,
    *,
    audience: str,
    label: str,
    expected: list[str],
) -> list[DeliveryResult]:
    """Render one email per recipient with ``render`` and send each; a rendering that fails
    counts every ``expected`` address as failed, never raises."""
    try:
        emails: RenderedBatch = await render.execute(
            request,
            start_to_close_timeout=RENDER_TIMEOUT,
            heartbeat_timeout=RENDER_HEARTBEAT,
            retry_policy=RENDER_RETRY,
        )
    except ActivityError as error:
        workflow.logger.error("%s emails not rendered: %s", label, root_message(error))
        failed = [FailedRecipient(email=email, error=root_message(error)) for email in expected]
        return [DeliveryResult(audience_id=audience, message_kind=label, failed=failed)]
    return await send_each(emails.messages, plan, audience=audience, label=label)


async def send_each(
    messages: Sequence[Addressed], plan: SendsFor, *, audience: str, label: str
) -> list[DeliveryResult]:
    """Each message to its own recipient, all at once; failures returned, never raised."""
    info = workflow.info()
    sends = [
        SendEmailInput(
            workflow_id=info.workflow_id,
            ritual_id=plan.ritual_id,
            period=plan.period,
            audience_id=audience,
            message_kind=f"{label}-{info.run_id}",
            message_path=message.path,
            recipients=[message.recipient],
            disable_click_tracking=True,  # the provider must never rewrite the signed links
        )
        for message in messages
    ]
    deliveries = list(await asyncio.gather(*(send_one(send) for send in sends)))
    for delivery in deliveries:
        for recipient in delivery.failed:
            workflow.logger.error("%s to %s not sent: %s", label, recipient.email, recipient.error)
    return deliveries


async def tell_if_undelivered(
    owner_plan: RitualPlan, label: str, deliveries: list[DeliveryResult]
) -> list[DeliveryResult]:
    """The deliveries with failures; the ritual's owner told once about all of them."""
    failed = [d for d in deliveries if d.failed]
    if failed:
        await tell_undelivered(owner_plan, label, [f for d in failed for f in d.failed])
    return failed
