"""The process retro's stages and their windows: which one is open, when it closes, and the
facilitator's ``advance`` Update that closes it early.

Each window ends at its planned moment (counted from the run's start) or on ``advance``,
whichever comes first. The Update handler checks again before recording (validators do not run
on replay). Deterministic code only.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.rituals.process_retro.models import AdvanceRequest, RetroPlan, RetroStage

ADVANCE_REFUSED = "AdvanceRefused"


class Windows:
    """The stage a retro is in, and whether the facilitator asked to close it."""

    def __init__(self) -> None:
        self.plan: RetroPlan | None = None
        self.stage: RetroStage = "action review"
        self.started = False
        self._advanced: set[RetroStage] = set()

    def enter(self, stage: RetroStage) -> None:
        self.stage = stage
        self.started = True

    def closes_at(self) -> datetime | None:
        plan = self.plan
        if plan is None:
            return None
        return {
            "action review": plan.action_review_closes_at,
            "collecting": plan.collection_closes_at,
            "grouping": plan.grouping_closes_at,
            "voting": plan.voting_closes_at,
            "actions": plan.actions_close_at,
            "summary sent": None,
        }[self.stage]

    def refusal(self, request: AdvanceRequest) -> str | None:
        """Why ``request`` cannot close a window now, or None."""
        plan = self.plan
        if plan is None or not self.started:
            return "the retro is starting; try again in a moment"
        if request.requested_by.strip().lower() != plan.facilitator.email.lower():
            return f"only the facilitator ({plan.facilitator.name}) may advance the retro"
        if self.stage == "summary sent":
            return "the retro is over: its summary is sent"
        if request.stage != self.stage:
            return f"the retro is in stage {self.stage!r}, not {request.stage!r}: nothing advanced"
        if self.stage in self._advanced:
            return f"stage {self.stage!r} is already closing"
        return None

    def validate(self, request: AdvanceRequest) -> None:
        refused = self.refusal(request)
        if refused is not None:
            raise ApplicationError(refused, type=ADVANCE_REFUSED, non_retryable=True)

    def advance(self, request: AdvanceRequest) -> None:
        self.validate(request)
        self._advanced.add(request.stage)

    async def wait(self, stage: RetroStage, until: datetime | None) -> bool:
        """Until ``until`` or the facilitator's advance of ``stage``; True if advanced."""
        if stage in self._advanced:
            return True
        if until is None:
            return False
        remaining = (until - workflow.now()).total_seconds()
        try:
            await workflow.wait_condition(
                lambda: stage in self._advanced, timeout=max(remaining, 0.001)
            )
        except TimeoutError:
            return False
        return True
