"""The quarterly strategy review: kick-off, collection (reminders, escalations), the pack (once
all are in, on close, or at pre-read time) and its pre-read (then, or at once on ``send_now``),
sign-off (changes reopen updates), one summary per audience. Steps: ``workflows/review_*.py``."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform import search_attributes
    from opsrhythm.platform.actions.models import ActionItem
    from opsrhythm.platform.approvals.models import ApprovalDraft, ApprovalResult
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import DeliveryResult, ReportStatus, RitualRunInput
    from opsrhythm.platform.periods import Quarter
    from opsrhythm.platform.ritual_kind import OUTCOMES_SETTLED_SIGNAL, PENDING_RESULT_QUERY
    from opsrhythm.rituals.strategy_review.models import (
        CLOSE_COLLECTION_UPDATE,
        PLAN_REVIEW,
        REVIEW_STATUS_QUERY,
        SUBMIT_UPDATE,
        CloseCollection,
        PlanReviewInput,
        RenderedPack,
        ReviewPlan,
        ReviewStage,
        ReviewStatus,
        StatusSubmission,
        StrategyReviewResult,
        SubmittedStatus,
    )
    from workflows.approval import ApprovalSteps
    from workflows.owner_notices import tell_failure
    from workflows.report_sending import unknown_outcomes
    from workflows.review_changes import with_owners_told
    from workflows.review_collection import Collection
    from workflows.review_mail import email_items, follow_up_until
    from workflows.review_pack import (
        build_pack,
        open_actions,
        pack_context,
        pack_draft,
        send_pre_read,
    )
    from workflows.review_publishing import Publishing
    from workflows.run_steps import AWAITING_APPROVAL, AWAITING_REDRAFT, RunSteps

PLAN_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3)


@workflow.defn
class StrategyReviewWorkflow(ApprovalSteps):
    def __init__(self) -> None:
        super().__init__()
        self._ritual_id = ""
        self._period = ""
        self._stage: ReviewStage = "kick-off"
        self._steps = RunSteps(self.approval_gate)
        self._collection = Collection(lambda: self.approval_gate.awaiting_redraft)
        self._open_actions: list[ActionItem] = []
        self._undelivered: list[DeliveryResult] = []
        self._publishing = Publishing(self._steps)

    @workflow.signal(name=OUTCOMES_SETTLED_SIGNAL)
    def outcomes_settled(self) -> None:
        """``opsrhythm ledger resolve``: released summaries are sent again."""
        self._publishing.settling.told()

    @workflow.query(name=PENDING_RESULT_QUERY)
    def pending_result(self) -> StrategyReviewResult | None:
        publishing = self._publishing
        return publishing.pending if publishing.settling.waiting else None

    @workflow.update(name=SUBMIT_UPDATE)
    def submit_status(self, submission: StatusSubmission) -> SubmittedStatus:
        """An owner's update for their item; it replaces their earlier one (both are kept)."""
        return self._collection.record(submission)

    @submit_status.validator
    def _validate_submission(self, submission: StatusSubmission) -> None:
        self._collection.validate(submission)

    @workflow.update(name=CLOSE_COLLECTION_UPDATE)
    def close_collection(self, request: CloseCollection) -> ReviewStatus:
        """The ritual owner's word: build the pack now with whatever is in."""
        self._collection.close(request)
        return self.review_status()

    @close_collection.validator
    def _validate_close(self, request: CloseCollection) -> None:
        self._collection.validate_close(request)

    @workflow.query
    def status(self) -> ReportStatus:
        """What ``opsrhythm status`` asks every ritual: its step (as the Step attribute)."""
        gate = self.approval_gate
        return ReportStatus(
            ritual_id=self._ritual_id,
            period=self._period or None,
            step=self._steps.shown,
            approval=gate.status(workflow.info().workflow_id) if gate.plan else None,
        )

    @workflow.query(name=REVIEW_STATUS_QUERY)
    def review_status(self) -> ReviewStatus:
        plan, collection, gate = self._collection.plan, self._collection, self.approval_gate
        return ReviewStatus(
            workflow_id=workflow.info().workflow_id,
            ritual_id=self._ritual_id,
            period=self._period,
            stage="redrafting" if self._steps.shown == AWAITING_REDRAFT else self._stage,
            due_at=plan.due_at if plan else None,
            pre_read_at=plan.pre_read_at if plan else None,
            meeting_at=plan.meeting_at if plan else None,
            submitted=collection.latest() if plan else [],
            late=collection.late(workflow.now()),
            pending=[item.item_id for item in collection.pending()],
            approval=gate.status(workflow.info().workflow_id) if gate.plan else None,
            items=plan.items if plan else [],
            open_actions=self._open_actions,
            undelivered=self._undelivered,
        )

    @workflow.run
    async def run(self, input: RitualRunInput) -> StrategyReviewResult:
        self._ritual_id = input.ritual_id
        scheduled = workflow.info().typed_search_attributes.get(
            search_attributes.SCHEDULED_START_TIME
        )
        period = self._resolve_period(input, scheduled)
        self._period = str(period)
        self._steps.make_searchable()
        self._enter("kick-off")
        plan = await PLAN_REVIEW.execute(
            PlanReviewInput(
                ritual_id=input.ritual_id,
                period=self._period,
                kickoff_at=scheduled or workflow.now(),
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=PLAN_RETRY,
        )
        self._collection.plan = plan
        try:
            result = await self._review(plan)
        except (ActivityError, ApplicationError) as failure:
            self._steps.enter("failed")
            await tell_failure(plan, root_message(failure))
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    def _resolve_period(self, input: RitualRunInput, scheduled: datetime | None) -> Quarter:
        if input.period is not None:
            return Quarter.parse(input.period)
        period = Quarter.reported_at(scheduled or workflow.now())
        # Only a starter that set Ritual proves the server knows our attributes.
        if workflow.info().typed_search_attributes.get(search_attributes.RITUAL) is not None:
            workflow.upsert_search_attributes([search_attributes.PERIOD.value_set(str(period))])
        return period

    async def _review(self, plan: ReviewPlan) -> StrategyReviewResult:
        undelivered = self._undelivered
        self._open_actions = await open_actions(plan)
        deliveries = await email_items(
            plan, "kick-off", plan.items, "kick-off", undelivered, self._open_actions
        )
        self._enter("collecting")
        deliveries += await follow_up_until(plan, self._collection, plan.pre_read_at, undelivered)

        self._collection.pack_built = True
        self._enter("building pack")
        pack, self._open_actions = await build_pack(plan, self._collection.latest(), 1)
        self._enter("pack built")
        await self._collection.pre_read_time(plan.pre_read_at)
        self._collection.pre_read_sent = True
        deliveries.append(await send_pre_read(plan, pack, 1, undelivered))
        self._enter("pre-read sent")
        if plan.approval is None:
            return await self._publish(plan, pack, deliveries, None)

        async def redraft() -> ApprovalDraft:
            nonlocal pack
            round = self.approval_gate.round.number + 1
            self._enter("building pack")
            latest = self._collection.latest()
            pack, self._open_actions = await build_pack(plan, latest, round)
            deliveries.append(await send_pre_read(plan, pack, round, undelivered))
            self._stage = "awaiting sign-off"
            self._steps.enter(AWAITING_APPROVAL)
            return pack_draft(plan, pack, latest)

        self._stage = "awaiting sign-off"
        with self._steps.awaiting_approval():
            sign_off = self.approval_gate.run(
                plan.approval,
                pack_context(plan),
                pack_draft(plan, pack, self._collection.latest()),
                redraft,
            )
            approval = await with_owners_told(self.approval_gate, plan, undelivered, sign_off)
        if approval.outcome == "approved":
            return await self._publish(plan, pack, deliveries, approval)
        self._enter("rejected")
        return self._result(plan, pack, deliveries, approval)

    async def _publish(
        self,
        plan: ReviewPlan,
        pack: RenderedPack,
        deliveries: list[DeliveryResult],
        approval: ApprovalResult | None,
    ) -> StrategyReviewResult:
        self._enter("publishing")

        def result_of(published: list[DeliveryResult]) -> StrategyReviewResult:
            return self._result(plan, pack, deliveries + published, approval)

        published = await self._publishing.publish(plan, pack, result_of)
        self._stage = "published"
        if not unknown_outcomes(published):
            self._steps.enter("published")
        return result_of(published)

    def _result(
        self,
        plan: ReviewPlan,
        pack: RenderedPack,
        deliveries: list[DeliveryResult],
        approval: ApprovalResult | None,
    ) -> StrategyReviewResult:
        return StrategyReviewResult(
            workflow_id=workflow.info().workflow_id,
            ritual_id=plan.ritual_id,
            period=plan.period,
            stage=self._stage,
            pack_location=pack.location,
            missing=pack.missing,
            approval=approval,
            deliveries=deliveries,
        )

    def _enter(self, stage: ReviewStage) -> None:
        self._stage = stage
        self._steps.enter(stage)
