"""What a ritual's schedule starts: pick the period from the scheduled time, run the ritual once.

Any kind: the input names the kind's workflow and period type. The run is a child with the
same id a manual ``opsrhythm run`` uses, so a period that already ran is never sent twice. A
failed run fails this workflow too (after the run has emailed its owner), so the schedule's
pause_on_failure sees it.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, ChildWorkflowError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform import search_attributes
    from opsrhythm.platform.models import ReportStatus, RitualRunInput
    from opsrhythm.platform.periods import PERIOD_TYPES
    from opsrhythm.platform.runs import rerun_command, run_workflow_id
    from opsrhythm.platform.schedules.models import ScheduledRunInput, ScheduledRunResult
    from opsrhythm.platform.schedules.times import period_for_run


@workflow.defn
class ScheduledRitualWorkflow:
    def __init__(self) -> None:
        self._ritual_id = ""
        self._period: str | None = None
        self._step = "starting"

    @workflow.query
    def status(self) -> ReportStatus:
        return ReportStatus(ritual_id=self._ritual_id, period=self._period, step=self._step)

    @workflow.run
    async def run(self, input: ScheduledRunInput) -> ScheduledRunResult:
        self._ritual_id = input.ritual_id
        info = workflow.info()
        # The scheduled time, not the clock: a run delayed by an outage reports the right month.
        scheduled = info.typed_search_attributes.get(search_attributes.SCHEDULED_START_TIME)
        period_type = PERIOD_TYPES[input.period_kind]
        period = str(period_for_run(scheduled or workflow.now(), input.timezone, period_type))
        self._period = period
        report_id = run_workflow_id(input.ritual_id, period)
        result = ScheduledRunResult(
            ritual_id=input.ritual_id,
            period=period,
            report_workflow_id=report_id,
            outcome="reported",
        )
        self._step = f"starting {report_id}"
        try:
            report = await workflow.start_child_workflow(
                input.workflow,
                RitualRunInput(ritual_id=input.ritual_id, period=period),
                id=report_id,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                # The report outlives this wrapper if it is ever terminated: never cut a send.
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(search_attributes.RITUAL, input.ritual_id),
                        SearchAttributePair(search_attributes.PERIOD, period),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("%s already ran or is running; nothing sent", report_id)
            self._step = "already ran"
            return result.model_copy(update={"outcome": "already_ran"})
        self._step = f"waiting for {report_id}"
        try:
            await report
        except ChildWorkflowError as failure:
            self._step = "failed"
            raise ApplicationError(
                f"{report_id} failed: {_innermost(failure)}; the owner was emailed; re-run with: "
                + rerun_command(input.ritual_id, period),
                type="ReportFailed",
                non_retryable=True,
            ) from None
        self._step = "done"
        return result


def _innermost(failure: BaseException) -> str:
    while failure.__cause__ is not None:
        failure = failure.__cause__
    return str(failure)
