"""What the strategy review's Update handlers see and change: the owners' status updates.

Every version of every item's update is kept; the latest counts. Updates are accepted until
the pack is built (every update in, the owner's close, or the pre-read time), and again
while a request for changes waits for the owner's redraft. The handlers check again before
recording (validators do not run on replay) against ``workflow.now()``, which replay gives
back as it was. Deterministic code only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.rituals.strategy_review.models import (
        CloseCollection,
        ReviewItemPlan,
        ReviewPlan,
        StatusSubmission,
        SubmittedStatus,
    )

SUBMISSION_REFUSED = "SubmissionRefused"


class Collection:
    """The owners' updates for one review, and whether the pack may still take them."""

    def __init__(self, reopened: Callable[[], bool]) -> None:
        self.plan: ReviewPlan | None = None
        self.versions: dict[str, list[SubmittedStatus]] = {}
        self.close_requested = False
        self.pack_built = False
        self.send_now = False
        """The owner's word to send the pre-read as soon as the pack is built."""
        self.pre_read_sent = False
        self._reopened = reopened
        """True while a request for changes waits for the owner: updates count for the next
        round's pack."""

    def item(self, item_id: str) -> ReviewItemPlan | None:
        assert self.plan is not None
        return next((i for i in self.plan.items if i.item_id == item_id), None)

    def latest(self) -> list[SubmittedStatus]:
        """The latest update of each item that has one, in the plan's order."""
        assert self.plan is not None
        return [self.versions[i.item_id][-1] for i in self.plan.items if i.item_id in self.versions]

    def pending(self) -> list[ReviewItemPlan]:
        if self.plan is None:
            return []
        return [i for i in self.plan.items if i.item_id not in self.versions]

    def late(self, now: datetime) -> list[str]:
        if self.plan is None or now <= self.plan.due_at:
            return []
        return [i.item_id for i in self.pending()]

    def all_in_or_closed(self) -> bool:
        return self.close_requested or (self.plan is not None and not self.pending())

    def refusal(self, submission: StatusSubmission, now: datetime) -> str | None:
        """Why this update cannot be recorded now, or None."""
        if submission.not_after is not None and now > submission.not_after:
            return "it arrived after its not_after (no worker was running); not recorded"
        if self.plan is None:
            return "the review is not collecting updates yet; try again in a moment"
        if self.pack_built and not self._reopened():
            return "the pack is built: updates are closed unless an approver requests changes"
        item = self.item(submission.item_id)
        if item is None:
            known = ", ".join(i.item_id for i in self.plan.items)
            return f"unknown item {submission.item_id!r} (known: {known})"
        if item.owner.email.lower() != submission.owner.strip().lower():
            return f"{submission.owner} does not own {item.item_id!r}: {item.owner.name} does"
        return None

    def validate(self, submission: StatusSubmission) -> None:
        refused = self.refusal(submission, workflow.now())
        if refused is not None:
            raise ApplicationError(refused, type=SUBMISSION_REFUSED, non_retryable=True)

    def record(self, submission: StatusSubmission) -> SubmittedStatus:
        self.validate(submission)
        assert self.plan is not None
        earlier = self.versions.setdefault(submission.item_id, [])
        now = workflow.now()
        recorded = SubmittedStatus(
            submission=submission,
            version=len(earlier) + 1,
            submitted_at=now,
            late=now > self.plan.due_at,
        )
        earlier.append(recorded)
        return recorded

    def validate_close(self, request: CloseCollection) -> None:
        if self.plan is None:
            refused = "the review is not collecting updates yet"
        elif request.requested_by.strip().lower() != self.plan.owner.email.lower():
            refused = f"only the ritual's owner ({self.plan.owner.name}) may close collection"
        elif self.pre_read_sent:
            refused = "collection is closed and the pre-read has gone out"
        elif not (self.pack_built or self.close_requested):
            return
        elif not request.send_now:
            refused = (
                "collection is already closed: the pack is built or being built "
                "(--send-now sends the pre-read now)"
            )
        elif self.send_now:
            refused = "the pre-read is already going out now"
        else:
            return
        raise ApplicationError(refused, type=SUBMISSION_REFUSED, non_retryable=True)

    def close(self, request: CloseCollection) -> None:
        self.validate_close(request)
        self.close_requested = True
        self.send_now = self.send_now or request.send_now

    async def pre_read_time(self, moment: datetime) -> None:
        """Wait until ``moment`` (the plan's pre-read time) or the owner's ``--send-now``."""
        remaining = (moment - workflow.now()).total_seconds()
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self.send_now, timeout=remaining)

    async def all_in_by(self, moment: datetime) -> bool:
        """Wait until every item has an update or the owner closed collection, or ``moment``."""
        remaining = (moment - workflow.now()).total_seconds()
        try:
            await workflow.wait_condition(self.all_in_or_closed, timeout=max(remaining, 0.001))
        except TimeoutError:
            return self.all_in_or_closed()
        return True
