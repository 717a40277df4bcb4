"""Sending a report's audiences, and again to those in doubt; deterministic only.

Each audience is one ``send_email`` activity. A definite failure of any audience fails the run
(``SendFailed``, with every audience's result as details); unknown outcomes are counted, and
the run waits to be settled (``workflows/outcome_settling.py``).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import (
        SEND_EMAIL,
        DeliveryResult,
        FailedRecipient,
        SendEmailInput,
    )
    from workflows.activity_options import SEND_HEARTBEAT, SEND_RETRY, SEND_TIMEOUT


async def send_all(sends: list[SendEmailInput]) -> list[DeliveryResult]:
    """Every audience at once; raises ``SendFailed`` if any failed for certain."""
    return checked(list(await asyncio.gather(*(send_one(s) for s in sends))))


async def resend_doubtful(
    sends: list[SendEmailInput], deliveries: list[DeliveryResult]
) -> list[DeliveryResult]:
    """The same archived email to each audience that had unknowns: the ledger skips whoever
    is sent, sends whoever the operator released, and keeps the still-held unknown."""
    doubtful = [i for i, delivery in enumerate(deliveries) if delivery.unknown]
    resent = await asyncio.gather(*(send_one(sends[i]) for i in doubtful))
    again = list(deliveries)
    for i, delivery in zip(doubtful, resent, strict=True):
        again[i] = delivery
    return checked(again)


def unknown_outcomes(deliveries: list[DeliveryResult]) -> int:
    return sum(len(d.unknown) for d in deliveries)


def checked(deliveries: list[DeliveryResult]) -> list[DeliveryResult]:
    audiences_by_error: dict[str, list[str]] = {}
    for delivery in deliveries:
        if delivery.failed:
            error = delivery.failed[0].error
            audiences_by_error.setdefault(error, []).append(delivery.audience_id)
    if audiences_by_error:
        raise ApplicationError(
            "sending failed for "
            + "; ".join(f"{', '.join(a)}: {e}" for e, a in audiences_by_error.items()),
            [d.model_dump() for d in deliveries],
            type="SendFailed",
            non_retryable=True,
        )
    return deliveries


async def send_one(input: SendEmailInput) -> DeliveryResult:
    """One email; a failure after the retries is returned as failed, never raised."""
    try:
        return await SEND_EMAIL.execute(
            input,
            start_to_close_timeout=SEND_TIMEOUT,
            heartbeat_timeout=SEND_HEARTBEAT,
            retry_policy=SEND_RETRY,
        )
    except ActivityError as error:
        return DeliveryResult(
            audience_id=input.audience_id,
            message_kind=input.message_kind,
            failed=[
                FailedRecipient(email=r.email, error=root_message(error)) for r in input.recipients
            ],
        )
