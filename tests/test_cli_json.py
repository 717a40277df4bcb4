"""`--json` on every command that lists or shows something: one document, stable field names.

The key sets here are the documented interface (see the README): a change to one is a change
to what scripts rely on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import starter
from opsrhythm.platform import search_attributes
from opsrhythm.platform.cli import CliContext, main_async
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.conftest import EXAMPLE_CONFIG
from tests.workflows.approval_fakes import DEV, ApprovalFakes, Handle, approval, approval_state
from workflows.kpi_report import KpiReportWorkflow

UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
APPROVAL_KEYS = {
    "workflow_id",
    "ritual_id",
    "ritual_name",
    "state",
    "round",
    "title",
    "summary",
    "location",
    "policy",
    "deadline",
    "escalated",
    "reason",
    "requester",
    "approvers",
    "pending",
    "audit",
}
AUDIT_KEYS = {"at", "round", "actor", "action", "channel", "comment", "caller"}
SCHEDULE_KEYS = {
    "ritual_id",
    "schedule_id",
    "rule",
    "timezone",
    "on_server",
    "in_sync",
    "differences",
    "paused",
    "note",
}
ITEM_KEYS = {
    "email_failure",
    "external_id",
    "duplicates",
    "id",
    "created_at",
    "text",
    "submitter",
    "source",
    "customer",
    "segment",
    "arr",
    "tags",
    "status",
    "area",
    "owner_team",
    "assignee",
    "priority",
    "score",
    "rule",
    "duplicate_of",
    "due_at",
    "warn_at",
    "warned_at",
    "escalated_at",
}


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = starter.main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def on_server(env: WorkflowEnvironment) -> CliContext:
    """The app's context, connected to the test server's client."""

    async def connect() -> Client:
        return env.client

    return dataclasses.replace(starter.context(), connect=connect)


async def run_json_on(
    env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, Any]:
    code = await main_async(starter.commands(), argv, on_server(env))
    return code, json.loads(capsys.readouterr().out)


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`validate --json`: the counts and each ritual, with no problems."""
    code, document = run_json(capsys, "validate", "--json", "--config", str(EXAMPLE_CONFIG))
    assert 0 == code
    assert {
        "config_file": str(EXAMPLE_CONFIG),
        "valid": True,
        "problems": [],
        "people": 11,
        "audiences": 6,
        "sources": 2,
        "kpis": 9,
        "feedback": True,
    } == {k: v for k, v in document.items() if k != "rituals"}
    assert [
        {
            "id": "monthly-kpi-report",
            "kind": "kpi_report",
            "name": "Monthly KPI report",
            "scheduled": True,
            "approval": False,
        },
        {
            "id": "quarterly-strategy-review",
            "kind": "strategy_review",
            "name": "Quarterly strategy review",
            "scheduled": True,
            "approval": True,
        },
        {
            "id": "process-retro",
            "kind": "process_retro",
            "name": "Release communication retro",
            "scheduled": True,
            "approval": False,
        },
    ] == document["rituals"]


def test_validate_json_lists_every_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An invalid config: exit 2 and each problem's path, line and message, on stdout."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE_CONFIG.read_text().replace("owner: hugo", "owner: hugh"))
    code, document = run_json(capsys, "validate", "--json", "--config", str(broken))
    assert (2, False, str(broken)) == (code, document["valid"], document["config_file"])
    problem = document["problems"][0]
    assert ("kpis[1].owner", True) == (problem["path"], isinstance(problem["line"], int))
    assert problem["message"].startswith("unknown person 'hugh'")


@pytest.fixture
def feedback_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default database in an empty folder, and the example config with its feedback."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSRHYTHM_DATABASE_URL", raising=False)
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    assert 0 == starter.main(
        ["feedback", "import", "--in-process", str(EXAMPLE_CONFIG.parent / "feedback.csv")]
    )


def test_feedback_list_json(feedback_database: None, capsys: pytest.CaptureFixture[str]) -> None:
    """`feedback list --json`: every item with its routing, and the count."""
    capsys.readouterr()
    code, document = run_json(capsys, "feedback", "list", "--area", "integrations", "--json")
    assert (0, 2, 2) == (code, document["count"], len(document["items"]))
    item = document["items"][0]
    assert ITEM_KEYS == set(item)
    assert ("integrations", True) == (item["area"], bool(UTC_TIME.match(item["created_at"])))


def test_feedback_quarantine_json(
    feedback_database: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`feedback quarantine --json`: each malformed row, why, and when it was quarantined."""
    capsys.readouterr()
    code, document = run_json(capsys, "feedback", "quarantine", "--json")
    assert (0, 4) == (code, document["count"])
    row = document["rows"][0]
    assert {"origin", "line", "reason", "raw", "quarantined_at"} == set(row)
    assert ("feedback.csv", True) == (row["origin"], bool(UTC_TIME.match(row["quarantined_at"])))


@asynccontextmanager
async def awaiting_approval(client: Client, ritual_id: str) -> AsyncIterator[Handle]:
    """A report with its search attributes, waiting for Dev's (or anyone's) approval."""
    fakes = ApprovalFakes(approval())
    task_queue = str(uuid.uuid4())
    async with Worker(
        client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        handle = await client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id=ritual_id, period="2026-10"),
            id=f"{ritual_id}-2026-10",
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search_attributes.RITUAL, ritual_id),
                    SearchAttributePair(search_attributes.PERIOD, "2026-10"),
                ]
            ),
        )
        await approval_state(handle)
        try:
            yield handle
        finally:
            await handle.terminate()


async def _listed(
    env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    key: str,
    workflow_id: str,
    *argv: str,
) -> dict[str, Any]:
    """The entry for ``workflow_id`` once the dev server's visibility list has caught up."""
    for _ in range(50):
        _, document = await run_json_on(env, capsys, *argv)
        found: list[dict[str, Any]] = [
            entry for entry in document[key] if entry["workflow_id"] == workflow_id
        ]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} never listed by {argv}")


@pytest.mark.dev_server
async def test_status_pending_and_one_run_json(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --json`, `status ID --json` and `pending --json` describe the same waiting run."""
    ritual_id = f"json-{uuid.uuid4().hex[:8]}"
    async with awaiting_approval(dev_server_env.client, ritual_id) as handle:
        running = await _listed(dev_server_env, capsys, "runs", handle.id, "status", "--json")
        waiting = await _listed(
            dev_server_env, capsys, "approvals", handle.id, "pending", "--as", DEV.email, "--json"
        )
        code, one = await run_json_on(dev_server_env, capsys, "status", handle.id, "--json")
    assert {
        "workflow_id": handle.id,
        "ritual_id": ritual_id,
        "period": "2026-10",
        "step": "awaiting approval",
        "started_at": running["started_at"],
        "started_by": "manual",
        "unknown_outcomes": 0,
    } == running
    assert UTC_TIME.match(running["started_at"])
    assert (APPROVAL_KEYS, "pending", 1) == (set(waiting), waiting["state"], waiting["round"])
    assert {"name": DEV.name, "email": DEV.email} in waiting["pending"]
    assert UTC_TIME.match(waiting["deadline"])
    assert (0, {"workflow_id", "step", "unknown_outcomes", "failure", "approval"}) == (
        code,
        set(one),
    )
    assert ("awaiting approval", 0, None, waiting) == (
        one["step"],
        one["unknown_outcomes"],
        one["failure"],
        one["approval"],
    )


@pytest.mark.dev_server
async def test_schedule_list_and_describe_json(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`schedule list --json` and `schedule describe --json` after a sync of the example."""
    config = ("--config", str(EXAMPLE_CONFIG))
    schedule_id = "opsrhythm-monthly-kpi-report"
    try:
        assert (0, "") == (
            await main_async(
                starter.commands(), ["schedule", "sync", *config], on_server(dev_server_env)
            ),
            capsys.readouterr().err,
        )
        _, listing = await run_json_on(
            dev_server_env, capsys, "schedule", "list", "--json", *config
        )
        _, described = await run_json_on(
            dev_server_env, capsys, "schedule", "describe", "monthly-kpi-report", "--json", *config
        )
    finally:
        await dev_server_env.client.get_schedule_handle(schedule_id).delete()
    listed = next(s for s in listing["schedules"] if s["schedule_id"] == schedule_id)
    assert SCHEDULE_KEYS | {"next_runs", "last_run"} == set(listed)
    assert (True, True, False, "Europe/London") == (
        listed["on_server"],
        listed["in_sync"],
        listed["paused"],
        listed["timezone"],
    )
    assert (3, None) == (len(listed["next_runs"]), listed["last_run"])
    assert all(UTC_TIME.match(moment) for moment in listed["next_runs"])
    assert SCHEDULE_KEYS | {
        "fire_times_on_server",
        "fire_times_window",
        "overlap",
        "catchup_window_seconds",
        "pause_on_failure",
        "jitter_seconds",
        "runs_so_far",
        "upcoming",
        "recent_runs",
    } == set(described)
    assert ("skip", 86400, 0, []) == (
        described["overlap"],
        described["catchup_window_seconds"],
        described["runs_so_far"],
        described["recent_runs"],
    )
    assert listed["next_runs"] == [run["at"] for run in described["upcoming"][:3]]


@pytest.mark.dev_server
async def test_audit_json_names_the_caller_and_pending_the_unanswered(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """Audit entries carry `caller` (the Temporal identity that sent the decision) beside the
    channel it declared; `pending --json` has `unanswered` beside `approvals`."""
    ritual_id = f"json-{uuid.uuid4().hex[:8]}"
    async with awaiting_approval(dev_server_env.client, ritual_id) as handle:
        await main_async(
            starter.commands(),
            ["request-changes", handle.id, "--as", DEV.email, "--comment", "fix churn"],
            on_server(dev_server_env),
        )
        capsys.readouterr()
        _, one = await run_json_on(dev_server_env, capsys, "status", handle.id, "--json")
        _, waiting = await run_json_on(dev_server_env, capsys, "pending", "--json")
    [entry] = one["approval"]["audit"]
    assert AUDIT_KEYS == set(entry)
    assert ("cli", dev_server_env.client.identity) == (entry["channel"], entry["caller"])
    assert {"approvals", "unanswered"} == set(waiting)
