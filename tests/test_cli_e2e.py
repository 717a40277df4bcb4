"""The CLI's runs on the embedded Temporal server: the demo, and `run --wait` through SendGrid."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import starter
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.platform.run_handlers import start_run
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.databases import sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid

AUDIENCES = {"leadership", "growth-squad", "retention-squad", "sales", "support", "marketing"}


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No Temporal server or SendGrid configured; every file the run writes lands in tmp_path."""
    for name in ("TEMPORAL_ADDRESS", "SENDGRID_API_KEY", "SENDGRID_HOST", "OPSRHYTHM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPSRHYTHM_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("OPSRHYTHM_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", sqlite_url(tmp_path / "opsrhythm.db"))
    return tmp_path


@pytest.mark.dev_server
def test_demo_writes_an_email_per_audience(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opsrhythm demo` needs nothing installed beyond the package and leaves the outbox full."""
    assert 0 == starter.main(["demo"])
    out = capsys.readouterr().out
    assert "Workflow id: monthly-kpi-report-2026-10" in out
    assert "Temporal Web UI: http://127.0.0.1:" in out
    assert "From another terminal, while the demo runs: export TEMPORAL_ADDRESS=" in out
    outbox = clean_environment / "outbox"
    audiences = {path.name.split("--")[1] for path in outbox.glob("*.eml")}
    assert AUDIENCES == audiences
    assert "KPI report: October 2026" in (outbox / "index.html").read_text()


@pytest.mark.dev_server
def test_demo_writes_to_the_workers_outbox(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo reads OPSRHYTHM_OUTBOX as the worker's transport does (trimmed), so its emails
    land in the same folder."""
    monkeypatch.setenv("OPSRHYTHM_OUTBOX", f" {clean_environment / 'mail'} ")
    assert 0 == starter.main(["demo"])
    out = capsys.readouterr().out
    assert f"Emails: {clean_environment / 'mail'} (open index.html" in out
    assert 9 == len(list((clean_environment / "mail").glob("*.eml")))


@pytest.mark.dev_server
def test_run_wait_sends_through_sendgrid_once(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --wait` sends schema-valid, batched requests, and a second run sends nothing again."""
    argv = ["run", "monthly-kpi-report", "--period", "2026-10", "--wait"]
    with FakeSendGrid() as sendgrid:
        monkeypatch.setenv("SENDGRID_API_KEY", DEFAULT_API_KEY)
        monkeypatch.setenv("SENDGRID_HOST", sendgrid.url)
        assert 0 == starter.main([*argv, "--config", str(EXAMPLE_CONFIG)])
        first = sendgrid.delivered_requests()
        # A new embedded server forgets the first run; only the ledger stops a second send.
        assert 0 == starter.main([*argv, "--config", str(EXAMPLE_CONFIG)])
        assert len(first) == sendgrid.received

    assert len(AUDIENCES) == len(first)
    recipients = [email for email, _ in sendgrid.deliveries()]
    assert 9 == len(recipients) == len(set(recipients))
    for body in first:
        assert {"ritual", "period", "audience", "workflow_id", "message"} <= set(
            body["custom_args"]
        )
        assert "monthly-kpi-report" in body["categories"]
        assert {"inline"} == {attachment["disposition"] for attachment in body["attachments"]}
    leadership = next(b for b in first if b["custom_args"]["audience"] == "leadership")
    assert 3 == len(leadership["personalizations"])
    assert not (clean_environment / "outbox").exists()


@pytest.mark.dev_server
def test_run_wait_reports_sendgrid_rejection(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 401 from SendGrid fails the run at once with SendGrid's own message, not a traceback."""
    with FakeSendGrid(api_key="SG.the-real-one") as sendgrid:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.wrong")
        monkeypatch.setenv("SENDGRID_HOST", sendgrid.url)
        code = starter.main(
            [
                "run",
                "monthly-kpi-report",
                "--period",
                "2026-10",
                "--wait",
                "--config",
                str(EXAMPLE_CONFIG),
            ]
        )
    out = capsys.readouterr().out
    assert 1 == code
    # Another terminal can reach the embedded server: `review submit`, `approve`, a worker.
    [export] = [line for line in out.splitlines() if "export TEMPORAL_ADDRESS=" in line]
    assert export.startswith("From another terminal, while this runs: export TEMPORAL_ADDRESS=")
    assert (
        "opsrhythm: monthly-kpi-report-2026-10 failed: sending failed for leadership, "
        "growth-squad, retention-squad, sales, support, marketing: SendGrid refused the email "
        "(401): The provided authorization grant is invalid, expired, or revoked\n"
    ) == out.splitlines(keepends=True)[-1]
    assert "SG.wrong" not in out


@pytest.mark.dev_server
def test_worker_and_run_against_a_configured_server(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python worker.py` serves the runs `opsrhythm run` starts on the TEMPORAL_ADDRESS server."""
    address = dev_server_env.client.service_client.config.target_host
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    worker = subprocess.Popen([sys.executable, str(REPO / "worker.py")], env=dict(os.environ))
    try:
        assert 0 == starter.main(["run", "monthly-kpi-report", "--period", "2026-08", "--wait"])
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    out = capsys.readouterr().out
    assert "Workflow id: monthly-kpi-report-2026-08" in out
    assert "leadership: 3 sent, 0 skipped, 0 failed via outbox" in out
    assert 9 == len(list((clean_environment / "outbox").glob("*.eml")))


@pytest.mark.dev_server
async def test_run_wait_reaches_the_server_through_the_contexts_connect(
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With a server configured, `run --wait` uses `CliContext.connect`: a caller's own client."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # what connect() alone would reach

    async def connect() -> Client:
        return dev_server_env.client

    context = dataclasses.replace(starter.context(), connect=connect)
    config = context.configs.load(str(EXAMPLE_CONFIG))
    argv = ["run", "monthly-kpi-report", "--period", "2026-07", "--wait"]
    async with context.worker_factory(dev_server_env.client, config):
        code = await main_async(
            starter.commands(), [*argv, "--config", str(EXAMPLE_CONFIG)], context
        )
    out, err = capsys.readouterr()
    assert (0, "") == (code, err)
    assert "Workflow id: monthly-kpi-report-2026-07" in out
    assert 9 == len(list((clean_environment / "outbox").glob("*.eml")))


@activity.defn(name="refuse_the_warehouse")
async def refuse_the_warehouse() -> None:
    raise ApplicationError("the warehouse refused the password", non_retryable=True)


@workflow.defn(name="WarehouseRefusedWorkflow", sandboxed=False)
class WarehouseRefusedWorkflow:
    @workflow.run
    async def run(self, input: RitualRunInput) -> None:
        await workflow.execute_activity(
            "refuse_the_warehouse", start_to_close_timeout=timedelta(seconds=10)
        )


@pytest.mark.dev_server
async def test_run_wait_says_why_an_activity_failed_the_run(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run failed by an activity: `run --wait` prints the activity's reason, not Temporal's
    "Activity task failed" wrapper."""
    queue = f"refused-{uuid.uuid4().hex[:8]}"
    kind = dataclasses.replace(KPI_REPORT, workflow="WarehouseRefusedWorkflow")
    async with Worker(
        dev_server_env.client,
        task_queue=queue,
        workflows=[WarehouseRefusedWorkflow],
        activities=[refuse_the_warehouse],
    ):
        code = await start_run(
            dev_server_env.client, kind, queue, "2026-10", wait=True, task_queue=queue
        )
    out = capsys.readouterr().out
    assert (1, f"opsrhythm: {queue}-2026-10 failed: the warehouse refused the password\n") == (
        code,
        out.splitlines(keepends=True)[-1],
    )


def test_unreachable_server_is_one_line(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server that does not answer gets exit 1 and a line saying what to do, no traceback."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    code = starter.main(
        ["run", "monthly-kpi-report", "--period", "2026-10", "--config", str(EXAMPLE_CONFIG)]
    )
    err = capsys.readouterr().err
    assert 1 == code
    assert err.startswith("opsrhythm: cannot reach Temporal at 127.0.0.1:1 (")
    assert 1 == len(err.splitlines())
