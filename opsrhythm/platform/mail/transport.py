"""How an email leaves OpsRhythm: the transport contract, and the choice of transport.

A transport sends one rendered email to a list of recipients, each getting their own copy. It
reports failures as Temporal ``ApplicationError``s: ``non_retryable`` for permanent ones, and
``type=OUTCOME_UNKNOWN`` when a request may have been delivered although it failed, so that the
caller keeps those recipients out of any resend. SendGrid stays unimported unless it is used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from opsrhythm.platform.config import EmailSettings
from opsrhythm.platform.models import Recipient, RenderedEmail

SENDGRID_API_KEY_ENV = "SENDGRID_API_KEY"
SENDGRID_HOST_ENV = "SENDGRID_HOST"
OUTBOX_ENV = "OPSRHYTHM_OUTBOX"
DEFAULT_OUTBOX = Path("outbox")
MAX_RECIPIENTS_PER_REQUEST = 1000
"""SendGrid's limit per Mail Send request; also the size of one ledger-tracked step."""
OUTCOME_UNKNOWN = "DeliveryOutcomeUnknown"
"""ApplicationError type for a request that failed after it may have been accepted."""


@dataclass(frozen=True)
class MessageTags:
    """Provider-side labels: categories and custom_args show up in SendGrid's activity feed."""

    categories: list[str] = field(default_factory=list)
    custom_args: dict[str, str] = field(default_factory=dict)
    disable_click_tracking: bool = True


class MailTransport(Protocol):
    @property
    def name(self) -> Literal["outbox", "sendgrid"]: ...

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        """Send ``message`` to each recipient separately; raise ApplicationError on failure."""
        ...


def transport_from_environment(
    settings: EmailSettings,
    outbox_dir: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> MailTransport:
    """SendGrid when ``SENDGRID_API_KEY`` is set, else .eml files in the outbox folder.

    ``outbox_dir`` wins over ``OPSRHYTHM_OUTBOX``; ``environ`` defaults to the process's.
    """
    env = os.environ if environ is None else environ
    api_key = env.get(SENDGRID_API_KEY_ENV, "").strip()
    if api_key:
        from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport

        return SendGridTransport(
            api_key, settings, host=env.get(SENDGRID_HOST_ENV, "").strip() or None
        )
    from opsrhythm.platform.mail.outbox import (
        OutboxTransport,  # imports this module: a cycle at the top
    )

    directory = outbox_dir or Path(env.get(OUTBOX_ENV, "").strip() or DEFAULT_OUTBOX)
    return OutboxTransport(directory, settings)


def unique_recipients(recipients: list[Recipient]) -> list[Recipient]:
    """First occurrence of each address, compared case-blind as providers do."""
    seen: set[str] = set()
    unique = []
    for recipient in recipients:
        address = recipient.email.strip().lower()
        if address not in seen:
            seen.add(address)
            unique.append(recipient)
    return unique
