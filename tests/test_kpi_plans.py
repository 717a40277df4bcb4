"""One way from a configured KPI to the plan a run works from, for every kind that shows KPIs."""

from __future__ import annotations

from datetime import UTC, datetime

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.kpi_config import Kpi
from opsrhythm.platform.models import Recipient
from opsrhythm.rituals.kpi_report.kpi_plans import DEFAULT_TOLERANCE, kpi_plan
from opsrhythm.rituals.strategy_review.config import StrategyReviewRitual
from opsrhythm.rituals.strategy_review.plan import review_plan

OWNER = Recipient(name="Dev Patel", email="dev@acme.example")


def kpi(**settings: float) -> Kpi:
    return Kpi.model_validate(
        {"id": "mrr", "name": "MRR", "owner": "dev", "source": "billing", "column": "mrr"}
        | {"target": 500.0, "audiences": ["leadership"]}
        | settings
    )


def test_the_kpis_own_settings_win_over_the_rituals() -> None:
    """A KPI's tolerance and notable change beat the ritual's; without them the ritual's hold."""
    own = kpi_plan(kpi(tolerance=0.2, notable_change=0.3), OWNER, tolerance=0.1)
    ritual = kpi_plan(kpi(), OWNER, tolerance=0.1, notable_change=0.4)
    assert ((0.2, 0.3), (0.1, 0.4)) == (
        (own.tolerance, own.notable_change),
        (ritual.tolerance, ritual.notable_change),
    )
    assert ("mrr", 500.0, OWNER) == (own.kpi_id, own.target, own.owner)


def test_the_review_plans_its_kpis_as_the_kpi_report_does(
    example_config: OpsRhythmConfig,
) -> None:
    """The review has no tolerance of its own: each KPI's, else the shared default."""
    ritual = example_config.ritual("quarterly-strategy-review")
    assert isinstance(ritual, StrategyReviewRitual)
    plan = review_plan(example_config, ritual, "2026-Q4", datetime(2026, 10, 5, 8, tzinfo=UTC))
    expected = [
        kpi_plan(
            example_config.kpi(k.kpi_id),
            k.owner,
            tolerance=DEFAULT_TOLERANCE,
        )
        for k in plan.kpis
    ]
    assert plan.kpis and expected == plan.kpis
