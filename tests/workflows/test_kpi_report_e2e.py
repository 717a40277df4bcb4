"""The monthly KPI report end to end on the dev server, with real activities and example data."""

from __future__ import annotations

import email
import email.policy
import sqlite3
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.temporal_runtime import TASK_QUEUE
from opsrhythm.rituals.kpi_report.models import KpiReportInput, KpiReportResult
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from worker import build_worker
from workflows.kpi_report import KpiReportWorkflow

AUDIENCES = {"leadership", "growth-squad", "retention-squad", "sales", "support", "marketing"}


def read_eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def run_example_report(
    env: WorkflowEnvironment, config: OpsRhythmConfig, tmp_path: Path
) -> tuple[KpiReportResult, str]:
    task_queue = f"{TASK_QUEUE}-{uuid.uuid4()}"
    workflow_id = f"monthly-kpi-report-2026-10-{uuid.uuid4().hex[:8]}"
    ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
    worker = build_worker(
        env.client,
        config,
        task_queue=task_queue,
        transport=OutboxTransport(tmp_path / "outbox", config.email),
        ledger=ledger,
        archive_dir=tmp_path / "archive",
    )
    async with worker:
        result = await env.client.execute_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=workflow_id,
            task_queue=task_queue,
        )
    return result, workflow_id


@pytest.mark.dev_server
async def test_example_report_reaches_every_audience_with_true_numbers(
    dev_server_env: WorkflowEnvironment, example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Each audience's members get an email whose numbers are those in the example data."""
    result, _ = await run_example_report(dev_server_env, example_config, tmp_path)

    assert AUDIENCES == {d.audience_id for d in result.deliveries}
    assert [] == [d for d in result.deliveries if d.failed or d.skipped]
    outbox = tmp_path / "outbox"
    recipients = {str(read_eml(path)["To"]) for path in outbox.glob("*.eml")}
    expected = {
        f"{p.name} <{p.email}>" for p in example_config.people if p.id not in {"ana", "kenji"}
    }
    assert expected == recipients

    db = sqlite3.connect(EXAMPLE_CONFIG.parent / "warehouse.sqlite")
    mrr = db.execute("SELECT mrr FROM accounts_monthly WHERE month = '2026-10'").fetchone()[0]
    signups = db.execute(
        "SELECT COUNT(*) FROM signups "
        "WHERE signed_up_on >= '2026-10-01' AND signed_up_on < '2026-11-01'"
    ).fetchone()[0]
    leadership = read_eml(next(outbox.glob("*--leadership--*ben.carter*.eml")))
    assert "KPI report: October 2026" in str(leadership["Subject"])
    assert f"£{mrr:,.0f}" in text_part(leadership)
    growth = read_eml(next(outbox.glob("*--growth-squad--*emma.larsen*.eml")))
    assert f"{signups:,}" in text_part(growth)
    assert "Monthly recurring revenue" not in text_part(growth)


@pytest.mark.dev_server
async def test_status_query_and_search_attributes(
    dev_server_env: WorkflowEnvironment, example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """A finished run answers the status query and is found by its Ritual and Period."""
    from opsrhythm.platform.run_handlers import start_run
    from opsrhythm.rituals.kpi_report.kind import KPI_REPORT

    config = example_config
    task_queue_worker = build_worker(
        dev_server_env.client,
        config,
        transport=OutboxTransport(tmp_path / "outbox", config.email),
        ledger=SendLedger.from_url(sqlite_url(tmp_path / "ledger.db")),
        archive_dir=tmp_path / "archive",
    )
    async with task_queue_worker:
        assert 0 == await start_run(
            dev_server_env.client, KPI_REPORT, "monthly-kpi-report", "2026-09", wait=True
        )
        again = await start_run(
            dev_server_env.client, KPI_REPORT, "monthly-kpi-report", "2026-09", wait=False
        )
        handle = dev_server_env.client.get_workflow_handle("monthly-kpi-report-2026-09")
        status = await handle.query(KpiReportWorkflow.status)
    assert 1 == again
    assert ("done", "2026-09") == (status.step, status.period)
    description = await handle.describe()
    assert {"Ritual": ["monthly-kpi-report"], "Period": ["2026-09"]} == {
        k: v for k, v in description.search_attributes.items() if k in ("Ritual", "Period")
    }
    assert 9 == len(list((tmp_path / "outbox").glob("*.eml")))
