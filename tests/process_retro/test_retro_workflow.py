"""Retros in seconds: ProcessRetroWorkflow on the time-skipping server with fake activities
under the contract's names. Ana facilitates; Emma, Farid and Grace take part."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.process_retro.retro_cycles import first_retro
from tests.process_retro.retro_fakes import (
    ANA,
    EMMA,
    FARID,
    GRACE,
    PARTICIPANTS,
    RetroFakes,
    advance,
    running_retro,
    stage,
)

EVERYONE = [c.email for c in PARTICIPANTS]


async def test_two_cycles_carry_an_open_action_into_the_next_review(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Retro 1 skips the review (nothing open), invites and reminds everyone, groups, votes and
    records Farid's action; retro 2 first puts that action to Farid alone, he marks it done,
    and its summary reports it done; nothing of retro 1 is reviewed twice."""
    fakes = RetroFakes()
    first = await first_retro(time_skipping_env, fakes)

    assert [EVERYONE, EVERYONE, EVERYONE] == (
        fakes.emailed("invite") + fakes.emailed("reminder") + fakes.emailed("vote")
    )
    assert [] == fakes.emailed("action-review")
    assert (3, 2, 4) == (
        first.result.counts.items,
        first.result.counts.participants,
        first.result.counts.votes,
    )
    assert "summary sent" == first.result.stage
    assert 3 == first.voting.counts.groups
    [summary_1] = fakes.summaries
    assert [] == summary_1.reviewed_actions

    async with running_retro(time_skipping_env.client, fakes, "2027-W03") as h:
        # The time-skipping server's describe lists no pending activity: wait for the listing.
        review = await stage(h, "action review", lambda s: s.open_actions_pending > 0)
        assert (0, 1) == (review.open_actions_reviewed, review.open_actions_pending)
        fakes.close_action(first.action.action_id, "done")
        await advance(h, "action review")
        collecting = await stage(h, "collecting")
        assert (1, 0) == (collecting.open_actions_reviewed, collecting.open_actions_pending)
        fakes.items[h.id] = [FARID.email]
        second = await h.result()

    [review_email] = [e for e in fakes.emails if e.kind == "action-review"]
    assert ([FARID.email], [first.action.action_id]) == (
        [c.email for c in review_email.recipients],
        [a.action_id for a in review_email.open_actions],
    )
    summary_2 = fakes.summaries[1]
    assert [(first.action.action_id, "done")] == [
        (a.action_id, a.state) for a in summary_2.reviewed_actions
    ]
    assert ("summary sent", 1) == (second.stage, second.counts.items)


async def test_an_empty_retro_still_sends_its_summary(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Nobody adds an item: no vote is asked, the windows run out, and the summary (which says
    the retro had no items) still goes to every participant."""
    fakes = RetroFakes()
    async with running_retro(time_skipping_env.client, fakes) as handle:
        result = await handle.result()
    assert ([], [EVERYONE]) == (fakes.emailed("vote"), fakes.emailed("reminder"))
    assert ("summary sent", 0) == (result.stage, result.counts.items)
    summaries = [s for s in fakes.sent if s.audience_id == "summary"]
    assert [[email] for email in EVERYONE] == sorted(
        [r.email for r in s.recipients] for s in summaries
    )
    assert result.summary_location.endswith(handle.id)


async def test_only_the_facilitator_advances_and_only_the_current_stage(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Emma cannot close collection; Ana cannot close voting while collecting; Ana closes
    collection, and the retro groups Emma's item at once, until the grouping window's end."""
    fakes = RetroFakes()
    async with running_retro(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        refusals = []
        for by, wanted in ((EMMA, "collecting"), (ANA, "voting"), (ANA, "action review")):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await advance(handle, wanted, by)  # type: ignore[arg-type]
            assert isinstance(refused.value.cause, ApplicationError)
            refusals.append(refused.value.cause.message)
        fakes.items[handle.id] = [EMMA.email]
        status = await advance(handle, "collecting")
        grouping = await stage(handle, "grouping")
        await handle.result()
    assert [
        "only the facilitator (Ana Silva) may advance the retro",
        "the retro is in stage 'collecting', not 'voting': nothing advanced",
        "the retro is in stage 'collecting', not 'action review': nothing advanced",
    ] == refusals
    assert ("collecting", "grouping") == (status.stage, grouping.stage)
    assert grouping.closes_at is not None and status.plan is not None
    assert grouping.closes_at == status.plan.grouping_closes_at


async def test_a_participant_email_that_fails_does_not_stop_the_others(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Grace's address is refused: Emma and Farid still get every email, the summary among
    them, the run completes, and Ana is told of each of Grace's undelivered emails."""
    fakes = RetroFakes(failing_emails=frozenset({GRACE.email}))
    async with running_retro(time_skipping_env.client, fakes) as handle:
        result = await handle.result()
    invites = [s for s in fakes.sent if s.audience_id == "invite"]
    assert [EMMA.email, FARID.email] == sorted(r.email for s in invites for r in s.recipients)
    summaries = [s for s in fakes.sent if s.audience_id == "summary"]
    assert [[EMMA.email], [FARID.email]] == sorted(
        [r.email for r in s.recipients] for s in summaries
    )
    assert [] == fakes.failure_notices
    assert {"invite", "summary"} <= {n.label for n in fakes.undelivered_notices}
    assert all(ANA.email == n.owner.email for n in fakes.undelivered_notices)
    assert all([GRACE.email] == [f.email for f in n.failed] for n in fakes.undelivered_notices)
    failed = {(d.audience_id, f.email) for d in result.deliveries for f in d.failed}
    assert {("invite", GRACE.email), ("summary", GRACE.email)} <= failed


async def test_a_store_that_is_down_leaves_out_the_review_not_the_retro(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """The actions store cannot be read: the retro skips the review with a warning and
    collects as usual; grouping then cannot reach the retro store either, so the run fails
    and Ana is told why."""
    fakes = RetroFakes(store_down=True)
    async with running_retro(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await advance(handle, "collecting")
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    assert [EVERYONE] == fakes.emailed("invite")
    [notice] = fakes.failure_notices
    assert "retro store: connection refused" in notice.error


async def test_an_open_decision_is_not_put_to_review(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Only a decision of the last retro is in force: nobody is asked about it, so the retro
    opens collection at once."""
    fakes = RetroFakes()
    decision = fakes.add_action(
        "process-retro-2026-W43", FARID, "Release on Tuesdays", date(2026, 10, 20)
    )
    fakes.actions[0] = decision.model_copy(update={"kind": "decision"})
    async with running_retro(time_skipping_env.client, fakes) as handle:
        collecting = await stage(handle, "collecting")
        result = await handle.result()
    assert ([], 0) == (fakes.emailed("action-review"), collecting.open_actions_pending)
    assert [] == fakes.summaries[0].reviewed_actions
    assert "summary sent" == result.stage


async def test_a_run_that_starts_late_sends_no_stale_reminder(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Planned 3.5 days earlier (a late scheduled run): the reminder's moment has passed, so
    the invites go alone and collection still closes at its planned time."""
    fakes = RetroFakes(late_by=timedelta(days=3, hours=12))
    async with running_retro(time_skipping_env.client, fakes) as handle:
        result = await handle.result()
    assert ([EVERYONE], []) == (fakes.emailed("invite"), fakes.emailed("reminder"))
    assert "summary sent" == result.stage
