"""A stand-in review run for the submission surfaces' tests: the contract's Update and query
names and models (``submit_status``, ``close_collection``, ``review_status``), none of the
ritual. Its validator refuses what the real one does for an unknown item, another owner's
item, a closed collection and a stale ``not_after``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.actions.models import ActionItem
    from opsrhythm.platform.approvals.models import Contact
    from opsrhythm.rituals.strategy_review.models import (
        CLOSE_COLLECTION_UPDATE,
        REVIEW_STATUS_QUERY,
        SUBMIT_UPDATE,
        CloseCollection,
        ReviewItemPlan,
        ReviewStatus,
        StatusSubmission,
        SubmittedStatus,
    )

ANA = Contact(name="Ana Lopez", email="ana@acme.example")
BEN = Contact(name="Ben Carter", email="ben@acme.example")
OWNER = "dev@acme.example"


class FakeReviewInput(BaseModel):
    status: ReviewStatus
    owner: str = OWNER


@workflow.defn(sandboxed=False)
class FakeReviewWorkflow:
    @workflow.init
    def __init__(self, input: FakeReviewInput) -> None:
        # Set before any handler runs: an Update may arrive in the run's first activation.
        self.status: ReviewStatus | None = input.status
        self.owner = input.owner
        self.closes: list[CloseCollection] = []

    @workflow.run
    async def run(self, input: FakeReviewInput) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.query(name=REVIEW_STATUS_QUERY)
    def review_status(self) -> ReviewStatus:
        assert self.status is not None
        return self.status

    @workflow.update(name=SUBMIT_UPDATE)
    def submit_status(self, submission: StatusSubmission) -> SubmittedStatus:
        assert self.status is not None
        earlier = [e for e in self.status.submitted if e.submission.item_id == submission.item_id]
        stored = SubmittedStatus(
            submission=submission,
            version=len(earlier) + 1,
            submitted_at=workflow.now(),
            late=bool(self.status.due_at and workflow.now() > self.status.due_at),
        )
        self.status.submitted.append(stored)
        self.status.pending = [i for i in self.status.pending if i != submission.item_id]
        return stored

    @submit_status.validator
    def check_submission(self, submission: StatusSubmission) -> None:
        assert self.status is not None
        if submission.not_after is not None and workflow.now() > submission.not_after:
            raise ApplicationError("it arrived after its not_after; not recorded")
        if self.status.stage not in ("collecting", "redrafting"):
            raise ApplicationError("the pack is built: updates are closed")
        item = next((i for i in self.status.items if i.item_id == submission.item_id), None)
        if item is None:
            raise ApplicationError(f"unknown item {submission.item_id!r}")
        if item.owner.email != submission.owner.lower():
            raise ApplicationError(f"{submission.owner} does not own {item.item_id!r}")

    @workflow.update(name=CLOSE_COLLECTION_UPDATE)
    def close_collection(self, request: CloseCollection) -> ReviewStatus:
        assert self.status is not None
        self.closes.append(request)
        self.status.stage = "building pack"
        return self.status

    @workflow.query
    def close_requests(self) -> list[CloseCollection]:
        return self.closes

    @close_collection.validator
    def check_close(self, request: CloseCollection) -> None:
        if request.requested_by.lower() != self.owner:
            raise ApplicationError("only the ritual's owner may close collection")


ITEMS = [
    ReviewItemPlan(item_id="grow-arr", kind="objective", title="Grow ARR", owner=ANA),
    ReviewItemPlan(item_id="self-serve", kind="initiative", title="Self-serve", owner=BEN),
]


def review(
    workflow_id: str, stage: str = "collecting", items: list[ReviewItemPlan] | None = None
) -> ReviewStatus:
    now = datetime.now(UTC)
    items = ITEMS if items is None else items
    return ReviewStatus.model_validate(
        {
            "workflow_id": workflow_id,
            "ritual_id": "quarterly-strategy-review",
            "period": "2026-Q4",
            "stage": stage,
            "due_at": now + timedelta(days=3),
            "items": items,
            "pending": [item.item_id for item in items],
            "open_actions": [
                ActionItem(
                    action_id="q3-1",
                    origin="quarterly-strategy-review-2026-Q3",
                    ritual_id="quarterly-strategy-review",
                    period="2026-Q3",
                    title="Hire a data analyst",
                    owner_email=ANA.email,
                    due=now.date(),
                ),
                ActionItem(
                    action_id="q3-2",
                    origin="quarterly-strategy-review-2026-Q3",
                    ritual_id="quarterly-strategy-review",
                    period="2026-Q3",
                    title="Ben's secret plan",
                    owner_email=BEN.email,
                    due=now.date(),
                ),
            ],
        }
    )


async def start_review(
    client: Client,
    task_queue: str,
    stage: str = "collecting",
    *,
    workflow_id: str | None = None,
    items: list[ReviewItemPlan] | None = None,
    owner: str = OWNER,
) -> WorkflowHandle[FakeReviewWorkflow, None]:
    """A stand-in review on ``task_queue``, whether or not a worker polls it."""
    workflow_id = workflow_id or f"quarterly-strategy-review-{uuid.uuid4()}"
    return await client.start_workflow(
        FakeReviewWorkflow.run,
        FakeReviewInput(status=review(workflow_id, stage, items), owner=owner),
        id=workflow_id,
        task_queue=task_queue,
        execution_timeout=timedelta(hours=1),
    )


def review_worker(client: Client, task_queue: str) -> Worker:
    return Worker(client, task_queue=task_queue, workflows=[FakeReviewWorkflow])


@asynccontextmanager
async def running_review(
    client: Client, stage: str = "collecting", **options: Any
) -> AsyncIterator[WorkflowHandle[FakeReviewWorkflow, None]]:
    """A worker and a started stand-in review; the run is terminated when the block ends."""
    task_queue = str(uuid.uuid4())
    async with review_worker(client, task_queue):
        handle = await start_review(client, task_queue, stage, **options)
        try:
            yield handle
        finally:
            await handle.terminate()
