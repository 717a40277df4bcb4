"""What every mail transport is and shares: the protocol, message tags, recipient dedupe.

A transport sends one rendered email to a list of recipients, each getting their own copy. It
reports failures as Temporal ``ApplicationError``s: ``non_retryable`` for permanent ones, and
``type=OUTCOME_UNKNOWN`` when a request may have been delivered although it failed, so that the
caller keeps those recipients out of any resend. The transports import this module, and
``transport`` (which picks one) imports them: kept apart, neither imports the other back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from opsrhythm.platform.models import Recipient, RenderedEmail

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


def ledger_custom_args(
    ritual_id: str, period: str, audience_id: str, workflow_id: str, message_kind: str
) -> dict[str, str]:
    """The custom_args every email carries: its ledger key's parts, so SendGrid's activity
    feed names the same keys as ``opsrhythm ledger unknown``."""
    return {
        "ritual": ritual_id,
        "period": period,
        "audience": audience_id,
        "workflow_id": workflow_id,
        "message": message_kind,
    }


class MailTransport(Protocol):
    @property
    def name(self) -> Literal["outbox", "sendgrid"]: ...

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        """Send ``message`` to each recipient separately; raise ApplicationError on failure."""
        ...


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
