"""Acknowledging and resolving items: allowed transitions, refusals, and the history they leave."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsrhythm.rituals.feedback.actions import ActionRefused, acknowledge, resolve
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.models import FeedbackItem

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def stored(ledger: FeedbackLedger, item_id: str = "fb-1", **fields: object) -> str:
    item = FeedbackItem.model_validate(
        {
            "id": item_id,
            "text": "Refund please",
            "submitter": "a@acme.test",
            "created_at": NOW,
            "area": "billing",
            "owner_team": "payments",
            "assignee": "farid",
            "priority": "P2",
            "score": 1.0,
        }
        | fields
    )
    ledger.add([item])
    return item_id


def test_ack_then_resolve_records_both(ledger: FeedbackLedger) -> None:
    """An acknowledged item can be resolved; the history keeps who did what, with the note."""
    item_id = stored(ledger)
    acknowledge(ledger, item_id, "farid@acme.test")
    resolve(ledger, item_id, "farid@acme.test", "planned", "In Q1")
    assert [
        ("farid@acme.test", "acknowledged", "acknowledged"),
        ("farid@acme.test", "resolved", "planned: In Q1"),
    ] == ledger.events(item_id)[1:]


def test_second_ack_is_refused(ledger: FeedbackLedger) -> None:
    """Acknowledging twice says the item is already acknowledged."""
    item_id = stored(ledger)
    acknowledge(ledger, item_id, "farid@acme.test")
    with pytest.raises(ActionRefused, match="already acknowledged"):
        acknowledge(ledger, item_id, "farid@acme.test")


def test_resolving_again_to_the_same_outcome_is_refused(ledger: FeedbackLedger) -> None:
    """A resolution can change (tests/feedback/test_queue_actions.py), but not to itself."""
    item_id = stored(ledger)
    resolve(ledger, item_id, "farid@acme.test", "shipped", "Done")
    with pytest.raises(ActionRefused, match="already shipped"):
        resolve(ledger, item_id, "farid@acme.test", "shipped", "Done again")


def test_duplicates_are_acted_on_through_their_original(ledger: FeedbackLedger) -> None:
    """A linked duplicate refuses actions and names its original."""
    stored(ledger, "fb-1")
    stored(ledger, "fb-2", duplicate_of="fb-1", submitter="b@acme.test")
    with pytest.raises(ActionRefused, match="duplicate of fb-1"):
        acknowledge(ledger, "fb-2", "farid@acme.test")


def test_resolution_needs_a_note(ledger: FeedbackLedger) -> None:
    """Submitters are told why, so an empty note is refused."""
    item_id = stored(ledger)
    with pytest.raises(ActionRefused, match="needs a note"):
        resolve(ledger, item_id, "farid@acme.test", "declined", " ")


def test_unknown_item_is_refused(ledger: FeedbackLedger) -> None:
    """Acting on an id that does not exist says so."""
    with pytest.raises(ActionRefused, match="no feedback item"):
        acknowledge(ledger, "fb-nope", "farid@acme.test")
