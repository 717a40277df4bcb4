"""How the SLA sweep sends one email, and how it sorts a failure so one bad email stops nothing.

Every email is claimed in the send ledger before it goes, as every email OpsRhythm sends is.
A failure is one of four things:

- passing (429, 5xx, SendGrid unreachable): the claim is released and the error raised, so
  Temporal retries the sweep; whatever went out meanwhile is not sent again;
- permanent for this email (a refused address, a person or area gone from the config, an email
  that cannot be rendered): ``Undeliverable``, the claim released; the sweep records it against
  the item, tells the area's lead and goes on with everything else;
- permanent for every email (SendGrid refusing the account, 401 or 403): ``MailBlocked``; the
  sweep stops sending, records nothing against the items, and tries again later;
- unknown (the request may have been delivered): the claim stays 'sending' and is never resent,
  as the report's sender does; it is reported like a permanent failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from temporalio.exceptions import ApplicationError

from opsrhythm.platform.ledger_keys import MessageKey
from opsrhythm.platform.mail.contract import OUTCOME_UNKNOWN, MailTransport, MessageTags
from opsrhythm.platform.models import Recipient, RenderedEmail

if TYPE_CHECKING:
    from opsrhythm.platform.ledger import SendLedger

OUTCOME_UNKNOWN_REASON = (
    "outcome unknown: a request was made and no result recorded, so it may have been "
    "delivered; held, not resent: check the provider's activity feed"
)
ACCOUNT_REFUSED = (401, 403)
"""SendGrid statuses that refuse every email alike (the key or the account), not one address."""


class Undeliverable(Exception):
    """This email cannot go as things stand; the message says why."""


class MailBlocked(Exception):
    """The provider refuses every email: nothing more can be sent in this sweep."""


@dataclass(frozen=True)
class Sent:
    done: list[MessageKey] = field(default_factory=list)
    """Sent now or by an earlier attempt."""
    unknown: list[MessageKey] = field(default_factory=list)
    """Held in 'sending': an attempt may have delivered them."""


def send_once(
    sends: SendLedger,
    transport: MailTransport,
    keys: list[MessageKey],
    render: Callable[[list[MessageKey]], RenderedEmail],
    recipient: Recipient,
) -> Sent:
    """Send one email covering the keys not sent before; raise as the module docstring says."""
    claim = sends.claim(keys, transport=transport.name)
    sent = Sent(list(claim.already_sent), [key for key, _ in claim.in_flight])
    if not claim.claimed:
        return sent
    try:
        message = render(claim.claimed)
    except Exception as error:
        # Rendering is pure: the same items fail the same way on every retry.
        sends.release(claim.claimed, repr(error))
        raise Undeliverable(f"the email could not be rendered: {error!r}") from None
    try:
        transport.send(message, [recipient], MessageTags(categories=["opsrhythm", "feedback"]))
    except ApplicationError as error:
        if error.type == OUTCOME_UNKNOWN:
            return Sent(sent.done, sent.unknown + claim.claimed)
        sends.release(claim.claimed, str(error))
        if not error.non_retryable:
            raise
        if error.details and error.details[0] in ACCOUNT_REFUSED:
            raise MailBlocked(str(error)) from None
        raise Undeliverable(str(error)) from None
    except Exception:
        # Anything else may have struck after the request left: held, as an unknown outcome.
        return Sent(sent.done, sent.unknown + claim.claimed)
    sends.mark_sent(claim.claimed)
    return Sent(sent.done + claim.claimed, sent.unknown)


def one_line(reason: str, limit: int = 500) -> str:
    """A reason fit for a history row or an email line: whitespace collapsed, bounded."""
    return " ".join(reason.split())[:limit]
