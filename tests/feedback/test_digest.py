"""The weekly digest: its schedule, its content, and one email per area owner per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from opsrhythm.rituals.feedback.digest import build_digest, last_digest_time, render_digest
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput
from tests.feedback.test_sla import Setup

MONDAY_9_LONDON = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # GMT in November


def test_last_digest_time_is_the_latest_monday_nine_local() -> None:
    """On a Saturday the last digest was Monday 09:00 in the organization's timezone."""
    saturday = datetime(2026, 11, 7, 12, 0, tzinfo=UTC)
    assert MONDAY_9_LONDON == last_digest_time(saturday, "Europe/London", 0, "09:00")


def test_monday_before_nine_still_points_at_last_week() -> None:
    """Before the hour on the day itself, the previous week's digest is the last one."""
    early = MONDAY_9_LONDON - timedelta(minutes=1)
    expected = MONDAY_9_LONDON - timedelta(days=7)
    assert expected == last_digest_time(early, "Europe/London", 0, "09:00")


def test_digest_content(tmp_path: Path) -> None:
    """New items of the week, themes by count and ARR, and the items past their warning.

    Billing items are P2, 5 business days: Tuesday's was warned at 3.75bd (Monday 03:00);
    Wednesday's is not due a warning until Tuesday, the weekend not counting.
    """
    setup = Setup(tmp_path)
    week_start = MONDAY_9_LONDON - timedelta(days=7)
    setup.submit("Refund the invoice twice", week_start + timedelta(days=1), arr=50_000)
    setup.submit("Invoice refund is slow", week_start + timedelta(days=2), arr=10_000)
    digest = build_digest(setup.ledger, "billing", week_start, MONDAY_9_LONDON)
    assert (
        2,
        [("invoice", 2), ("refund", 2)],
        [("invoice", 60_000.0), ("refund", 60_000.0), ("twice", 50_000.0), ("slow", 10_000.0)],
        1,
    ) == (
        len(digest.new),
        digest.themes_by_count,
        digest.themes_by_arr,
        len(digest.at_risk),
    )


def test_digest_escapes_feedback_text(tmp_path: Path) -> None:
    """Untrusted feedback text is escaped in the digest's HTML."""
    setup = Setup(tmp_path)
    week_start = MONDAY_9_LONDON - timedelta(days=7)
    setup.submit("<script>x</script> invoice", week_start + timedelta(days=1))
    digest = build_digest(setup.ledger, "billing", week_start, MONDAY_9_LONDON)
    html = render_digest(digest, "Billing", "Farid").html
    assert ("&lt;script&gt;" in html, "<script>" in html) == (True, False)


def test_sweep_sends_each_owner_one_digest_a_week(tmp_path: Path) -> None:
    """Two sweeps after Monday 09:00 send the billing owner one digest; empty areas get none."""
    setup = Setup(tmp_path)
    setup.submit("Refund the invoice", MONDAY_9_LONDON - timedelta(days=3))
    sweep = SlaSweepInput(now=MONDAY_9_LONDON + timedelta(minutes=5))
    first = ActivityEnvironment().run(setup.activities.sweep_sla, sweep)
    ActivityEnvironment().run(setup.activities.sweep_sla, sweep)
    assert (1, ["Billing and invoicing: 1 new feedback items this week"]) == (
        first.digests,
        setup.transport.other,
    )
