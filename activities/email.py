"""Email activities: send a rendered email to an audience, and notices to the owner (a failed
run, a run that needs attention, a run's emails that failed), each once per run.

Every recipient goes through the send ledger (claim, send, mark sent) in steps of one provider
request, each claimed just before its request, so a retried activity or a replayed workflow
never emails anyone twice and a killed worker leaves at most one step's outcome unknown. The
result counts the whole run: recipients an earlier attempt sent are reported as sent.
Sync activities, run in the worker's thread pool: the SendGrid client and SQLAlchemy both block.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.progress import heartbeating
from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.ledger_keys import MessageKey
from opsrhythm.platform.mail.contract import (
    MAX_RECIPIENTS_PER_REQUEST,
    OUTCOME_UNKNOWN,
    MailTransport,
    MessageTags,
    ledger_custom_args,
    unique_recipients,
)
from opsrhythm.platform.mail.notices import OwnerNoticeInput, notice_tags
from opsrhythm.platform.models import (
    SEND_EMAIL,
    SEND_FAILURE_NOTICE,
    SEND_NEEDS_ATTENTION_NOTICE,
    SEND_UNDELIVERED_NOTICE,
    DeliveryResult,
    FailureNoticeInput,
    NeedsAttentionInput,
    Recipient,
    RenderedEmail,
    SendEmailInput,
    UndeliveredNoticeInput,
    UnknownRecipient,
)

if TYPE_CHECKING:
    from opsrhythm.platform.ledger import SendLedger


class EmailActivities:
    def __init__(
        self,
        transport: MailTransport,
        open_ledger: Callable[[], SendLedger],
        settings: EmailSettings,
        render_notice: Callable[[OwnerNoticeInput], RenderedEmail],
    ) -> None:
        self._transport = transport
        self._open_ledger = open_ledger
        self._settings = settings
        self._render_notice = render_notice

    @functools.cached_property
    def _ledger(self) -> SendLedger:
        # Opened on first send, not at worker start: SQLAlchemy is slow to import.
        return self._open_ledger()

    @activity.defn(name=SEND_EMAIL.name)
    def send_email(self, input: SendEmailInput) -> DeliveryResult:
        """Send the archived email to each recipient not already sent in this workflow run."""
        message = _load_message(Path(input.message_path))
        tags = MessageTags(
            categories=["opsrhythm", input.ritual_id],
            custom_args=ledger_custom_args(
                input.ritual_id,
                input.period,
                input.audience_id,
                input.workflow_id,
                input.message_kind,
            ),
            disable_click_tracking=input.disable_click_tracking,
        )
        return self._deliver(message, input.recipients, tags)

    @activity.defn(name=SEND_FAILURE_NOTICE.name)
    def send_failure_notice(self, input: FailureNoticeInput) -> DeliveryResult:
        """Tell the ritual's owner that a run failed and how to re-run it; at most once per run."""
        return self._deliver(self._render_notice(input), [input.owner], notice_tags(input))

    @activity.defn(name=SEND_NEEDS_ATTENTION_NOTICE.name)
    def send_needs_attention_notice(self, input: NeedsAttentionInput) -> DeliveryResult:
        """Tell the owner which audiences hold unknown outcomes and how to settle them; once
        per run."""
        return self._deliver(self._render_notice(input), [input.owner], notice_tags(input))

    @activity.defn(name=SEND_UNDELIVERED_NOTICE.name)
    def send_undelivered_notice(self, input: UndeliveredNoticeInput) -> DeliveryResult:
        """Tell the owner which of a run's emails failed; once per run and label."""
        return self._deliver(self._render_notice(input), [input.owner], notice_tags(input))

    def _deliver(
        self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags
    ) -> DeliveryResult:
        """Ledger keys come from the custom_args, so the provider's feed names the same keys."""
        args = tags.custom_args
        by_key = {
            MessageKey(args["workflow_id"], args["audience"], args["message"], r.email): r
            for r in unique_recipients(recipients)
        }
        result = DeliveryResult(
            audience_id=args["audience"],
            message_kind=args["message"],
            transport=self._transport.name,
        )
        keys = list(by_key)
        for start in range(0, len(keys), MAX_RECIPIENTS_PER_REQUEST):
            # Claimed just before its request: a crash can leave only this step in doubt.
            claim = self._ledger.claim(
                keys[start : start + MAX_RECIPIENTS_PER_REQUEST], transport=self._transport.name
            )
            # Sent by an earlier attempt of this run: part of this run's deliveries.
            result.sent += [by_key[key].email for key in claim.already_sent]
            result.unknown += [
                UnknownRecipient(email=by_key[key].email, since=since)
                for key, since in claim.in_flight
            ]
            step = claim.claimed
            if step:
                # Anything but a definite failure (a bug, a cancellation, a kill) may strike after
                # the request left: the step stays 'sending', and later steps are not yet claimed.
                try:
                    with heartbeating(f"sending {len(step)} recipients"):
                        self._transport.send(message, [by_key[key] for key in step], tags)
                except ApplicationError as error:
                    # An unknown outcome keeps this step in 'sending': never resent, only reported.
                    if error.type != OUTCOME_UNKNOWN:
                        self._ledger.release(step, str(error))
                    raise
                self._ledger.mark_sent(step)
                result.sent += [by_key[key].email for key in step]
            activity.heartbeat(len(result.sent))
        return result


def _load_message(path: Path) -> RenderedEmail:
    try:
        return RenderedEmail.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ApplicationError(
            f"rendered email not found: {path}", type="MissingEmail", non_retryable=True
        ) from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise ApplicationError(
            f"{path} is not a rendered email: {where}: {first['msg']}",
            type="InvalidEmail",
            non_retryable=True,
        ) from None
