"""One draft of the KPI report: gather every source, analyse, render for an approval round.
Deterministic only; the first draft and each redraft after a request for changes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform.failures import root_message
    from opsrhythm.platform.periods import Month
    from opsrhythm.rituals.kpi_report.kpi_math import analyse_report, periods_needed
    from opsrhythm.rituals.kpi_report.models import (
        GATHER_SOURCE,
        RENDER_REPORT,
        SOURCE_ERROR,
        GatherSourceInput,
        KpiFigures,
        RenderedReport,
        RenderReportInput,
        ReportPlan,
    )
    from workflows.activity_options import RENDER_HEARTBEAT, RENDER_RETRY, RENDER_TIMEOUT
    from workflows.run_steps import RunSteps

# gather_source heartbeats per KPI (per month for HTTP): one query or request must answer
# within the heartbeat timeout, and a lost worker costs no more than that.
GATHER_HEARTBEAT = timedelta(seconds=30)
GATHER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_attempts=3,
    non_retryable_error_types=[SOURCE_ERROR],
)


async def draft_report(
    plan: ReportPlan, period: Month, steps: RunSteps, round: int = 1
) -> tuple[RenderedReport, list[KpiFigures]]:
    """Gather, analyse and render (``round``: the approval round it is for, archived apart
    from the rounds before)."""
    steps.enter("gathering")
    series, errors = await _gather(plan, [str(month) for month in periods_needed(period)])

    steps.enter("analysing")
    figures = analyse_report(plan, period, series, errors)

    steps.enter("rendering")
    workflow_id = workflow.info().workflow_id
    rendered = await RENDER_REPORT.execute(
        RenderReportInput(workflow_id=workflow_id, plan=plan, figures=figures, round=round),
        start_to_close_timeout=RENDER_TIMEOUT,
        heartbeat_timeout=RENDER_HEARTBEAT,
        retry_policy=RENDER_RETRY,
    )
    return rendered, figures


async def _gather(
    plan: ReportPlan, months: list[str]
) -> tuple[dict[str, dict[str, float | None]], dict[str, str]]:
    """Every source at once; a failed source leaves its KPIs without data, all failed ends it."""
    outcomes = await asyncio.gather(
        *(
            GATHER_SOURCE.execute(
                GatherSourceInput(source_id=s.source_id, kpi_ids=s.kpi_ids, periods=months),
                start_to_close_timeout=timedelta(minutes=2),
                heartbeat_timeout=GATHER_HEARTBEAT,
                retry_policy=GATHER_RETRY,
            )
            for s in plan.sources
        ),
        return_exceptions=True,
    )
    series: dict[str, dict[str, float | None]] = {}
    errors: dict[str, str] = {}
    for source, outcome in zip(plan.sources, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            if not isinstance(outcome, ActivityError):
                raise outcome
            workflow.logger.warning("Source %s failed: %s", source.source_id, outcome)
            errors.update(dict.fromkeys(source.kpi_ids, root_message(outcome)))
        else:
            series.update(outcome.values)
            for kpi_id, reason in outcome.errors.items():
                workflow.logger.warning("KPI %s has no data: %s", kpi_id, reason)
                errors[kpi_id] = reason
    if plan.sources and not series:
        raise ApplicationError(
            "every data source failed: " + "; ".join(sorted(set(errors.values()))),
            type="AllSourcesFailed",
            non_retryable=True,
        )
    return series, errors
