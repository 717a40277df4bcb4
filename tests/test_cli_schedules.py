"""`opsrhythm schedule ...` and `opsrhythm status` through the CLI: server round trip and errors."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import starter
from opsrhythm.platform import temporal_runtime
from opsrhythm.platform.approvals import client as approvals_client
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.temporal_runtime import find_binary
from tests.conftest import EXAMPLE_CONFIG

SCHEDULE_ID = "opsrhythm-monthly-kpi-report"
# Every schedule the example config syncs: deleted after, so no other test on the shared
# server sees them.
EXAMPLE_SCHEDULES = (SCHEDULE_ID, "opsrhythm-quarterly-strategy-review")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = starter.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def server_address(dev_server_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch) -> str:
    address = dev_server_env.client.service_client.config.target_host
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    return address


@pytest.mark.dev_server
def test_example_sync_is_idempotent_and_visible_to_temporal_cli(
    server_address: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sync creates one schedule per ritual in its timezone; the second sync changes nothing."""
    try:
        first = run_cli(capsys, "schedule", "sync")
        second = run_cli(capsys, "schedule", "sync")
        described = subprocess.run(
            [
                find_binary("temporal"),
                "schedule",
                "describe",
                "--schedule-id",
                SCHEDULE_ID,
                "--address",
                server_address,
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        asyncio.run(_delete_schedule(server_address))
    assert (0, 0) == (first[0], second[0])
    created = [" ".join(line.split()) for line in first[1].splitlines()]
    assert f"create {SCHEDULE_ID} monthly on business day 2 at 09:00 Europe/London" in "\n".join(
        created
    )
    assert second[1].endswith("No changes: the server's schedules match the config.\n")
    assert "Europe/London" == json.loads(described.stdout)["schedule"]["spec"]["timezoneName"]


def test_schedule_command_without_a_server_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unreachable server: exit 1 and one line saying what to do."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    code, _, err = run_cli(capsys, "schedule", "list", "--config", str(EXAMPLE_CONFIG))
    assert 1 == code
    assert err.startswith("opsrhythm: cannot reach Temporal at 127.0.0.1:1 (")
    assert 1 == len(err.splitlines())


def test_status_needs_no_config_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`opsrhythm status` only asks the server, so a missing config is no error."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSRHYTHM_CONFIG", raising=False)
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    code, _, err = run_cli(capsys, "status")
    assert 1 == code
    assert err.startswith("opsrhythm: cannot reach Temporal")


@pytest.mark.dev_server
async def test_status_of_a_run_no_worker_serves_answers_in_time(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`status ID` stops waiting for the run's status query after its timeout (not the
    server's 30 s) and says the step is unavailable."""
    monkeypatch.setattr(temporal_runtime, "STATUS_QUERY_TIMEOUT", timedelta(seconds=1))
    monkeypatch.setattr(approvals_client, "QUERY_TIMEOUT", timedelta(seconds=1))

    async def connect() -> Client:
        return dev_server_env.client

    context = dataclasses.replace(starter.context(), connect=connect)
    unserved = f"unserved-{uuid.uuid4().hex[:8]}"
    handle = await dev_server_env.client.start_workflow(
        "KpiReportWorkflow", id=unserved, task_queue=unserved
    )
    try:
        code = await asyncio.wait_for(
            main_async(starter.commands(), ["status", unserved], context), timeout=15
        )
    finally:
        await handle.terminate()
    out, err = capsys.readouterr()
    assert (1, f"{unserved}: (step unavailable)\n") == (code, out)
    assert err.startswith(f"opsrhythm: Temporal did not answer for {unserved}: ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["schedule", "trigger", "weekly"],
            "opsrhythm: unknown ritual 'weekly' (known: monthly-kpi-report, "
            "quarterly-strategy-review, process-retro)\n",
        ),
        (
            ["schedule", "backfill", "monthly-kpi-report", "--from", "2026-7", "--to", "2026-09"],
            "opsrhythm: --from: period '2026-7' is not a month in the form YYYY-MM\n",
        ),
        (
            ["schedule", "backfill", "monthly-kpi-report", "--from", "2026-09", "--to", "2026-07"],
            "opsrhythm: --from 2026-09 is after --to 2026-07\n",
        ),
        (
            ["schedule", "backfill", "monthly-kpi-report", "--from", "2026-09", "--to", "2999-01"],
            "opsrhythm: --to 2999-01: that period is not complete yet\n",
        ),
    ],
)
def test_bad_arguments_exit_2_before_connecting(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    """A mistake in the arguments is reported without needing a server."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
    assert (2, message) == run_cli(capsys, *argv, "--config", str(EXAMPLE_CONFIG))[::2]


async def _delete_schedule(address: str) -> None:
    client = await Client.connect(address)
    for schedule_id in EXAMPLE_SCHEDULES:
        await client.get_schedule_handle(schedule_id).delete()
