"""The owner notice's way round a failing email: an .eml in the outbox folder, and the webhook.

Used when the notice itself could not be emailed (SendGrid refusing the account, the ledger's
database down). It needs neither: the outbox is a local folder whatever the configured
transport, and the file's name is the notice's business key, so a retry rewrites it rather
than adding one. The webhook is optional (``notify.webhook_url_env``).
"""

from __future__ import annotations

from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.mail.notices import notice_tags, render_notice, webhook_text
from opsrhythm.platform.mail.outbox import OutboxTransport, file_name
from opsrhythm.platform.mail.webhook import post_text
from opsrhythm.platform.models import NOTIFY_OWNER_FALLBACK, OwnerFallbackInput, OwnerFallbackResult


class OwnerFallbackActivities:
    def __init__(
        self,
        outbox_dir: Path,
        settings: EmailSettings,
        templates_dir: Path,
        webhook_url: str | None,
    ) -> None:
        self._outbox = OutboxTransport(outbox_dir, settings)
        self._templates_dir = templates_dir
        self._webhook_url = webhook_url

    @activity.defn(name=NOTIFY_OWNER_FALLBACK.name)
    def notify_owner_fallback(self, input: OwnerFallbackInput) -> OwnerFallbackResult:
        """Write the notice to the outbox and post it to the webhook. Each is tried even when
        the other fails; a retry may post the webhook twice, which beats not at all."""
        notice = input.notice
        message = render_notice(notice, self._templates_dir)
        tags = notice_tags(notice)
        failures: list[ApplicationError] = []
        try:
            self._outbox.send(message, [notice.owner], tags)
        except ApplicationError as error:
            failures.append(error)
        if self._webhook_url is not None:
            try:
                post_text(self._webhook_url, webhook_text(notice, input.email_error))
            except ApplicationError as error:
                failures.append(error)
        if failures:
            raise ApplicationError(
                "; ".join(failure.message for failure in failures),
                type=failures[0].type,
                non_retryable=all(failure.non_retryable for failure in failures),
            )
        return OwnerFallbackResult(
            outbox_file=str(self._outbox.directory / file_name(message, notice.owner, tags)),
            webhook_posted=self._webhook_url is not None,
        )
