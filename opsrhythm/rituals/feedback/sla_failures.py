"""What the SLA sweep does with an email that cannot go: it notes it and tells the area's lead.

A sweep collects its failures as it goes and, at the end, sends each lead one email listing the
failures of their areas. Each failure has its own send-ledger key, so a lead hears of it once
however often the sweep is retried; only then is it settled on the item (``settle``), so the
sweep stops trying it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import Person
from opsrhythm.platform.ledger_keys import MessageKey
from opsrhythm.platform.models import RenderedEmail
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.sla_mail import render_failure_notice
from opsrhythm.rituals.feedback.sla_sending import (
    OUTCOME_UNKNOWN_REASON,
    Sent,
    Undeliverable,
    one_line,
)

SendTo = Callable[[list[MessageKey], Callable[[list[MessageKey]], RenderedEmail], Person], Sent]
"""Sends one email covering the keys not sent before (``sla_sending.send_once``)."""


@dataclass(frozen=True)
class Failure:
    notice_id: str
    """The ledger audience of the lead's notice about it: an item id, or an area's."""
    kind: str
    """The failed email's message kind: ``sla-warning``, ``close-loop``, ``digest-DATE``."""
    area: str
    recipient: str
    """The address it was for, or the id of a person no longer in the config."""
    line: str
    settle: Callable[[str], None]
    """Records the failure once told to someone (given who), so it is not tried again."""


@dataclass
class Sweep:
    workflow_id: str
    failures: list[Failure] = field(default_factory=list)
    passing: list[ApplicationError] = field(default_factory=list)
    """429s and 5xxs: raised at the end of the sweep, so Temporal retries it."""

    def attempt(self, send: Callable[[], Sent], failed: Callable[[str], None]) -> Sent | None:
        """``send()``, or None after noting why not."""
        try:
            return send()
        except Undeliverable as error:
            failed(str(error))
        except ApplicationError as error:
            self.passing.append(error)
        return None


def tell_leads(
    sweep: Sweep, people: Sequence[Person], settings: FeedbackSettings, send: SendTo
) -> None:
    """One email per lead listing the failures of their areas, each told once."""
    by_lead: dict[str, tuple[Person, list[Failure]]] = {}
    for failure in sweep.failures:
        lead = lead_for(people, settings, failure.area, avoid=failure.recipient)
        if lead is None:
            failure.settle("no lead to tell")
            continue
        by_lead.setdefault(lead.email, (lead, []))[1].append(failure)
    for lead, failures in by_lead.values():
        _tell(sweep, lead, failures, send)


def lead_for(
    people: Sequence[Person], settings: FeedbackSettings, area_id: str, avoid: str
) -> Person | None:
    """The area's lead, or else the triage lead; never the one the failed email was for."""
    candidates = [settings.triage.lead or settings.triage.rotation[0]]
    area = next((a for a in settings.areas if a.id == area_id), None)
    if area is not None:
        candidates.insert(0, area.lead)
    for person_id in candidates:
        person = next((p for p in people if p.id == person_id), None)
        if person is not None and avoid not in (person.id, person.email):
            return person
    return None


def _tell(sweep: Sweep, lead: Person, failures: list[Failure], send: SendTo) -> None:
    keys = {
        MessageKey(sweep.workflow_id, f.notice_id, f"{f.kind}-failed", lead.email): f
        for f in failures
    }

    def render(claimed: list[MessageKey]) -> RenderedEmail:
        return render_failure_notice(lead.name, [keys[k].line for k in claimed])

    def told_nobody(reason: str) -> None:
        for failure in failures:
            failure.settle(one_line(f"telling {lead.email} failed too: {reason}"))

    sent = sweep.attempt(lambda: send(list(keys), render, lead), told_nobody)
    for key in sent.done if sent else []:
        keys[key].settle(f"{lead.email} told")
    for key in sent.unknown if sent else []:
        keys[key].settle(f"telling {lead.email}: {OUTCOME_UNKNOWN_REASON}")
