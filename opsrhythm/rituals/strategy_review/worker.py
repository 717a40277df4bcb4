"""The strategy review's workflow and activities, wired to the worker's clients. The actions'
activities (list, apply) come with the platform's worker, for every kind."""

from __future__ import annotations

from activities.strategy_review import StrategyReviewActivities
from activities.strategy_review_plan import StrategyReviewPlanActivities
from opsrhythm.platform.ritual_kind import WorkerContext, WorkerParts
from workflows.strategy_review import StrategyReviewWorkflow


def worker_parts(context: WorkerContext) -> WorkerParts:
    plan = StrategyReviewPlanActivities(context.config)
    content = StrategyReviewActivities(context)
    return WorkerParts(
        workflows=[StrategyReviewWorkflow],
        activities=[
            plan.plan_strategy_review,
            content.render_review_emails,
            content.gather_quarter_kpis,
            content.render_review_pack,
        ],
    )
