"""KpiReportWorkflow on the time-skipping server, with its activities replaced by fakes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from opsrhythm.platform.models import DeliveryResult, FailureNoticeInput, Recipient, SendEmailInput
from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.models import (
    AudiencePlan,
    GatherSourceInput,
    KpiPlan,
    KpiReportInput,
    KpiReportResult,
    PlanReportInput,
    RenderedMessage,
    RenderedReport,
    RenderReportInput,
    ReportPlan,
    SourcePlan,
    SourceValues,
)
from workflows.kpi_report import KpiReportWorkflow

OWNER = Recipient(name="Ana Silva", email="ana@acme.example")


def kpi(kpi_id: str, direction: str = "higher") -> KpiPlan:
    return KpiPlan(
        kpi_id=kpi_id,
        name=kpi_id.title(),
        unit="",
        format="{value:,.0f}",
        direction=direction,
        target=100.0,
        tolerance=0.05,
        notable_change=0.1,
        owner=OWNER,
    )


def plan_for(period: str) -> ReportPlan:
    return ReportPlan(
        ritual_id="monthly-kpi-report",
        ritual_name="Monthly KPI report",
        organization="Acme",
        period=period,
        owner=OWNER,
        kpis=[kpi("mrr"), kpi("churn", "lower"), kpi("nps")],
        sources=[
            SourcePlan(source_id="warehouse", kpi_ids=["mrr", "churn"]),
            SourcePlan(source_id="survey", kpi_ids=["nps"]),
        ],
        audiences=[
            AudiencePlan(
                audience_id="leadership",
                name="Leadership",
                detail="summary",
                kpi_ids=["mrr", "churn", "nps"],
                recipients=[Recipient(name="Ben", email="ben@acme.example")],
            ),
            AudiencePlan(
                audience_id="squad",
                name="Squad",
                detail="detail",
                kpi_ids=["churn"],
                recipients=[
                    Recipient(name="Emma", email="emma@acme.example"),
                    Recipient(name="Farid", email="farid@acme.example"),
                ],
            ),
        ],
    )


class FakeActivities:
    """Records what the workflow asked for; ``failing_sources``, ``send_error`` and ``kpi_errors``
    inject faults."""

    def __init__(
        self,
        failing_sources: Sequence[str] = (),
        send_error: str | None = None,
        kpi_errors: dict[str, str] | None = None,
    ) -> None:
        self.failing_sources = set(failing_sources)
        self.kpi_errors = kpi_errors or {}
        self.send_error = send_error
        self.rendered: list[RenderReportInput] = []
        self.sent: list[SendEmailInput] = []
        self.notices: list[FailureNoticeInput] = []

    def all(self) -> list[Callable[..., Any]]:
        @activity.defn(name="plan_report")
        async def plan_report(input: PlanReportInput) -> ReportPlan:
            return plan_for(input.period)

        @activity.defn(name="gather_source")
        async def gather_source(input: GatherSourceInput) -> SourceValues:
            if input.source_id in self.failing_sources:
                raise ApplicationError(f"{input.source_id} is down", non_retryable=True)
            return SourceValues(
                source_id=input.source_id,
                values={
                    k: {p: 100.0 + i for i, p in enumerate(input.periods)}
                    for k in input.kpi_ids
                    if k not in self.kpi_errors
                },
                errors={k: e for k, e in self.kpi_errors.items() if k in input.kpi_ids},
            )

        @activity.defn(name="render_report")
        async def render_report(input: RenderReportInput) -> RenderedReport:
            self.rendered.append(input)
            return RenderedReport(
                archive_location="/archive/x",
                messages=[
                    RenderedMessage(
                        audience_id=a.audience_id, subject="s", path=f"/{a.audience_id}"
                    )
                    for a in input.plan.audiences
                ],
            )

        @activity.defn(name="send_email")
        async def send_email(input: SendEmailInput) -> DeliveryResult:
            if self.send_error:
                raise ApplicationError(self.send_error, non_retryable=True)
            self.sent.append(input)
            return DeliveryResult(
                audience_id=input.audience_id,
                message_kind=input.message_kind,
                transport="outbox",
                sent=[r.email for r in input.recipients],
            )

        @activity.defn(name="send_failure_notice")
        async def send_failure_notice(input: FailureNoticeInput) -> DeliveryResult:
            self.notices.append(input)
            return DeliveryResult(audience_id="owner", message_kind="failure-notice")

        return [plan_report, gather_source, render_report, send_email, send_failure_notice]


async def activity_options(
    handle: WorkflowHandle[Any, Any], names: set[str]
) -> set[tuple[str, timedelta, int, tuple[str, ...]]]:
    """Name, heartbeat timeout, maximum attempts and non-retryable types of each activity in
    ``names`` that the workflow scheduled, read from its history."""
    history = await handle.fetch_history()
    return {
        (
            a.activity_type.name,
            a.heartbeat_timeout.ToTimedelta(),
            a.retry_policy.maximum_attempts,
            tuple(a.retry_policy.non_retryable_error_types),
        )
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
        and (a := event.activity_task_scheduled_event_attributes).activity_type.name in names
    }


async def run_report(
    env: WorkflowEnvironment, fakes: FakeActivities, period: str | None = "2026-10"
) -> KpiReportResult:
    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        return await env.client.execute_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period=period),
            id=f"monthly-kpi-report-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=5),
        )


async def test_sends_one_email_per_audience(time_skipping_env: WorkflowEnvironment) -> None:
    """Every audience gets its message, and the result lists each recipient as sent."""
    fakes = FakeActivities()
    result = await run_report(time_skipping_env, fakes)
    assert {
        "leadership": ["ben@acme.example"],
        "squad": ["emma@acme.example", "farid@acme.example"],
    } == {d.audience_id: d.sent for d in result.deliveries}
    assert "/archive/x" == result.archive_location
    assert [] == fakes.notices


async def test_gathers_trend_and_year_ago_months(time_skipping_env: WorkflowEnvironment) -> None:
    """Figures cover 12 trend months and compare with the month before and a year ago."""
    fakes = FakeActivities()
    await run_report(time_skipping_env, fakes)
    mrr = next(f for f in fakes.rendered[0].figures if f.kpi.kpi_id == "mrr")
    assert 12 == len(mrr.trend)
    assert ("2025-11", "2026-10") == (mrr.trend[0].period, mrr.trend[-1].period)
    assert (112.0, 111.0, 100.0) == (mrr.value, mrr.previous, mrr.year_ago)


async def test_failing_source_leaves_no_data_but_report_goes_out(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """One source down: its KPIs say no data with the error, and the rest still send."""
    fakes = FakeActivities(failing_sources=["survey"])
    result = await run_report(time_skipping_env, fakes)
    nps = next(f for f in fakes.rendered[0].figures if f.kpi.kpi_id == "nps")
    assert ("no_data", "survey is down") == (nps.status, nps.error)
    assert ["nps"] == result.kpis_without_data
    assert 2 == len(fakes.sent)


async def test_kpi_error_leaves_only_that_kpi_without_data(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A KPI its source could not read says no data with the reason; the source's others report."""
    fakes = FakeActivities(kpi_errors={"churn": "KPI 'churn' query: no such table: churn"})
    result = await run_report(time_skipping_env, fakes)
    figures = {f.kpi.kpi_id: f for f in fakes.rendered[0].figures}
    assert ("no_data", "KPI 'churn' query: no such table: churn") == (
        figures["churn"].status,
        figures["churn"].error,
    )
    assert (112.0, None) == (figures["mrr"].value, figures["mrr"].error)
    assert ["churn"] == result.kpis_without_data
    assert 2 == len(fakes.sent)


async def test_gather_and_render_heartbeat_with_bounded_retries(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A lost worker costs a 30 s heartbeat timeout; retries stop, at once for permanent errors."""
    fakes = FakeActivities()
    task_queue = str(uuid.uuid4())
    async with Worker(
        time_skipping_env.client,
        task_queue=task_queue,
        workflows=[KpiReportWorkflow],
        activities=fakes.all(),
    ):
        handle = await time_skipping_env.client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=f"monthly-kpi-report-{uuid.uuid4()}",
            task_queue=task_queue,
            execution_timeout=timedelta(minutes=5),
        )
        await handle.result()
    options = await activity_options(handle, {"gather_source", "render_report"})
    assert {
        ("gather_source", timedelta(seconds=30), 3, ("SourceError",)),
        ("render_report", timedelta(seconds=30), 3, ("RenderError",)),
    } == options


async def test_all_sources_failing_fails_run_and_tells_owner(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Every source down: no report, the run fails, and the ritual owner gets the error."""
    fakes = FakeActivities(failing_sources=["warehouse", "survey"])
    with pytest.raises(WorkflowFailureError) as failure:
        await run_report(time_skipping_env, fakes)
    assert "every data source failed" in str(failure.value.cause)
    assert [] == fakes.sent
    [notice] = fakes.notices
    assert OWNER == notice.owner
    assert "survey is down" in notice.error
    assert "opsrhythm run monthly-kpi-report --period 2026-10 --wait" == notice.rerun_command


async def test_send_failure_fails_run_and_tells_owner(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """A rejected send is never silent: the run fails naming the audience and the owner hears."""
    fakes = FakeActivities(send_error="The from address does not match a verified Sender Identity")
    with pytest.raises(WorkflowFailureError) as failure:
        await run_report(time_skipping_env, fakes)
    assert "leadership, squad: The from address does not match" in str(failure.value.cause)
    assert 1 == len(fakes.notices)


async def test_period_defaults_to_last_complete_month(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """Without a period (and no schedule), the run reports the month before the current one."""
    fakes = FakeActivities()
    result = await run_report(time_skipping_env, fakes, period=None)
    now = await time_skipping_env.get_current_time()
    assert str(Month.reported_at(now)) == result.period
