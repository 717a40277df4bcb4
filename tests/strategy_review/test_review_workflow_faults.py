"""Faults in a review: one owner's email that cannot go, the actions store down, a pack that
cannot be rendered. StrategyReviewWorkflow on the time-skipping server with fake activities."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.rituals.strategy_review.commands import print_result
from opsrhythm.rituals.strategy_review.models import CloseCollection
from tests.strategy_review.workflow_fakes import (
    ANA,
    CHLOE,
    EMMA,
    ReviewFakes,
    running_review,
    stage,
    submit,
)
from workflows.strategy_review import StrategyReviewWorkflow


async def test_one_owners_kick_off_failing_never_stops_the_others(
    time_skipping_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """Emma's address is refused: Chloé and Grace get their kick-off, the review goes on to
    publish, and the result (and ``run --wait``'s print, exit 1) names Emma's failure."""
    fakes = ReviewFakes(failing_emails=frozenset({EMMA.email}))
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        await handle.execute_update(
            StrategyReviewWorkflow.close_collection, CloseCollection(requested_by=ANA.email)
        )
        result = await handle.result()
    kick_offs = [s.recipients[0].email for s in fakes.sent if s.message_kind.startswith("kick-")]
    assert ["chloe@acme.example", "grace@acme.example"] == sorted(kick_offs)
    failed = [(d.audience_id, f.email) for d in result.deliveries for f in d.failed]
    assert ("published", [("owners", EMMA.email)]) == (result.stage, failed)
    assert 1 == print_result(result.model_dump(mode="json"))
    out = capsys.readouterr().out
    assert f"not sent to {EMMA.email}: HTTP 400: does not contain a valid address" in out


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
            StrategyReviewWorkflow.close_collection, CloseCollection(requested_by=ANA.email)
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
            StrategyReviewWorkflow.close_collection, CloseCollection(requested_by=ANA.email)
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        status = await handle.query(StrategyReviewWorkflow.review_status)
    [notice] = fakes.failure_notices
    assert "template pack.html: no such block" in notice.error
    assert (ANA.email, "building pack") == (notice.owner.email, status.stage)
    assert [] == [s for s in fakes.sent if s.audience_id == "attendees"]
