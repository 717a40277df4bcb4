"""The process retrospective: earlier actions reviewed by their owners, items collected (with
reminders), grouped, voted on, turned into actions by the facilitator, then the summary.

Items, votes and their authors never reach this workflow: participants write them straight to
the retro store, and the workflow reads only counts (``RETRO_COUNTS``, ``GROUP_RETRO_ITEMS``),
so its history cannot tell who wrote what. Open actions carry over through the shared actions
store: the next retro (another workflow id, from the schedule) lists them. Deterministic only;
the steps live in ``workflows/retro_*.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform import search_attributes
    from opsrhythm.platform.actions.models import ActionItem
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import DeliveryResult, ReportStatus, RitualRunInput
    from opsrhythm.platform.periods import IsoWeek
    from opsrhythm.rituals.process_retro.models import (
        ADVANCE_UPDATE,
        GROUP_RETRO_ITEMS,
        PLAN_RETRO,
        RETRO_COUNTS,
        RETRO_STATUS_QUERY,
        AdvanceRequest,
        GroupItemsInput,
        PlanRetroInput,
        ProcessRetroResult,
        RetroCounts,
        RetroCountsInput,
        RetroPlan,
        RetroStage,
        RetroStatus,
    )
    from workflows.approval import ApprovalSteps
    from workflows.owner_notices import tell_failure
    from workflows.retro_mail import (
        STORE_RETRY,
        STORE_TIMEOUT,
        action_outcomes,
        email_people,
        facilitator_notice_plan,
        open_actions,
        owners_of,
        send_summary,
    )
    from workflows.retro_windows import Windows
    from workflows.run_steps import RunSteps

PLAN_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3)


@workflow.defn
class ProcessRetroWorkflow(ApprovalSteps):
    def __init__(self) -> None:
        super().__init__()
        self._ritual_id = ""
        self._period = ""
        # A retro asks nobody's sign-off: its gate stays empty, so the ``approval`` query that
        # ``opsrhythm status`` asks every run answers "not requested".
        self._steps = RunSteps(self.approval_gate)
        self._windows = Windows()
        self._counts = RetroCounts()
        self._reviewing: list[ActionItem] = []
        self._reviewed: list[ActionItem] | None = None

    @workflow.update(name=ADVANCE_UPDATE)
    def advance(self, request: AdvanceRequest) -> RetroStatus:
        """The facilitator's word: close the current window now."""
        self._windows.advance(request)
        return self.retro_status()

    @advance.validator
    def _validate_advance(self, request: AdvanceRequest) -> None:
        self._windows.validate(request)

    @workflow.query
    def status(self) -> ReportStatus:
        """What ``opsrhythm status`` asks every ritual: its step (as the Step attribute)."""
        return ReportStatus(
            ritual_id=self._ritual_id, period=self._period or None, step=self._steps.shown
        )

    @workflow.query(name=RETRO_STATUS_QUERY)
    def retro_status(self) -> RetroStatus:
        windows = self._windows
        reviewed = self._reviewed
        still_open = sum(a.state == "open" for a in reviewed) if reviewed is not None else 0
        return RetroStatus(
            workflow_id=workflow.info().workflow_id,
            ritual_id=self._ritual_id,
            period=self._period,
            stage=windows.stage,
            closes_at=windows.closes_at(),
            counts=self._counts,
            open_actions_reviewed=len(reviewed) - still_open if reviewed is not None else 0,
            open_actions_pending=still_open if reviewed is not None else len(self._reviewing),
            plan=windows.plan,
        )

    @workflow.run
    async def run(self, input: RitualRunInput) -> ProcessRetroResult:
        self._ritual_id = input.ritual_id
        scheduled = workflow.info().typed_search_attributes.get(
            search_attributes.SCHEDULED_START_TIME
        )
        self._period = str(self._resolve_period(input, scheduled))
        self._steps.make_searchable()
        self._steps.enter("planning")
        plan = await PLAN_RETRO.execute(
            PlanRetroInput(
                ritual_id=input.ritual_id,
                period=self._period,
                opened_at=scheduled or workflow.now(),
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=PLAN_RETRY,
        )
        self._windows.plan = plan
        try:
            result = await self._retro(plan)
        except (ActivityError, ApplicationError) as failure:
            self._steps.enter("failed")
            await tell_failure(facilitator_notice_plan(plan), root_message(failure))
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    def _resolve_period(self, input: RitualRunInput, scheduled: datetime | None) -> IsoWeek:
        if input.period is not None:
            return IsoWeek.parse(input.period)
        period = IsoWeek.reported_at(scheduled or workflow.now())
        # Only a starter that set Ritual proves the server knows our attributes.
        if workflow.info().typed_search_attributes.get(search_attributes.RITUAL) is not None:
            workflow.upsert_search_attributes([search_attributes.PERIOD.value_set(str(period))])
        return period

    async def _retro(self, plan: RetroPlan) -> ProcessRetroResult:
        windows = self._windows
        self._enter("action review")
        self._reviewing = await open_actions(plan)
        deliveries: list[DeliveryResult] = []
        if self._reviewing:
            deliveries += await email_people(
                plan,
                "action-review",
                owners_of(self._reviewing),
                "action-review",
                open_actions=self._reviewing,
            )
            await windows.wait("action review", plan.action_review_closes_at)
            self._reviewed = await action_outcomes(self._reviewing)

        self._enter("collecting")
        deliveries += await email_people(plan, "invite", plan.participants, "invite")
        for number, moment in enumerate(plan.reminders_at, 1):
            if moment <= workflow.now():
                continue  # a run started late: the invite just went, no reminder with it
            if moment >= plan.collection_closes_at or await windows.wait("collecting", moment):
                break
            # Everyone is reminded: reminding only those without items would tell history who
            # wrote some.
            label = f"reminder-{number}"
            deliveries += await email_people(plan, "reminder", plan.participants, label)
        await windows.wait("collecting", plan.collection_closes_at)

        self._enter("grouping")
        self._counts = await GROUP_RETRO_ITEMS.execute(
            GroupItemsInput(workflow_id=workflow.info().workflow_id),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=STORE_RETRY,
        )
        if self._counts.items:
            await windows.wait("grouping", plan.grouping_closes_at)
            self._counts = await self._read_counts(plan)
            self._enter("voting")
            deliveries += await email_people(
                plan, "vote", plan.participants, "vote", counts=self._counts
            )
            await windows.wait("voting", plan.voting_closes_at)
            self._counts = await self._read_counts(plan)
            self._enter("actions")
            await windows.wait("actions", plan.actions_close_at)

        self._reviewed = await action_outcomes(self._reviewing)
        summary, sent = await send_summary(plan, self._reviewed, self._counts)
        self._enter("summary sent")
        return ProcessRetroResult(
            workflow_id=workflow.info().workflow_id,
            ritual_id=plan.ritual_id,
            period=plan.period,
            stage=windows.stage,
            counts=self._counts,
            summary_location=summary.location,
            deliveries=deliveries + sent,
        )

    async def _read_counts(self, plan: RetroPlan) -> RetroCounts:
        """The store's counts now; the last ones read (with a warning) if it is down."""
        try:
            return await RETRO_COUNTS.execute(
                RetroCountsInput(
                    workflow_id=workflow.info().workflow_id,
                    participants=[p.email for p in plan.participants],
                ),
                start_to_close_timeout=STORE_TIMEOUT,
                retry_policy=STORE_RETRY,
            )
        except ActivityError as error:
            workflow.logger.warning("Retro counts not read: %s", root_message(error))
            return self._counts

    def _enter(self, stage: RetroStage) -> None:
        self._windows.enter(stage)
        self._steps.enter(stage)
