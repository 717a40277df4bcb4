"""The KPI report's own commands: ``preview`` and the example company's ``demo``; and how
``run --wait`` prints a report's result (this kind's ``show_result``)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from temporalio.exceptions import ApplicationError

from opsrhythm.platform import resources
from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_args import known_ritual, period_argument
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.mail.transport import outbox_dir_from_environment
from opsrhythm.platform.periods import IsoWeek, Month, Quarter
from opsrhythm.platform.run_handlers import EXIT_NEEDS_ATTENTION, needs_attention_line, start_run
from opsrhythm.platform.temporal_runtime import WorkerFactory, embedded_server
from opsrhythm.platform.terminal import utc_iso
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from opsrhythm.rituals.kpi_report.models import KpiReportResult


async def demo_command(args: argparse.Namespace, context: CliContext) -> int:
    config = context.configs.load(str(resources.example_config()))
    period = period_argument(KPI_REPORT.period, args.period, config.organization.timezone)
    return await demo(config, period, context.worker_factory)


async def demo(
    config: PlatformConfig, period: Month | Quarter | IsoWeek, worker_factory: WorkerFactory
) -> int:
    """The example company's report on an embedded server, into the local outbox."""
    from opsrhythm.platform.db.migrate import upgrade
    from opsrhythm.platform.ledger import SendLedger
    from opsrhythm.platform.mail.outbox import OutboxTransport

    outbox = outbox_dir_from_environment()  # where the worker's transport writes, too
    ritual_id = config.rituals[0].id
    # A throwaway ledger: each demo is a fresh run on a fresh in-memory server.
    with tempfile.TemporaryDirectory(prefix="opsrhythm-demo-") as scratch:
        url = f"sqlite:///{scratch}/ledger.db"
        upgrade(url)  # a private scratch file: nobody would run `opsrhythm db upgrade` on it
        ledger = SendLedger.from_url(url)
        async with embedded_server() as server:
            print(f"Temporal Web UI: {server.ui_url}  (server {server.address})")
            print(f"From another terminal, while the demo runs: {server.export_line}")
            transport = OutboxTransport(outbox, config.email)
            async with worker_factory(server.client, config, transport=transport, ledger=ledger):
                code = await start_run(server.client, KPI_REPORT, ritual_id, str(period), wait=True)
    if code == 0:
        print(f"Emails: {outbox.resolve()} (open index.html, or any .eml in a mail client)")
    return code


def print_result(result: object) -> int:
    """A finished report: where it is archived and each audience's deliveries. Exits
    ``EXIT_NEEDS_ATTENTION`` while recipients have an unknown outcome, 0 otherwise."""
    result = KpiReportResult.model_validate(result)
    label = KPI_REPORT.period.parse(result.period).label
    print(f"Report for {label}: archived at {result.archive_location}")
    for delivery in result.deliveries:
        print(
            f"  {delivery.audience_id}: {len(delivery.sent)} sent, "
            f"{len(delivery.skipped)} skipped, {len(delivery.failed)} failed"
            + (f", {len(delivery.unknown)} outcome unknown" if delivery.unknown else "")
            + (f" via {delivery.transport}" if delivery.transport else "")
        )
    if result.kpis_without_data:
        print(f"  no data for: {', '.join(result.kpis_without_data)}")
    if result.approval is not None:
        reason = f": {result.approval.reason}" if result.approval.reason else ""
        print(f"  approval: {result.approval.outcome}{reason}")
    if not result.unknown_outcomes:
        return 0
    print(needs_attention_line(result.workflow_id, result.unknown_outcomes))
    if result.waiting_until is not None:
        print(
            f"{result.workflow_id} waits until {utc_iso(result.waiting_until)} to be settled: "
            "it then sends whoever is released and finishes once no outcome is unknown"
        )
    return EXIT_NEEDS_ATTENTION


def preview_command(args: argparse.Namespace, context: CliContext) -> int:
    config = context.config(args)
    ritual = known_ritual(config, args.ritual)
    if ritual.ritual_kind is not KPI_REPORT:
        raise UsageError(f"ritual {ritual.id!r} is not a KPI report (kind {ritual.kind})")
    period = period_argument(KPI_REPORT.period, args.period, config.organization.timezone)
    assert isinstance(period, Month), "the report's figures (kpi_math) are monthly"
    out = Path(args.out)
    writable_folder(out)  # before the sources are queried, not after
    return preview(config, ritual.id, period, out)


def writable_folder(out: Path) -> None:
    """``--out``, made if missing; a ``UsageError`` naming it when files cannot be written there."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except FileExistsError:
        raise UsageError(f"--out {out}: is a file, not a folder") from None
    except OSError as error:
        raise UsageError(f"--out {out}: {error.strerror or error}") from None


def preview(config: PlatformConfig, ritual_id: str, period: Month, out: Path) -> int:
    """Plan, gather, analyse and render exactly as the workflow does, minus Temporal and sending."""
    from activities.kpi_data import KpiDataActivities
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
            gathered = data.gather_source(request)
        except ApplicationError as error:
            print(f"warning: {error}")
            errors.update(dict.fromkeys(source.kpi_ids, str(error)))
            continue
        series.update(gathered.values)
        errors.update(gathered.errors)
        for reason in gathered.errors.values():
            print(f"warning: {reason}")
    figures = analyse_report(plan, period, series, errors)
    renderer = ReportRenderer(resources.templates_dir(), out)
    workflow_id = f"preview-{run_workflow_id(ritual_id, str(period))}"
    try:
        report = renderer.render_report(
            RenderReportInput(workflow_id=workflow_id, plan=plan, figures=figures)
        )
    except OSError as error:
        where = error.filename or out
        raise UsageError(f"--out {out}: cannot write {where}: {error.strerror or error}") from None
    for message in report.messages:
        print(f"{message.audience_id}: {message.subject}")
    print(f"Rendered to {report.archive_location} (open report.html)")
    return 0
