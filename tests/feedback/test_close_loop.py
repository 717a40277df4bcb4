"""Closing the loop: each submitter of a resolved item is emailed once, batched per person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from opsrhythm.rituals.feedback.actions import resolve
from opsrhythm.rituals.feedback.close_loop import Reply, render_replies
from opsrhythm.rituals.feedback.intake import parse_record
from opsrhythm.rituals.feedback.merging import merge
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput, SlaSweepResult
from opsrhythm.rituals.feedback.triage import triage_chunk
from tests.feedback.test_sla import Setup

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = timedelta(minutes=16)
"""Past the example's 15-minute reply window."""


def sweep(setup: Setup, now: datetime) -> SlaSweepResult:
    return ActivityEnvironment().run(setup.activities.sweep_sla, SlaSweepInput(now=now))


def submit(setup: Setup, text: str, who: str) -> str:
    assert setup.config.feedback is not None
    row = parse_record({"text": text, "submitter": who}, line=1, raw=text + who, now=NOW)
    triage_chunk([row], setup.config.feedback, setup.ledger, origin="t", now=NOW)
    return row.item_id


def test_every_submitter_of_a_merged_item_hears_back_once(tmp_path: Path) -> None:
    """The original's and the duplicate's submitters each get one email; a re-sweep sends none."""
    setup = Setup(tmp_path)
    original = submit(setup, "Refund the invoice", "a@acme.test")
    duplicate = submit(setup, "Dark mode", "b@acme.test")
    merge(setup.ledger, duplicate, original, "ana@acme.test")
    resolve(setup.ledger, original, "farid.haddad@acme.example", "shipped", "Fixed in 4.2")
    now = datetime.now(UTC) + LATER
    sweep(setup, now)
    sweep(setup, now)
    assert [
        ("Your feedback has shipped", ["a@acme.test"]),
        ("Your feedback has shipped", ["b@acme.test"]),
    ] == setup.transport.sent


def test_resolutions_within_the_window_go_out_as_one_email(tmp_path: Path) -> None:
    """Two items of one submitter resolved together: one email listing both."""
    setup = Setup(tmp_path)
    first = submit(setup, "Refund the invoice", "a@acme.test")
    second = submit(setup, "Dark mode", "a@acme.test")
    resolve(setup.ledger, first, "farid.haddad@acme.example", "shipped", "Done")
    resolve(setup.ledger, second, "ana.silva@acme.example", "declined", "Not this year")
    result = sweep(setup, datetime.now(UTC) + LATER)
    assert (1, [("Updates on 2 pieces of your feedback", ["a@acme.test"])]) == (
        result.replied,
        setup.transport.sent,
    )


def test_nothing_goes_out_before_the_window(tmp_path: Path) -> None:
    """A fresh resolution waits for others to join it; the sweep says when to come back."""
    setup = Setup(tmp_path)
    item = submit(setup, "Refund the invoice", "a@acme.test")
    resolve(setup.ledger, item, "farid.haddad@acme.example", "planned", "Q1")
    now = datetime.now(UTC)
    result = sweep(setup, now)
    assert ([], True) == (
        setup.transport.sent,
        result.next_at is not None and result.next_at <= now + timedelta(minutes=15),
    )


def test_reply_escapes_text_and_note() -> None:
    """Feedback text and the owner's note are escaped in the HTML."""
    reply = Reply("fb-1", "declined", "<b>no</b>", "<img src=x onerror=alert(1)>", NOW)
    html = render_replies([reply]).html
    assert ("&lt;img" in html, "<img" in html, "&lt;b&gt;no" in html) == (True, False, True)
