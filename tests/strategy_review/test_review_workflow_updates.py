"""What the review's Updates refuse and accept, and what its status query says.

StrategyReviewWorkflow on the time-skipping server with fake activities; Ana owns the review.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform import search_attributes
from opsrhythm.platform.approvals.models import ApprovalDecision
from opsrhythm.rituals.strategy_review.models import CloseCollection
from tests.strategy_review.workflow_fakes import (
    ANA,
    BEN,
    CHLOE,
    EMMA,
    GRACE,
    Handle,
    ReviewFakes,
    running_review,
    sign_off,
    stage,
    submit,
)
from workflows.strategy_review import StrategyReviewWorkflow


async def refused(update: Awaitable[Any]) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await update
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


def close(handle: Handle, who: str, send_now: bool = False) -> Awaitable[Any]:
    return handle.execute_update(
        StrategyReviewWorkflow.close_collection,
        CloseCollection(requested_by=who, send_now=send_now),
    )


async def approve_and_finish(handle: Handle) -> None:
    """Finish the run: one left waiting stops time skipping for later tests."""
    await handle.execute_update(
        StrategyReviewWorkflow.decide, ApprovalDecision(approver=BEN.email, decision="approve")
    )
    await handle.result()


async def test_submissions_refused_for_unknown_items_and_someone_elses(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """An unknown item names the known ones; Chloé cannot report on Grace's item; an update
    whose not_after has passed is refused; none of them is recorded."""
    fakes = ReviewFakes(sign_off())
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        unknown = await refused(submit(handle, "grow-profit", CHLOE))
        not_hers = await refused(submit(handle, "reduce-churn", CHLOE))
        expired = await refused(
            submit(handle, "grow-revenue", CHLOE, not_after=datetime(2020, 1, 1, tzinfo=UTC))
        )
        status = await handle.query(StrategyReviewWorkflow.review_status)
        await close(handle, ANA.email, send_now=True)
        await stage(handle, "awaiting sign-off")
        await approve_and_finish(handle)
    assert (
        "unknown item 'grow-profit' (known: grow-revenue, insights-everywhere, reduce-churn)"
    ) == unknown
    assert f"{CHLOE.email} does not own 'reduce-churn': {GRACE.name} does" == not_hers
    assert expired.startswith("it arrived after its not_after")
    assert [] == status.submitted


async def test_updates_after_the_pack_are_refused_until_changes_are_requested(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Once the pack is built an update is refused; the owner closing again is refused too
    (with send_now too, once the pre-read has gone)."""
    fakes = ReviewFakes(sign_off())
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await close(handle, ANA.email)
        await stage(handle, "pack built")
        after_pack = await refused(submit(handle, "grow-revenue", CHLOE))
        closed_again = await refused(close(handle, ANA.email))
        await close(handle, ANA.email, send_now=True)
        await stage(handle, "awaiting sign-off")
        after_pre_read = await refused(close(handle, ANA.email, send_now=True))
        await approve_and_finish(handle)
    assert after_pack.startswith("the pack is built: updates are closed")
    assert closed_again.startswith("collection is already closed")
    assert "collection is closed and the pre-read has gone out" == after_pre_read


async def test_only_the_ritual_owner_closes_collection(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Chloé cannot close; Ana can (in any case): the pack is built at once with what is in,
    the others marked missing, without waiting for the pre-read time or sending reminders."""
    fakes = ReviewFakes()
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        not_owner = await refused(close(handle, CHLOE.email))
        closed = await close(handle, "ANA@acme.example")
        result = await handle.result()
    assert f"only the ritual's owner ({ANA.name}) may close collection" == not_owner
    assert "collecting" == closed.stage
    assert (["insights-everywhere", "reduce-churn"], []) == (
        result.missing,
        fakes.emailed("reminder"),
    )


async def test_status_says_who_submitted_who_is_late_and_what_is_pending(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Past the due date with only Chloé's update: the two others are pending and late; the
    timeline, the items and the owners' open actions are shown; the approval is not asked yet.
    The ``status`` query every ritual answers for ``opsrhythm status`` gives the step."""
    fakes = ReviewFakes(sign_off())
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        on_time = await handle.query(StrategyReviewWorkflow.review_status)
        await time_skipping_env.sleep(timedelta(days=4, hours=1))
        status = await stage(handle, "collecting")
        platform = await handle.query(StrategyReviewWorkflow.status)
        await submit(handle, "insights-everywhere", EMMA)
        await submit(handle, "reduce-churn", GRACE)
        await stage(handle, "pack built")
        await close(handle, ANA.email, send_now=True)
        await stage(handle, "awaiting sign-off")
        signing = await handle.query(StrategyReviewWorkflow.review_status)
        await approve_and_finish(handle)
    assert ([], ["insights-everywhere", "reduce-churn"]) == (on_time.late, on_time.pending)
    assert ["insights-everywhere", "reduce-churn"] == status.late == status.pending
    assert ["grow-revenue"] == [s.submission.item_id for s in status.submitted]
    assert status.due_at is not None and status.pre_read_at is not None
    assert status.due_at + timedelta(days=2) == status.pre_read_at
    assert (3, 1, None) == (len(status.items), len(status.open_actions), status.approval)
    assert ("collecting", "2026-Q4") == (platform.step, platform.period)
    assert signing.approval is not None
    assert ("pending", [], []) == (signing.approval.state, signing.pending, signing.late)


@pytest.mark.dev_server
async def test_the_step_search_attribute_follows_the_review(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """Started with Ritual set, the run upserts Step: 'collecting', then 'awaiting approval'
    (as every ritual holding up an approver), then 'published'."""
    fakes = ReviewFakes(sign_off())
    async with running_review(dev_server_env.client, fakes, searchable=True) as handle:
        await stage(handle, "collecting")
        collecting = await step_of(handle)
        await close(handle, ANA.email, send_now=True)
        await stage(handle, "awaiting sign-off")
        awaiting = await step_of(handle)
        await approve_and_finish(handle)
        published = await step_of(handle)
    assert ("collecting", "awaiting approval", "published") == (collecting, awaiting, published)


async def step_of(handle: Handle) -> str | None:
    described = await handle.describe()
    return described.typed_search_attributes.get(search_attributes.STEP)
