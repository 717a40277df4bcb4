"""What the CLI's commands do once their arguments are checked (see ``starter.py``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, FailureError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform import search_attributes
from opsrhythm.platform.periods import Month
from opsrhythm.platform.temporal_runtime import (
    TASK_QUEUE,
    TemporalUnavailable,
    check_search_attributes,
    client_with_worker,
    connect,
    embedded_server,
)
from opsrhythm.rituals.kpi_report.models import KpiReportInput, KpiReportResult


def outbox_dir() -> Path:
    return Path(os.environ.get("OPSRHYTHM_OUTBOX") or "outbox")


def validate(config: OpsRhythmConfig, source: str | None) -> int:
    from opsrhythm.config_loader import config_path

    print(
        f"{config_path(source)} is valid: {len(config.people)} people, "
        f"{len(config.audiences)} audiences, {len(config.sources)} sources, "
        f"{len(config.kpis)} KPIs, {len(config.rituals)} rituals "
        f"({', '.join(r.id for r in config.rituals) or 'none'})"
    )
    return 0


async def worker(config: OpsRhythmConfig) -> int:
    from worker import build_worker

    client = await connect()
    print(f"Worker polling task queue {TASK_QUEUE!r} on {client.service_client.config.target_host}")
    await build_worker(client, config).run()
    return 0


async def demo(config: OpsRhythmConfig, period: Month) -> int:
    """The example company's report on an embedded server, into the local outbox."""
    from opsrhythm.platform.db.migrate import upgrade
    from opsrhythm.platform.ledger import SendLedger
    from opsrhythm.platform.mail.outbox import OutboxTransport
    from worker import build_worker

    outbox = outbox_dir()
    ritual_id = config.rituals[0].id
    # A throwaway ledger: each demo is a fresh run on a fresh in-memory server.
    with tempfile.TemporaryDirectory(prefix="opsrhythm-demo-") as scratch:
        url = f"sqlite:///{scratch}/ledger.db"
        upgrade(url)  # a private scratch file: nobody would run `opsrhythm db upgrade` on it
        ledger = SendLedger.from_url(url)
        async with embedded_server() as server:
            print(f"Temporal Web UI: {server.ui_url}  (server {server.address})")
            transport = OutboxTransport(outbox, config.email)
            async with build_worker(server.client, config, transport=transport, ledger=ledger):
                code = await start(server.client, ritual_id, period, wait=True)
    if code == 0:
        print(f"Emails: {outbox.resolve()} (open index.html, or any .eml in a mail client)")
    return code


async def run(config: OpsRhythmConfig, ritual_id: str, period: Month, *, wait: bool) -> int:
    if not wait:
        client = await connect()
        await check_search_attributes(client)
        return await start(client, ritual_id, period, wait=False)
    async with client_with_worker(config, announce=print) as client:
        await check_search_attributes(client)
        return await start(client, ritual_id, period, wait=True)


async def start(client: Client, ritual_id: str, period: Month, *, wait: bool) -> int:
    from opsrhythm.platform.runs import run_workflow_id
    from workflows.kpi_report import KpiReportWorkflow

    workflow_id = run_workflow_id(ritual_id, str(period))
    try:
        handle = await client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id=ritual_id, period=str(period)),
            id=workflow_id,
            task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search_attributes.RITUAL, ritual_id),
                    SearchAttributePair(search_attributes.PERIOD, str(period)),
                ]
            ),
        )
        print(f"Workflow id: {workflow_id}")
    except RPCError as error:
        raise TemporalUnavailable(f"could not start {workflow_id}: {error.message}") from None
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(KpiReportWorkflow.run, workflow_id)
        if not wait:
            print(
                f"refused: {workflow_id} already completed for {period}; no second report is "
                "sent (add --wait to see its result)",
            )
            return 1
        print(f"{workflow_id} already completed for {period}; its result:")
    if not wait:
        print(f"Follow it with: temporal workflow describe --workflow-id {workflow_id}")
        return 0
    try:
        result = await handle.result()
    except WorkflowFailureError as failure:
        print(f"opsrhythm: {workflow_id} failed: {_message(failure.cause)}", flush=True)
        return 1
    print_result(result)
    return 0


def _message(error: BaseException) -> str:
    """The run's own failure message, without the SDK's type prefix."""
    return error.message if isinstance(error, FailureError) else str(error)


def print_result(result: KpiReportResult) -> None:
    print(f"Report for {Month.parse(result.period).label}: archived at {result.archive_location}")
    for delivery in result.deliveries:
        print(
            f"  {delivery.audience_id}: {len(delivery.sent)} sent, "
            f"{len(delivery.skipped)} skipped, {len(delivery.failed)} failed"
            + (f" via {delivery.transport}" if delivery.transport else "")
        )
    if result.kpis_without_data:
        print(f"  no data for: {', '.join(result.kpis_without_data)}")
    if result.approval is not None:
        reason = f": {result.approval.reason}" if result.approval.reason else ""
        print(f"  approval: {result.approval.outcome}{reason}")


def preview(config: OpsRhythmConfig, ritual_id: str, period: Month, out: Path) -> int:
    """Plan, gather, analyse and render exactly as the workflow does, minus Temporal and sending."""
    from activities.kpi_data import KpiDataActivities
    from opsrhythm.platform.rendering import default_templates_dir
    from opsrhythm.platform.runs import run_workflow_id
    from opsrhythm.rituals.kpi_report.kpi_math import analyse_report, periods_needed
    from opsrhythm.rituals.kpi_report.models import (
        GatherSourceInput,
        PlanReportInput,
        RenderReportInput,
    )
    from opsrhythm.rituals.kpi_report.rendering import ReportRenderer

    data = KpiDataActivities(config)
    plan = data.plan_report(PlanReportInput(ritual_id=ritual_id, period=str(period)))
    months = [str(month) for month in periods_needed(period)]
    series: dict[str, dict[str, float | None]] = {}
    errors: dict[str, str] = {}
    for source in plan.sources:
        request = GatherSourceInput(
            source_id=source.source_id, kpi_ids=source.kpi_ids, periods=months
        )
        try:
            series.update(data.gather_source(request).values)
        except ApplicationError as error:
            print(f"warning: {error}")
            errors.update(dict.fromkeys(source.kpi_ids, str(error)))
    figures = analyse_report(plan, period, series, errors)
    renderer = ReportRenderer(default_templates_dir(), out)
    workflow_id = f"preview-{run_workflow_id(ritual_id, str(period))}"
    report = renderer.render_report(
        RenderReportInput(workflow_id=workflow_id, plan=plan, figures=figures)
    )
    for message in report.messages:
        print(f"{message.audience_id}: {message.subject}")
    print(f"Rendered to {report.archive_location} (open report.html)")
    return 0
