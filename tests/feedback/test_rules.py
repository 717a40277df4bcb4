"""Routing rules of the example config: first match wins, conditions and the triage rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import FeedbackSettings, Scoring
from opsrhythm.rituals.feedback.models import FeedbackInput
from opsrhythm.rituals.feedback.rules import explain, route, score

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "opsrhythm.yaml"


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    feedback = load_config(EXAMPLE).feedback
    assert feedback is not None
    return feedback


def item(text: str, **fields: object) -> FeedbackInput:
    return FeedbackInput.model_validate(
        {"text": text, "submitter": "a@acme.test", "created_at": datetime(2026, 11, 2, tzinfo=UTC)}
        | fields
    )


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("We need SSO", {"arr": 120_000}, ("enterprise-security", "security", "platform", "P1")),
        ("We need SSO", {"arr": 10_000}, ("security", "security", "platform", "P2")),
        ("Reset password loops", {}, ("security", "security", "platform", "P2")),
        ("The invoice is wrong", {}, ("billing", "billing", "payments", "P2")),
        ("VAT twice on the invoice", {"arr": 90_000}, ("billing", "billing", "payments", "P2")),
        ("A Slack integration please", {}, ("integrations", "integrations", "platform", "P3")),
        ("Export the dashboard", {}, ("reporting", "reporting", "insights", "P3")),
        (
            "Sign up fails",
            {"source": "support"},
            ("onboarding-support", "onboarding", "growth", "P3"),
        ),
        ("Sign up fails", {"source": "sales"}, (None, "triage", "product-ops", "P3")),
        ("Dark mode", {}, (None, "triage", "product-ops", "P3")),
        ("Reporter names are wrong", {}, (None, "triage", "product-ops", "P3")),
    ],
)
def test_routing_table(
    settings: FeedbackSettings,
    text: str,
    fields: dict[str, object],
    expected: tuple[str | None, str, str, str],
) -> None:
    """Each text is routed by the first matching rule (keywords match whole words only)."""
    routing = route(item(text, **fields), settings, 0)
    assert expected == (routing.rule, routing.area, routing.owner_team, routing.priority)


def test_unmatched_items_go_round_robin_over_the_rotation(settings: FeedbackSettings) -> None:
    """The triage queue's assignee follows the rotation list in turn."""
    assignees = [route(item("Dark mode"), settings, turn).assignee for turn in range(3)]
    assert ["ana", "kenji", "ana"] == assignees


def test_explain_stops_at_the_first_match_with_reasons(settings: FeedbackSettings) -> None:
    """`rules test` sees every rule up to the winner, each with why it did or did not match."""
    verdicts = explain(item("Refund the invoice"), settings)
    assert [("enterprise-security", False), ("security", False), ("billing", True)] == [
        (v.rule, v.matched) for v in verdicts
    ]
    assert [
        "✓ keywords ['invoice', 'billing', 'refund', 'vat', 'pricing']: found ['invoice', 'refund']"
    ] == verdicts[-1].reasons


def test_score_weighs_arr_segment_and_source() -> None:
    """Score is capped ARR points plus the segment's and the source's weights."""
    scoring = Scoring(
        arr_per_point=10_000, arr_cap=20, segments={"enterprise": 30}, sources={"sales": 8}
    )
    assert 58.0 == score(item("x", arr=900_000, segment="enterprise", source="sales"), scoring)
