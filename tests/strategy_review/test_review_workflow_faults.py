"""Faults in a review: one owner's email that cannot go, the actions store down, a pack that
cannot be rendered, a summary whose outcome is unknown. StrategyReviewWorkflow on the
time-skipping server with fake activities."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.run_handlers import EXIT_NEEDS_ATTENTION
from opsrhythm.rituals.strategy_review.commands import print_result
from opsrhythm.rituals.strategy_review.models import CloseCollection, StrategyReviewResult
from tests.strategy_review.workflow_fakes import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    EMMA,
    Handle,
    ReviewFakes,
    running_review,
    stage,
    submit,
)
from workflows.strategy_review import StrategyReviewWorkflow


async def test_one_owners_kick_off_failing_never_stops_the_others(
    time_skipping_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """Emma's address is refused: Chloé and Grace get their kick-off, Ana is told at once (the
    status lists it too), the review goes on to publish, and the result (and ``run --wait``'s
    print, exit 1) names Emma's failure."""
    fakes = ReviewFakes(failing_emails=frozenset({EMMA.email}))
    async with running_review(time_skipping_env.client, fakes) as handle:
        collecting = await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        await handle.execute_update(
            StrategyReviewWorkflow.close_collection,
            CloseCollection(requested_by=ANA.email, send_now=True),
        )
        result = await handle.result()
    [notice] = fakes.undelivered_notices
    assert ("kick-off", [EMMA.email], ANA.email) == (
        notice.label,
        [f.email for f in notice.failed],
        notice.owner.email,
    )
    assert [[EMMA.email]] == [[f.email for f in d.failed] for d in collecting.undelivered]
    kick_offs = [s.recipients[0].email for s in fakes.sent if s.message_kind.startswith("kick-")]
    assert ["chloe@acme.example", "grace@acme.example"] == sorted(kick_offs)
    failed = [(d.audience_id, f.email) for d in result.deliveries for f in d.failed]
    assert ("published", [("owners", EMMA.email)]) == (result.stage, failed)
    assert 1 == print_result(result.model_dump(mode="json"))
    out = capsys.readouterr().out
    assert f"not sent to {EMMA.email}: HTTP 400: does not contain a valid address" in out


async def test_one_attendees_bad_address_leaves_the_pre_read_to_the_others(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Dev's address is refused: Ana and Ben get the pre-read, Ana is told about Dev's, and
    the review publishes instead of failing (its updates live only in this run)."""
    fakes = ReviewFakes(failing_emails=frozenset({DEV.email}))
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        await handle.execute_update(
            StrategyReviewWorkflow.close_collection,
            CloseCollection(requested_by=ANA.email, send_now=True),
        )
        result = await handle.result()
        status = await handle.query(StrategyReviewWorkflow.review_status)
    pre_read = [s.recipients[0].email for s in fakes.sent if s.audience_id == "attendees"]
    assert ([ANA.email, BEN.email], "published") == (sorted(pre_read), result.stage)
    [notice] = fakes.undelivered_notices
    assert ("pre-read-r1", [DEV.email]) == (notice.label, [f.email for f in notice.failed])
    assert [("attendees", DEV.email)] == [
        (d.audience_id, f.email) for d in status.undelivered for f in d.failed
    ]


async def test_the_actions_store_down_leaves_actions_out_not_the_review(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Listing and applying actions fail: the kick-off and the pack go without them, the
    owner's action update is not applied, and the review still publishes."""
    fakes = ReviewFakes(store_down=True)
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        await handle.execute_update(
            StrategyReviewWorkflow.close_collection,
            CloseCollection(requested_by=ANA.email, send_now=True),
        )
        result = await handle.result()
    [kick_off] = [e for e in fakes.review_emails if e.kind == "kick-off"]
    [pack] = fakes.packs
    assert ([], [], [], "published") == (
        kick_off.open_actions,
        pack.open_actions,
        fakes.applied,
        result.stage,
    )


async def test_a_pack_that_cannot_be_rendered_fails_the_run_and_tells_the_owner(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """The run fails with the renderer's reason, and Ana's failure notice carries it."""
    fakes = ReviewFakes(pack_fails=True)
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await handle.execute_update(
            StrategyReviewWorkflow.close_collection,
            CloseCollection(requested_by=ANA.email, send_now=True),
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        status = await handle.query(StrategyReviewWorkflow.review_status)
    [notice] = fakes.failure_notices
    assert "template pack.html: no such block" in notice.error
    assert (ANA.email, "building pack") == (notice.owner.email, status.stage)
    assert [] == [s for s in fakes.sent if s.audience_id == "attendees"]


async def test_a_summary_in_doubt_waits_to_be_settled(
    time_skipping_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sales' summary ends with its outcome unknown: Ana is told, the run waits in 'needs
    attention' with the result it would end with (run --wait prints it, exit 3); once the
    operator resolves it, the same summary is sent again and the run ends published."""
    fakes = ReviewFakes(unknown_once=frozenset({"sales"}))
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await handle.execute_update(
            StrategyReviewWorkflow.close_collection,
            CloseCollection(requested_by=ANA.email, send_now=True),
        )
        pending = await pending_result(handle)
        waiting = await handle.query(StrategyReviewWorkflow.review_status)
        step = await handle.query(StrategyReviewWorkflow.status)
        await handle.signal(StrategyReviewWorkflow.outcomes_settled)
        result = await handle.result()
    assert pending is not None and pending.waiting_until is not None
    assert ("publishing", "needs attention") == (waiting.stage, step.step)
    assert EXIT_NEEDS_ATTENTION == print_result(pending.model_dump(mode="json"))
    assert "waits until" in capsys.readouterr().out
    [notice] = fakes.attention_notices
    assert ["sales"] == [count.audience_id for count in notice.unknown]
    sales = [s for s in fakes.sent if s.audience_id == "sales"]
    assert (2, "published") == (len(sales), result.stage)
    assert [] == [d for d in result.deliveries if d.unknown]
    assert 0 == print_result(result.model_dump(mode="json"))


async def pending_result(handle: Handle) -> StrategyReviewResult | None:
    """The result the run would end with, once it waits to be settled (5 s at most)."""
    for _ in range(250):
        pending = await handle.query(StrategyReviewWorkflow.pending_result)
        if pending is not None:
            return pending
        await asyncio.sleep(0.02)
    return None
