"""Publishing a signed-off review: one summary per audience, then, while any recipient's
outcome is unknown, the wait to be settled (``workflows/outcome_settling.py``) with the owner
told and the same archived summaries sent again to whoever an operator releases.
Deterministic code only.

The summaries' ledger key has no run id: nobody gets a quarter's summary twice, whatever the
run.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.models import DeliveryResult, SendEmailInput
    from opsrhythm.rituals.strategy_review.models import (
        RenderedPack,
        ReviewPlan,
        StrategyReviewResult,
    )
    from workflows.outcome_settling import Settling
    from workflows.owner_notices import tell_needs_attention
    from workflows.report_sending import resend_doubtful, send_all, unknown_outcomes
    from workflows.run_steps import RunSteps

NEEDS_ATTENTION = "needs attention"
ResultOf = Callable[[list[DeliveryResult]], StrategyReviewResult]


class Publishing:
    """The summaries' sends and their settling; the workflow owns the signal and the query."""

    def __init__(self, steps: RunSteps) -> None:
        self.settling = Settling()
        self.pending: StrategyReviewResult | None = None
        self._steps = steps

    async def publish(
        self, plan: ReviewPlan, pack: RenderedPack, result_of: ResultOf
    ) -> list[DeliveryResult]:
        """Send every audience's summary; with unknown outcomes, wait to be settled (the
        result it would end with is ``pending`` meanwhile)."""
        sends = summary_sends(plan, pack)
        deliveries = await send_all(sends)
        if not unknown_outcomes(deliveries):
            return deliveries
        until = self.settling.begin()
        self._steps.enter(NEEDS_ATTENTION)
        await tell_needs_attention(plan, deliveries, until)
        self.pending = result_of(deliveries).model_copy(update={"waiting_until": until})
        while unknown_outcomes(deliveries) and await self.settling.told_in_time():
            self._steps.enter("publishing")
            deliveries = await resend_doubtful(sends, deliveries)
            self.pending = result_of(deliveries).model_copy(update={"waiting_until": until})
            if unknown_outcomes(deliveries):
                self._steps.enter(NEEDS_ATTENTION)
        return deliveries


def summary_sends(plan: ReviewPlan, pack: RenderedPack) -> list[SendEmailInput]:
    return [
        SendEmailInput(
            workflow_id=workflow.info().workflow_id,
            ritual_id=plan.ritual_id,
            period=plan.period,
            audience_id=audience.audience_id,
            message_kind="summary",
            message_path=pack.publish_paths[audience.audience_id],
            recipients=audience.recipients,
        )
        for audience in plan.audiences
        if audience.audience_id in pack.publish_paths
    ]
