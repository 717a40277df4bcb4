"""The weekly digest counts exactly the week before its slot, records an empty week, and the
triage queue has one too."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from temporalio.testing import ActivityEnvironment

from opsrhythm.rituals.feedback.digest import build_digest, render_digest
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput, SlaSweepResult
from tests.feedback.test_digest import MONDAY_9_LONDON
from tests.feedback.test_sla import Setup

NEXT_MONDAY = MONDAY_9_LONDON + timedelta(days=7)


def sweep(
    setup: Setup, minutes_after_slot: int, slot: datetime = MONDAY_9_LONDON
) -> SlaSweepResult:
    now = slot + timedelta(minutes=minutes_after_slot)
    return ActivityEnvironment().run(setup.activities.sweep_sla, SlaSweepInput(now=now))


def test_an_item_after_the_slot_is_in_the_next_digest_only(tmp_path: Path) -> None:
    """Created ten minutes after Monday 09:00: not in that Monday's digest, but in the next."""
    setup = Setup(tmp_path)
    setup.submit("Refund the invoice", MONDAY_9_LONDON - timedelta(days=1))
    setup.submit("Invoice PDF is blank", MONDAY_9_LONDON + timedelta(minutes=10))
    sweep(setup, 20)
    sweep(setup, 20, NEXT_MONDAY)
    assert [
        "Billing and invoicing: 1 new feedback items this week",
        "Billing and invoicing: 1 new feedback items this week",
    ] == setup.transport.other


def test_an_empty_week_is_recorded_and_stays_empty(tmp_path: Path) -> None:
    """Nothing new at the slot: no email, the week recorded as done; an item arriving later
    that day sets off no 'weekly' digest."""
    setup = Setup(tmp_path)
    first = sweep(setup, 5)
    setup.submit("Refund the invoice", MONDAY_9_LONDON + timedelta(minutes=30))
    second = sweep(setup, 60)
    table = setup.sends.table
    with setup.sends.engine.connect() as conn:
        recorded = conn.execute(
            sa.select(table.c.audience_id, table.c.status, table.c.transport).where(
                table.c.message_kind == "digest-2026-11-02"
            )
        ).all()
    assert ((0, 0), []) == ((first.digests, second.digests), setup.transport.other)
    assert ("billing", "sent", "empty-week") in recorded
    assert ("triage", "sent", "empty-week") in recorded


def test_the_triage_queue_has_its_digest(tmp_path: Path) -> None:
    """Unmatched items go to the triage queue's lead in a digest of their own."""
    setup = Setup(tmp_path)
    setup.submit("Dark mode please", MONDAY_9_LONDON - timedelta(days=2))
    result = sweep(setup, 5)
    assert (1, ["Triage queue: 1 new feedback items this week"]) == (
        result.digests,
        setup.transport.other,
    )


def test_deadlines_in_the_digest_are_in_the_owners_timezone(tmp_path: Path) -> None:
    """At-risk items' deadlines are shown in the owner's zone, named (GMT in London)."""
    setup = Setup(tmp_path)
    week_start = MONDAY_9_LONDON - timedelta(days=7)
    setup.submit("Refund the invoice", week_start + timedelta(days=1))
    digest = build_digest(setup.ledger, "billing", week_start, MONDAY_9_LONDON)
    text = render_digest(digest, "Billing", "Farid", "Europe/London").text
    assert (1, True) == (len(digest.at_risk), " GMT" in text.split("Near or past")[1])
