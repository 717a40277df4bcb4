"""When the SLA clock starts: at arrival by default, at the row's created_at by the switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.models import FeedbackInput
from opsrhythm.rituals.feedback.sla_clock import sla_deadlines
from opsrhythm.rituals.feedback.triage import build_item
from tests.conftest import EXAMPLE_CONFIG

NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def settings(**changes: object) -> FeedbackSettings:
    feedback = load_config(EXAMPLE_CONFIG).feedback
    assert feedback is not None
    return feedback.model_copy(update=changes)


def due_at(feedback: FeedbackSettings, created_at: datetime) -> datetime | None:
    data = FeedbackInput(text="Refund the invoice", submitter="a@acme.test", created_at=created_at)
    return build_item("fb-1", data, feedback, 0, NOW).due_at


def test_the_clock_starts_at_arrival_by_default() -> None:
    feedback = settings()
    expected = sla_deadlines(feedback, "P2", NOW)
    assert expected is not None and expected[1] == due_at(feedback, NOW - timedelta(days=2))


def test_created_at_starts_the_clock_when_switched_on() -> None:
    feedback = settings(sla_start="created_at")
    created = NOW - timedelta(days=2)
    expected = sla_deadlines(feedback, "P2", created)
    assert expected is not None and expected[1] == due_at(feedback, created)


def test_a_created_at_after_arrival_does_not_push_the_clock_back() -> None:
    feedback = settings(sla_start="created_at")
    expected = sla_deadlines(feedback, "P2", NOW)
    assert expected is not None and expected[1] == due_at(feedback, NOW + timedelta(hours=5))
