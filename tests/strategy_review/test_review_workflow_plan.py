"""The review's config entry and its plan: problems named by path, every moment in UTC, each
owner's reminders at 09:00 in their own timezone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from temporalio.exceptions import ApplicationError

from activities.strategy_review_plan import StrategyReviewPlanActivities
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.rituals.strategy_review.config import StrategyReviewRitual
from opsrhythm.rituals.strategy_review.models import PlanReviewInput
from opsrhythm.rituals.strategy_review.plan import review_plan
from tests.test_config import problems_for

REVIEW = "rituals.1"
# The first Monday of 2027 at 09:00 in London (UTC in winter).
KICKOFF = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def the_review(config: OpsRhythmConfig) -> StrategyReviewRitual:
    ritual = config.ritual("quarterly-strategy-review")
    assert isinstance(ritual, StrategyReviewRitual)
    return ritual


def utc(day: int, hour: int) -> datetime:
    return datetime(2027, 1, day, hour, 0, tzinfo=UTC)


def test_the_example_reviews_four_items_with_their_managers(
    example_config: OpsRhythmConfig,
) -> None:
    """Objectives then initiatives, each owner's contact with their timezone and manager; the
    KPI sections' KPIs and their sources; the quorum from the approval block."""
    plan = review_plan(example_config, the_review(example_config), "2026-Q4", KICKOFF)
    assert [
        ("grow-revenue", "objective", "chloe.dubois@acme.example", "Europe/Paris", "Ben Carter"),
        ("reduce-churn", "objective", "grace.kim@acme.example", "America/New_York", "Dev Patel"),
        (
            "insights-everywhere",
            "initiative",
            "emma.larsen@acme.example",
            "Europe/Copenhagen",
            "Dev Patel",
        ),
        (
            "self-serve-help",
            "initiative",
            "isla.moreno@acme.example",
            "Europe/Madrid",
            "Ben Carter",
        ),
    ] == [
        (i.item_id, i.kind, i.owner.email, i.owner.timezone, i.manager.name if i.manager else "")
        for i in plan.items
    ]
    assert (["leadership", "support"], None) == (plan.items[1].audiences, plan.items[0].audiences)
    assert ["mrr", "active-accounts", "logo-churn", "nps"] == [k.kpi_id for k in plan.kpis]
    assert {"warehouse", "product-metrics"} == {s.source_id for s in plan.sources}
    assert plan.approval is not None
    assert ("n_of_m", 2) == (plan.approval.policy, plan.approval.required)


def test_the_timeline_in_utc(example_config: OpsRhythmConfig) -> None:
    """Due Friday 09:00, escalated Monday 09:00, the meeting Tuesday 14:00 London, the pack a
    day before; Grace is reminded at 09:00 New York time, Chloé at 09:00 Paris time."""
    plan = review_plan(example_config, the_review(example_config), "2026-Q4", KICKOFF)
    assert (utc(8, 9), utc(11, 9), utc(11, 14), utc(12, 14)) == (
        plan.due_at,
        plan.escalate_at,
        plan.pre_read_at,
        plan.meeting_at,
    )
    chloe, grace = plan.items[0], plan.items[1]
    assert [utc(6, 8), utc(7, 8)] == chloe.reminders_at
    assert [utc(6, 14), utc(7, 14)] == grace.reminders_at


def test_a_summer_meeting_is_at_14_00_london_time(example_config: OpsRhythmConfig) -> None:
    """In British Summer Time the meeting's 14:00 is 13:00 UTC."""
    kickoff = datetime(2026, 7, 6, 8, 0, tzinfo=UTC)
    plan = review_plan(example_config, the_review(example_config), "2026-Q2", kickoff)
    assert datetime(2026, 7, 14, 13, 0, tzinfo=UTC) == plan.meeting_at


def test_a_reminder_already_past_goes_at_kick_off(example_config: OpsRhythmConfig) -> None:
    """Kicked off at 20:00, due a day later, reminded 22 and 12 hours before: the first falls
    on the kick-off day, whose 09:00 is past, so it goes at kick-off; the second at 09:00 Paris
    time the next day."""
    ritual = the_review(example_config)
    timeline = ritual.timeline.model_copy(update={"due": "1d", "reminders": ["22h", "12h"]})
    ritual = ritual.model_copy(update={"timeline": timeline})
    kickoff = datetime(2027, 1, 5, 20, 0, tzinfo=UTC)
    plan = review_plan(example_config, ritual, "2026-Q4", kickoff)
    assert [kickoff, utc(6, 8)] == plan.items[0].reminders_at


def test_the_plan_activity_refuses_an_unknown_ritual(example_config: OpsRhythmConfig) -> None:
    """A non-retryable error naming the known reviews."""
    activities = StrategyReviewPlanActivities(example_config)
    with pytest.raises(ApplicationError) as error:
        activities.plan_strategy_review(
            PlanReviewInput(ritual_id="monthly-kpi-report", period="2026-Q4", kickoff_at=KICKOFF)
        )
    assert (
        "unknown strategy review 'monthly-kpi-report' (known: quarterly-strategy-review)",
        True,
    ) == (error.value.message, error.value.non_retryable)


def test_references_are_named_by_path() -> None:
    """Unknown people, audiences the ritual does not reach, unknown KPIs: each at its path."""
    assert [
        "rituals[1].objectives[0].owner: unknown person 'zoe' (known: ana, ben, chloe, dev, "
        "emma, farid, grace, hugo, isla, jonas, kenji)",
        "rituals[1].objectives[1].audiences[0]: 'growth-squad' is not one of the ritual's "
        "audiences (leadership, marketing, sales, support)",
        "rituals[1].attendees[0]: unknown person 'zed' (known: ana, ben, chloe, dev, emma, "
        "farid, grace, hugo, isla, jonas, kenji)",
        "rituals[1].sections[2].kpis[0]: unknown KPI 'arr' (known: activation-rate, "
        "active-accounts, insights-adoption, logo-churn, mrr, nps, signups, time-to-resolve, "
        "trial-conversion)",
    ] == problems_for(
        {
            f"{REVIEW}.objectives.0.owner": "zoe",
            f"{REVIEW}.objectives.1.audiences": ["growth-squad"],
            f"{REVIEW}.attendees.0": "zed",
            f"{REVIEW}.sections.2.kpis": ["arr"],
        }
    )


def test_a_timeline_out_of_order_says_why() -> None:
    """A reminder as early as the due date, and a due date after the pre-read, in one line."""
    [problem] = problems_for(
        {f"{REVIEW}.timeline.reminders": ["4d"], f"{REVIEW}.timeline.due": "4d"}
    )
    assert (
        "rituals[1].timeline: reminders[0]: 4d before the due date (4d) is not after the kick-off"
    ) == problem
    [problem] = problems_for({f"{REVIEW}.timeline.due": "7d12h"})
    assert problem == (
        "rituals[1].timeline: due: 7d12h is not before the pre-read (meeting 8d minus pre_read 24h)"
    )


def test_duplicate_items_and_misplaced_kpis() -> None:
    """Item ids are unique across objectives and initiatives; kpis belong to a kpis section."""
    assert [
        "rituals[1].initiatives[0].id: duplicate item id 'grow-revenue'",
        "rituals[1].sections[0].kpis: only used with content kpis, not status",
    ] == problems_for(
        {
            f"{REVIEW}.initiatives.0.id": "grow-revenue",
            f"{REVIEW}.sections.0.kpis": ["mrr"],
        }
    )


def test_a_wrong_kind_is_named_at_the_kind() -> None:
    """A typo in kind: names the field and every kind there is."""
    assert [
        "rituals[1].kind: Input should be 'kpi_report' or 'strategy_review' or 'process_retro'"
    ] == problems_for({f"{REVIEW}.kind": "strategy-review"})
