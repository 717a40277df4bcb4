"""A whole quarter's review in seconds: StrategyReviewWorkflow on the time-skipping server with
fake activities under the contract's names. Ana owns the review; Chloé, Emma and Grace report."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.approvals.models import ApprovalDecision
from opsrhythm.rituals.strategy_review.models import CloseCollection
from tests.strategy_review.review_history import full_quarter
from tests.strategy_review.workflow_fakes import (
    ANA,
    BEN,
    CHLOE,
    DEV,
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

EVERYONE = (("grow-revenue", CHLOE), ("insights-everywhere", EMMA), ("reduce-churn", GRACE))


async def test_a_full_quarter(time_skipping_env: WorkflowEnvironment) -> None:
    """Kick-off to all three owners; Chloé and Emma on time; Grace reminded twice, her manager
    Dev told after the due date, her late update counted; the pack built at once, its pre-read
    sent only at the pre-read time; Dev asks for changes and every owner is told his comment,
    Chloé resubmits, Ana redrafts, round 2's pack has the new update; Ben approves; one summary
    to each of three audiences."""
    quarter = await full_quarter(time_skipping_env)
    fakes, before_grace, late, resubmitted = (
        quarter.fakes,
        quarter.before_grace,
        quarter.late,
        quarter.resubmitted,
    )
    result = quarter.result

    all_items = ["grow-revenue", "insights-everywhere", "reduce-churn"]
    assert [all_items] == fakes.emailed("kick-off")
    assert [fakes.actions[0].action_id] == [
        a.action_id for a in fakes.review_emails[0].open_actions
    ]
    assert [["reduce-churn"], ["reduce-churn"]] == fakes.emailed("reminder")
    assert [["reduce-churn"]] == fakes.emailed("escalation")
    escalations = [s for s in fakes.sent if s.message_kind.startswith("escalation-")]
    assert [[DEV.email]] == [[r.email for r in s.recipients] for s in escalations]
    assert (["reduce-churn"], ["reduce-churn"]) == (before_grace.late, before_grace.pending)
    assert (True, 1, 2) == (late.late, late.version, resubmitted.version)
    assert ("pack built", 0) == (quarter.built.stage, quarter.pre_reads_when_built)
    [changes] = [e for e in fakes.review_emails if e.kind == "changes-requested"]
    assert (all_items, f"{DEV.email}: Revenue is amber now") == (
        [i.item_id for i in changes.items],
        changes.comment,
    )
    told = [s for s in fakes.sent if s.message_kind.startswith("changes-r1-")]
    assert [CHLOE.email, EMMA.email, GRACE.email] == sorted(s.recipients[0].email for s in told)

    first, second = fakes.packs
    assert (1, 2) == (first.round, second.round)
    assert ["green", "green", "red"] == [s.submission.rag for s in first.submissions]
    assert ["amber", "green", "red"] == [s.submission.rag for s in second.submissions]
    assert [CHLOE.email] == [a.owner_email for a in fakes.applied[:1]]
    pre_reads = [s for s in fakes.sent if s.audience_id == "attendees"]
    assert ["pre-read-r1"] * 3 + ["pre-read-r2"] * 3 == [s.message_kind[:11] for s in pre_reads]

    assert ("published", ["leadership", "sales", "support"]) == (result.stage, fakes.summaries())
    assert result.approval is not None
    assert ("approved", 2) == (result.approval.outcome, result.approval.rounds)
    assert f"/archive/{quarter.workflow_id}/r2" == result.pack_location
    assert [] == result.missing


async def test_every_owner_in_builds_the_pack_at_once_and_sends_it_at_pre_read_time(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """No sign-off configured: the last update builds the pack, the pre-read goes to each
    attendee at the plan's pre-read time (6 days after kick-off), the summaries go out; no
    reminder or escalation is ever sent."""
    fakes = ReviewFakes()
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        for item_id, owner in (
            ("grow-revenue", CHLOE),
            ("insights-everywhere", EMMA),
            ("reduce-churn", GRACE),
        ):
            await submit(handle, item_id, owner)
        result = await handle.result()
    assert ([], []) == (fakes.emailed("reminder"), fakes.emailed("escalation"))
    assert ("published", None, 1) == (result.stage, result.approval, len(fakes.packs))
    pre_reads = [s for s in fakes.sent if s.audience_id == "attendees"]
    assert [[ANA.email], [BEN.email], [DEV.email]] == sorted(
        [r.email for r in s.recipients] for s in pre_reads
    )
    assert [6 * 24.0] * 3 == fakes.pre_reads_after_kick_off()


async def test_the_owners_close_with_send_now_sends_the_pre_read_at_once(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Everyone is in, so the pack is built and waits for its pre-read time; a plain close is
    refused (collection is closed), a close with send_now sends the pre-read at once, at
    kick-off time; a second one is refused."""
    fakes = ReviewFakes(sign_off())
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        for item_id, owner in EVERYONE:
            await submit(handle, item_id, owner)
        await stage(handle, "pack built")
        with pytest.raises(WorkflowUpdateFailedError) as plain:
            await close(handle)
        await close(handle, send_now=True)
        await stage(handle, "awaiting sign-off")
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await close(handle, send_now=True)
        await handle.execute_update(
            StrategyReviewWorkflow.decide, ApprovalDecision(approver=BEN.email, decision="approve")
        )
        result = await handle.result()
    assert "--send-now" in str(plain.value.cause)
    assert "the pre-read has gone out" in str(again.value.cause)
    assert "published" == result.stage
    assert [0.0] * 3 == fakes.pre_reads_after_kick_off()


async def close(handle: Handle, send_now: bool = False) -> None:
    await handle.execute_update(
        StrategyReviewWorkflow.close_collection,
        CloseCollection(requested_by=ANA.email, send_now=send_now),
    )


async def test_missing_updates_are_marked_missing_at_pre_read_time(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Nobody but Chloé reports: at the pre-read time the pack is built with the others
    missing, and the result names them."""
    fakes = ReviewFakes()
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        result = await handle.result()
    assert ["insights-everywhere", "reduce-churn"] == result.missing
    [pack] = fakes.packs
    assert ["grow-revenue"] == [s.submission.item_id for s in pack.submissions]
    assert [["insights-everywhere", "reduce-churn"]] * 2 == fakes.emailed("reminder")


async def test_a_rejected_review_publishes_nothing(time_skipping_env: WorkflowEnvironment) -> None:
    """Dev, who holds a veto, rejects the pack: the run ends 'rejected' with his reason, and no
    audience gets a summary (the attendees had the pre-read)."""
    fakes = ReviewFakes(sign_off(veto=[DEV.email]))
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await handle.execute_update(
            StrategyReviewWorkflow.close_collection,
            CloseCollection(requested_by=ANA.email, send_now=True),
        )
        await stage(handle, "awaiting sign-off")
        await handle.execute_update(
            StrategyReviewWorkflow.decide,
            ApprovalDecision(approver=DEV.email, decision="reject", comment="Not this quarter"),
        )
        result = await handle.result()
    assert result.approval is not None
    assert ("rejected", [], ["attendees"]) == (
        result.stage,
        fakes.summaries(),
        [d.audience_id for d in result.deliveries if d.audience_id != "owners"],
    )
    assert "Not this quarter" in result.approval.reason


async def test_a_late_item_without_a_manager_escalates_to_the_ritual_owner(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Grace's item names no manager: after the due date Ana, who owns the review, is told."""
    fakes = ReviewFakes(unmanaged=frozenset({"reduce-churn"}))
    async with running_review(time_skipping_env.client, fakes) as handle:
        await stage(handle, "collecting")
        await submit(handle, "grow-revenue", CHLOE)
        await submit(handle, "insights-everywhere", EMMA)
        result = await handle.result()
    escalations = [s for s in fakes.sent if s.message_kind.startswith("escalation-")]
    assert ([["reduce-churn"]], [[ANA.email]], ["reduce-churn"]) == (
        fakes.emailed("escalation"),
        [[r.email for r in s.recipients] for s in escalations],
        result.missing,
    )
