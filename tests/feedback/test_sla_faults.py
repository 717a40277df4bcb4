"""The SLA sweep under faults: one email that cannot go stops none of the others.

A person gone from the config, an address SendGrid refuses, a digest that fails, an unknown
outcome and a refused account: each time the other emails go out exactly once, the failure is
recorded on its item, and the area's lead is told once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.feedback_sla import BLOCKED_RETRY, FeedbackSlaActivities
from opsrhythm.platform.mail.contract import OUTCOME_UNKNOWN, MessageTags
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.rituals.feedback.actions import resolve
from opsrhythm.rituals.feedback.sla_models import SLA_WATCH_ID, SlaSweepInput, SlaSweepResult
from opsrhythm.rituals.feedback.views import items_json
from tests.feedback.test_close_loop import submit
from tests.feedback.test_sla import RecordingTransport, Setup

MONDAY_9_LONDON = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOTICE = "Feedback: 1 email could not be sent"


def refused(status: int = 400) -> ApplicationError:
    """What ``SendGridTransport`` raises for a 4xx."""
    message = f"SendGrid refused the email ({status}): does not contain a valid address"
    return ApplicationError(message, status, type="SendGridRejected", non_retryable=True)


class FaultyTransport(RecordingTransport):
    """Records every email; raises the given error for an address, ``times`` times (or always)."""

    def __init__(self) -> None:
        super().__init__()
        self.faults: dict[str, tuple[ApplicationError, int | None]] = {}
        self.attempts: list[tuple[str, str]] = []

    def fail(self, email: str, error: ApplicationError, times: int | None = None) -> None:
        self.faults[email] = (error, times)

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        email = recipients[0].email
        self.attempts.append((message.subject, email))
        if email in self.faults:
            error, times = self.faults[email]
            if times is None or times > 0:
                self.faults[email] = (error, None if times is None else times - 1)
                raise error
        super().send(message, recipients, tags)


def faulty_setup(tmp_path: Path, without: str = "") -> tuple[Setup, FaultyTransport]:
    """The example's setup with a faulty transport, and ``without`` that person in the config."""
    setup = Setup(tmp_path)
    if without:
        people = [p for p in setup.config.people if p.id != without]
        setup.config = setup.config.model_copy(update={"people": people})
    transport = FaultyTransport()
    setup.transport = transport
    setup.activities = FeedbackSlaActivities(
        setup.config, lambda: setup.ledger, lambda: setup.sends, transport
    )
    return setup, transport


def sweep(setup: Setup, now: datetime) -> SlaSweepResult:
    return ActivityEnvironment().run(setup.activities.sweep_sla, SlaSweepInput(now=now))


def events(setup: Setup, item_id: str, event: str) -> list[str]:
    return [detail for _, name, detail in setup.ledger.events(item_id) if name == event]


def test_a_removed_person_fails_only_their_warning(tmp_path: Path) -> None:
    """Farid's warning cannot go: recorded on the item, Chloe (billing's lead) told once, Ben's
    escalation sent once; at the breach the billing item still escalates to Chloe."""
    setup, transport = faulty_setup(tmp_path, without="farid")
    start = MONDAY_9_LONDON
    billing = setup.submit("Refund the invoice", start)  # P2, farid's, warned at 3.75bd
    setup.submit("We need SSO now", start, arr=90_000)  # P1, breached after 2bd: to ben
    friday = start + timedelta(days=4)
    first = sweep(setup, friday)
    sweep(setup, friday + timedelta(hours=1))
    failed = events(setup, billing, "sla-warning-failed")
    item = setup.ledger.get(billing)
    assert item is not None and item.warned_at is None
    assert (1, 1) == (first.escalated, first.failed)
    assert [
        ("Feedback SLA breached: 1 item", ["ben.carter@acme.example"]),
        (NOTICE, ["chloe.dubois@acme.example"]),
    ] == transport.sent
    assert 1 == len(failed) and "person 'farid' is not in the config" in failed[0]
    assert "chloe.dubois@acme.example told" in failed[0]
    assert "person 'farid' is not in the config" in transport.texts[1]
    sweep(setup, start + timedelta(days=8))
    assert ("Feedback SLA breached: 1 item", ["chloe.dubois@acme.example"]) == transport.sent[-1]


def test_a_refused_reply_fails_only_that_submitter(tmp_path: Path) -> None:
    """SendGrid refuses b@ (400): a@ hears back once, b@ is tried once, Ana (the triage lead)
    is told once, and the refusal is in the item's history."""
    setup, transport = faulty_setup(tmp_path)
    transport.fail("b@acme.test", refused(400))
    billing = submit(setup, "Refund the invoice", "a@acme.test")
    triage = submit(setup, "Dark mode", "b@acme.test")
    resolve(setup.ledger, billing, "farid.haddad@acme.example", "shipped", "Done")
    resolve(setup.ledger, triage, "ana.silva@acme.example", "declined", "Not this year")
    later = datetime.now(UTC) + timedelta(minutes=16)
    first = sweep(setup, later)
    sweep(setup, later + timedelta(hours=1))
    replies = [a for a in transport.attempts if a[0].startswith("Your feedback")]
    failed = events(setup, triage, "reply-failed")
    assert (1, 1) == (first.replied, first.failed)
    assert [
        ("Your feedback has shipped", "a@acme.test"),
        ("Your feedback was declined", "b@acme.test"),
    ] == replies
    assert [(NOTICE, ["ana.silva@acme.example"])] == [s for s in transport.sent if s[0] == NOTICE]
    assert 1 == len(failed) and "(400)" in failed[0] and "b@acme.test" in failed[0]


def test_a_failing_digest_is_sent_at_the_next_sweep(tmp_path: Path) -> None:
    """A 500 on Farid's digest: Ben's escalation and Kenji's digest go at once, the sweep is
    retried for the digest, which then goes; nothing is sent twice."""
    setup, transport = faulty_setup(tmp_path)
    transport.fail("farid.haddad@acme.example", ApplicationError("SendGrid server error (500)"), 1)
    setup.submit("Refund the invoice", MONDAY_9_LONDON - timedelta(days=3))
    setup.submit("We need SSO now", MONDAY_9_LONDON - timedelta(days=5), arr=90_000)
    now = MONDAY_9_LONDON + timedelta(minutes=5)
    with pytest.raises(ApplicationError, match="500"):
        sweep(setup, now)
    after_failure = (list(transport.sent), list(transport.other))
    retried = sweep(setup, now)
    sweep(setup, now + timedelta(hours=1))
    assert (
        [("Feedback SLA breached: 1 item", ["ben.carter@acme.example"])],
        ["Security and access: 1 new feedback items this week"],
    ) == after_failure
    assert 1 == retried.digests
    assert [
        "Security and access: 1 new feedback items this week",
        "Billing and invoicing: 1 new feedback items this week",
    ] == transport.other
    assert [("Feedback SLA breached: 1 item", ["ben.carter@acme.example"])] == transport.sent


def test_a_refused_digest_tells_the_lead_once(tmp_path: Path) -> None:
    """SendGrid refuses Farid (400): his digest is tried at each sweep, Chloe is told once."""
    setup, transport = faulty_setup(tmp_path)
    transport.fail("farid.haddad@acme.example", refused(400))
    setup.submit("Refund the invoice", MONDAY_9_LONDON - timedelta(days=3))
    now = MONDAY_9_LONDON + timedelta(minutes=5)
    first = sweep(setup, now)
    sweep(setup, now + timedelta(hours=1))
    digests = [a for a in transport.attempts if "this week" in a[0]]
    assert (0, 1) == (first.digests, first.failed)
    assert [(NOTICE, ["chloe.dubois@acme.example"])] == transport.sent
    assert 2 == len(digests)


def test_an_unknown_outcome_is_held_and_reported(tmp_path: Path) -> None:
    """A warning whose request may have gone is never resent; Chloe is told once; once an
    operator settles it with `ledger resolve --resend`, the next sweep sends it, once."""
    setup, transport = faulty_setup(tmp_path)
    unknown = ApplicationError("SendGrid gave no answer", type=OUTCOME_UNKNOWN)
    transport.fail("farid.haddad@acme.example", unknown, 1)
    billing = setup.submit("Refund the invoice", MONDAY_9_LONDON)
    friday = MONDAY_9_LONDON + timedelta(days=4)
    sweep(setup, friday)
    sweep(setup, friday + timedelta(hours=1))
    held = [a for a in transport.attempts if "due soon" in a[0]]
    failed = events(setup, billing, "sla-warning-unknown")
    listed = setup.ledger.email_failures()
    assert [("Feedback SLA: 1 item due soon", "farid.haddad@acme.example")] == held
    assert [(NOTICE, ["chloe.dubois@acme.example"])] == transport.sent
    assert 1 == len(failed) and "outcome unknown" in failed[0] and billing in listed
    setup.sends.resolve(SLA_WATCH_ID, None, resend=True, note="checked: not delivered")
    sweep(setup, friday + timedelta(hours=2))
    sweep(setup, friday + timedelta(hours=3))
    item = setup.ledger.get(billing)
    assert ("Feedback SLA: 1 item due soon", ["farid.haddad@acme.example"]) == transport.sent[-1]
    assert (2, True, False) == (
        len([a for a in transport.attempts if "due soon" in a[0]]),
        item is not None and item.warned_at is not None,
        billing in setup.ledger.email_failures(),
    )


def test_a_refused_account_pauses_the_sweep_without_losing_anything(tmp_path: Path) -> None:
    """A 401 for everyone records nothing on the items; once fixed, each email goes once."""
    setup, transport = faulty_setup(tmp_path)
    transport.fail("farid.haddad@acme.example", refused(401), 1)
    billing = setup.submit("Refund the invoice", MONDAY_9_LONDON)
    friday = MONDAY_9_LONDON + timedelta(days=4)
    paused = sweep(setup, friday)
    sweep(setup, friday + BLOCKED_RETRY)
    sweep(setup, friday + 2 * BLOCKED_RETRY)
    assert friday + BLOCKED_RETRY == paused.next_at
    assert [] == events(setup, billing, "sla-warning-failed")
    assert [("Feedback SLA: 1 item due soon", ["farid.haddad@acme.example"])] == transport.sent


def test_feedback_list_shows_why_an_email_failed(tmp_path: Path) -> None:
    """`feedback list --json` carries the failure on the item it concerns, and only there."""
    setup, _ = faulty_setup(tmp_path, without="farid")
    billing = setup.submit("Refund the invoice", MONDAY_9_LONDON)
    security = setup.submit("We need SSO now", MONDAY_9_LONDON, arr=90_000)
    sweep(setup, MONDAY_9_LONDON + timedelta(days=4))
    listed = items_json(setup.ledger.find(), setup.ledger.email_failures())["items"]
    failures = {item["id"]: item["email_failure"] for item in listed}
    assert (None, True) == (
        failures[security],
        "person 'farid' is not in the config" in (failures[billing] or ""),
    )


def test_an_item_of_a_removed_area_fails_only_its_escalation(tmp_path: Path) -> None:
    """Security gone from the config: its breached item is recorded and Ana (the triage lead)
    told once; the billing warning still goes to Farid once."""
    setup, transport = faulty_setup(tmp_path)
    security = setup.submit("We need SSO now", MONDAY_9_LONDON, arr=90_000)
    setup.submit("Refund the invoice", MONDAY_9_LONDON)
    assert setup.config.feedback is not None
    areas = [a for a in setup.config.feedback.areas if a.id != "security"]
    feedback = setup.config.feedback.model_copy(update={"areas": areas})
    setup.config = setup.config.model_copy(update={"feedback": feedback})
    setup.activities = FeedbackSlaActivities(
        setup.config, lambda: setup.ledger, lambda: setup.sends, transport
    )
    friday = MONDAY_9_LONDON + timedelta(days=4)
    sweep(setup, friday)
    sweep(setup, friday + timedelta(hours=1))
    failed = events(setup, security, "sla-escalation-failed")
    assert [
        ("Feedback SLA: 1 item due soon", ["farid.haddad@acme.example"]),
        (NOTICE, ["ana.silva@acme.example"]),
    ] == transport.sent
    assert 1 == len(failed) and "area 'security' is not in the config" in failed[0]
