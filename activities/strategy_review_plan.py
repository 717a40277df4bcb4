"""The strategy review's plan activity: the ritual's config, snapshotted for one run."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.config import PlatformConfig
from opsrhythm.rituals.strategy_review.config import StrategyReviewRitual
from opsrhythm.rituals.strategy_review.models import PLAN_REVIEW, PlanReviewInput, ReviewPlan
from opsrhythm.rituals.strategy_review.plan import review_plan


class StrategyReviewPlanActivities:
    def __init__(self, config: PlatformConfig) -> None:
        self._config = config

    @activity.defn(name=PLAN_REVIEW.name)
    def plan_strategy_review(self, input: PlanReviewInput) -> ReviewPlan:
        """The review's people, sections and timeline, with every moment in UTC."""
        rituals = [r for r in self._config.rituals if isinstance(r, StrategyReviewRitual)]
        ritual = next((r for r in rituals if r.id == input.ritual_id), None)
        if ritual is None:
            known = ", ".join(r.id for r in rituals) or "none"
            raise ApplicationError(
                f"unknown strategy review {input.ritual_id!r} (known: {known})",
                type="UnknownRitual",
                non_retryable=True,
            )
        return review_plan(self._config, ritual, input.period, input.kickoff_at)
