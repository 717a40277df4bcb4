"""The monthly KPI report: plan, gather, analyse, render, (approve,) send; deterministic only."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform import search_attributes
    from opsrhythm.platform.approvals.models import ApprovalDraft, ApprovalResult
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.models import (
        DeliveryResult,
        ReportStatus,
        SendEmailInput,
    )
    from opsrhythm.platform.periods import Month
    from opsrhythm.platform.ritual_kind import OUTCOMES_SETTLED_SIGNAL, PENDING_RESULT_QUERY
    from opsrhythm.rituals.kpi_report.models import (
        PLAN_REPORT,
        KpiFigures,
        KpiReportInput,
        KpiReportResult,
        PlanReportInput,
        RenderedReport,
        ReportPlan,
    )
    from opsrhythm.rituals.kpi_report.report_draft import report_context, report_draft
    from workflows.approval import ApprovalSteps
    from workflows.outcome_settling import Settling
    from workflows.owner_notices import tell_failure, tell_needs_attention
    from workflows.report_drafting import draft_report
    from workflows.report_sending import resend_doubtful, send_all, unknown_outcomes
    from workflows.run_steps import AWAITING_APPROVAL, RunSteps

SOURCE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3)
# New runs record it (then tell the owner and wait to be settled); a run that finished before
# needs-attention notices replays without it.
NEEDS_ATTENTION_PATCH = "needs-attention-notice"


@workflow.defn
class KpiReportWorkflow(ApprovalSteps):
    def __init__(self) -> None:
        super().__init__()
        self._ritual_id = ""
        self._period: str | None = None
        self._steps = RunSteps(self.approval_gate)
        self._unknown_outcomes = 0
        self._settling = Settling()
        self._pending: KpiReportResult | None = None

    @workflow.signal(name=OUTCOMES_SETTLED_SIGNAL)
    def outcomes_settled(self) -> None:
        self._settling.told()

    @workflow.query(name=PENDING_RESULT_QUERY)
    def pending_result(self) -> KpiReportResult | None:
        return self._pending if self._settling.waiting else None

    @workflow.query
    def status(self) -> ReportStatus:
        gate = self.approval_gate
        return ReportStatus(
            ritual_id=self._ritual_id,
            period=self._period,
            step=self._steps.shown,
            approval=gate.status(workflow.info().workflow_id) if gate.plan else None,
            unknown_outcomes=self._unknown_outcomes,
        )

    @workflow.run
    async def run(self, input: KpiReportInput) -> KpiReportResult:
        self._ritual_id = input.ritual_id
        period = self._resolve_period(input)
        self._period = str(period)
        self._steps.make_searchable()
        self._steps.enter("planning")
        plan = await PLAN_REPORT.execute(
            PlanReportInput(ritual_id=input.ritual_id, period=str(period)),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=SOURCE_RETRY,
        )
        try:
            result = await self._report(plan, period)
        except (ActivityError, ApplicationError) as failure:
            self._steps.enter("failed")
            await tell_failure(plan, root_message(failure))
            raise
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    def _resolve_period(self, input: KpiReportInput) -> Month:
        if input.period is not None:
            return Month.parse(input.period)
        info = workflow.info()
        scheduled = info.typed_search_attributes.get(search_attributes.SCHEDULED_START_TIME)
        period = Month.reported_at(scheduled or workflow.now())
        # Only a starter that set Ritual proves the server knows our attributes; upserting an
        # unregistered one would fail every workflow task and stall the run.
        if info.typed_search_attributes.get(search_attributes.RITUAL) is not None:
            workflow.upsert_search_attributes([search_attributes.PERIOD.value_set(str(period))])
        return period

    async def _report(self, plan: ReportPlan, period: Month) -> KpiReportResult:
        rendered, figures = await draft_report(plan, period, self._steps)
        if plan.approval is None:
            return await self._deliver(plan, rendered, figures, None)

        async def redraft() -> ApprovalDraft:
            nonlocal rendered, figures
            rendered, figures = await draft_report(
                plan, period, self._steps, self.approval_gate.round.number + 1
            )
            self._steps.enter(AWAITING_APPROVAL)
            return report_draft(plan, figures, rendered)

        with self._steps.awaiting_approval():
            approval = await self.approval_gate.run(
                plan.approval,
                report_context(workflow.info().workflow_id, plan, workflow.info().run_id),
                report_draft(plan, figures, rendered),
                redraft,
            )
        if approval.outcome == "approved":
            return await self._deliver(plan, rendered, figures, approval)
        self._steps.enter("rejected")
        return KpiReportResult(
            workflow_id=workflow.info().workflow_id,
            ritual_id=plan.ritual_id,
            period=plan.period,
            archive_location=rendered.archive_location,
            deliveries=[],
            approval=approval,
        )

    async def _deliver(
        self,
        plan: ReportPlan,
        rendered: RenderedReport,
        figures: list[KpiFigures],
        approval: ApprovalResult | None,
    ) -> KpiReportResult:
        workflow_id = workflow.info().workflow_id
        self._steps.enter("sending")
        recipients = {a.audience_id: a.recipients for a in plan.audiences}
        sends = [
            SendEmailInput(
                workflow_id=workflow_id,
                ritual_id=plan.ritual_id,
                period=plan.period,
                audience_id=message.audience_id,
                message_kind="report",
                message_path=message.path,
                recipients=recipients[message.audience_id],
            )
            for message in rendered.messages
        ]
        deliveries = self._counted(await send_all(sends))

        def result(deliveries: list[DeliveryResult]) -> KpiReportResult:
            return KpiReportResult(
                workflow_id=workflow_id,
                ritual_id=plan.ritual_id,
                period=plan.period,
                archive_location=rendered.archive_location,
                deliveries=deliveries,
                kpis_without_data=[f.kpi.kpi_id for f in figures if f.value is None],
                approval=approval,
            )

        if self._unknown_outcomes and workflow.patched(NEEDS_ATTENTION_PATCH):
            until = self._settling.begin()
            await tell_needs_attention(plan, deliveries, until)
            self._pending = result(deliveries).model_copy(update={"waiting_until": until})
            while self._unknown_outcomes and await self._settling.told_in_time():
                self._steps.enter("sending")
                deliveries = self._counted(await resend_doubtful(sends, deliveries))
                self._pending = self._pending.model_copy(update={"deliveries": deliveries})
        return result(deliveries)

    def _counted(self, deliveries: list[DeliveryResult]) -> list[DeliveryResult]:
        """Set the step from the unknowns: the run needs attention while any is left."""
        self._unknown_outcomes = unknown_outcomes(deliveries)
        self._steps.enter("needs attention" if self._unknown_outcomes else "done")
        return deliveries
