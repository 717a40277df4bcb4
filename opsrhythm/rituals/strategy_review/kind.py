"""The quarterly strategy review's registry entry."""

from opsrhythm.platform.periods import Quarter
from opsrhythm.platform.ritual_kind import PeriodicKind

STRATEGY_REVIEW = PeriodicKind(
    kind="strategy_review",
    period=Quarter,
    workflow="StrategyReviewWorkflow",
    templates="strategy_review",
    worker="opsrhythm.rituals.strategy_review.worker:worker_parts",
    commands="opsrhythm.rituals.strategy_review.cli:COMMANDS",
    web_routes="opsrhythm.rituals.strategy_review.pages:web_routes",
    status_details="opsrhythm.rituals.strategy_review.submit_handlers:status_details",
    show_result="opsrhythm.rituals.strategy_review.commands:print_result",
    settles_outcomes=True,
    config_model="opsrhythm.rituals.strategy_review.config:StrategyReviewRitual",
)
