"""Deciding from a terminal: the opsrhythm approval commands and the stock temporal CLI."""

from __future__ import annotations

import asyncio
import dataclasses
import shlex
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import starter
from opsrhythm.platform.approvals.client import approval_status
from opsrhythm.platform.approvals.identity import os_user
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.temporal_runtime import find_binary
from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.workflows.approval_fakes import (
    ANA,
    DEV,
    GRACE,
    ApprovalFakes,
    approval,
    approval_state,
    running_report,
)

pytestmark = pytest.mark.dev_server


async def cli(
    env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    """The command as `opsrhythm` runs it, on the test's own client."""

    async def connect() -> Client:
        return env.client

    context = dataclasses.replace(starter.context(), connect=connect)
    code = await main_async(starter.commands(), argv, context)
    out, err = capsys.readouterr()
    return code, out, err


async def test_approve_lets_the_report_continue(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opsrhythm approve ID --as EMAIL` records a CLI decision and the report is sent."""
    fakes = ApprovalFakes(approval())
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        code, out, _ = await cli(dev_server_env, capsys, "approve", handle.id, "--as", DEV.email)
        result = await handle.result()
    assert (0, True) == (code, "Approval: approved" in out)
    assert result.approval is not None
    assert ["cli"] == [e.channel for e in result.approval.audit]


async def test_refusal_is_one_line_and_exit_1(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unauthorised approver gets the workflow's reason on one stderr line, exit 1."""
    fakes = ApprovalFakes(approval())
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        code, _, err = await cli(
            dev_server_env, capsys, "reject", handle.id, "--as", GRACE.email, "--reason", "no"
        )
        await handle.terminate()
    assert (1, f"opsrhythm: refused: {GRACE.email} is not an approver of this request\n") == (
        code,
        err,
    )


async def test_status_shows_step_pending_and_decisions(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opsrhythm status ID` names the step, who is still awaited and who decided how."""
    fakes = ApprovalFakes(approval(policy="n_of_m", required=2))
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        await cli(
            dev_server_env, capsys, "approve", handle.id, "--as", DEV.email, "--comment", "ok"
        )
        code, out, _ = await cli(dev_server_env, capsys, "status", handle.id)
        await handle.terminate()
    lines = out.splitlines()
    assert (0, f"{handle.id}: awaiting approval") == (code, lines[0])
    assert "waiting for: Chloé Dubois <chloe@acme.example>, Ben Carter <ben@acme.example>" in out
    assert f'{DEV.email}  approve  by {dev_server_env.client.identity}  "ok"' in out


async def test_pending_lists_open_approvals_for_an_approver(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opsrhythm pending --as EMAIL` lists the runs awaiting that approver, and only those."""
    fakes = ApprovalFakes(approval())
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        mine = ""
        for _ in range(50):  # the dev server's visibility list catches up within moments
            _, mine, _ = await cli(dev_server_env, capsys, "pending", "--as", DEV.email)
            if handle.id in mine:
                break
            await asyncio.sleep(0.1)
        _, theirs, _ = await cli(dev_server_env, capsys, "pending", "--as", GRACE.email)
        await handle.terminate()
    assert (True, False) == (handle.id in mine, handle.id in theirs)


async def test_decision_after_completion_is_refused(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once the run has finished, a decision says so and exits 1."""
    fakes = ApprovalFakes(approval())
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        await cli(dev_server_env, capsys, "approve", handle.id, "--as", DEV.email)
        await handle.result()
        code, _, err = await cli(dev_server_env, capsys, "approve", handle.id, "--as", DEV.email)
    assert (
        1,
        f"opsrhythm: refused: {handle.id} has already completed: no decision can change it\n",
    ) == (
        code,
        err,
    )


def readme_update_line(workflow_id: str, approver: str) -> list[str]:
    """The README's `temporal workflow update execute` line, for this run and approver."""
    text = (REPO / "README.md").read_text()
    line = next(row for row in text.splitlines() if row.startswith("temporal workflow update"))
    line = line.replace("monthly-kpi-report-2026-10", workflow_id)
    return shlex.split(line.replace("dev.patel@acme.example", approver))


async def test_stock_temporal_cli_update_shows_as_the_temporal_cli(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's `temporal workflow update execute` line approves; claiming channel
    'email-link' in its input, it still shows as the temporal CLI's own identity."""
    fakes = ApprovalFakes(approval())
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        _, *argv = readme_update_line(handle.id, DEV.email)
        argv = [arg.replace('"temporal-cli"', '"email-link"') for arg in argv]
        address = dev_server_env.client.service_client.config.target_host
        process = await asyncio.create_subprocess_exec(
            find_binary("temporal"),
            *argv,
            "--address",
            address,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        result = await handle.result()
        _, out, _ = await cli(dev_server_env, capsys, "status", handle.id)
    assert 0 == process.returncode, output.decode()
    assert result.approval is not None
    assert [(DEV.email, "email-link")] == [(e.actor, e.channel) for e in result.approval.audit]
    [line] = [row for row in out.splitlines() if f"{DEV.email}  approve" in row]
    assert ("by temporal-cli", False) == (line.split("approve  ")[1][:15], "email-link" in out)


async def test_redraft_drafts_the_next_round_once_and_then_refuses(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a request for changes, `opsrhythm redraft ID --as OWNER` starts round 2 and says so
    in one line; a second redraft is refused in one line, exit 1."""
    fakes = ApprovalFakes(approval())
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        await cli(
            dev_server_env,
            capsys,
            "request-changes",
            handle.id,
            "--as",
            DEV.email,
            "--comment",
            "fix churn",
        )
        await approval_state(handle, "redrafting")
        code, out, _ = await cli(dev_server_env, capsys, "redraft", handle.id, "--as", ANA.email)
        await approval_state(handle, "pending", round=2)
        second = await approval_status(dev_server_env.client, handle.id)
        again, _, err = await cli(dev_server_env, capsys, "redraft", handle.id)
        await handle.terminate()
    assert (
        0,
        f"redraft: {handle.id} asked to draft again by {ANA.email}; "
        "approval now redrafting (round 1)\n",
    ) == (code, out)
    assert [(ANA.email, "redraft", dev_server_env.client.identity)] == [
        (e.actor, e.action, e.caller) for e in second.audit if e.action == "redraft"
    ]
    assert (1, "opsrhythm: refused: this run is not waiting for a redraft\n") == (again, err)


async def test_cli_users_decide_as_the_person_mapped_to_the_os_user(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With approvals.cli_users mapping this OS user to Chloé, `approve ID` needs no --as."""
    chloe = Contact(name="Chloé Dubois", email="chloe.dubois@acme.example")
    config = tmp_path / "opsrhythm.yaml"
    config.write_text(
        EXAMPLE_CONFIG.read_text() + f"\napprovals:\n  cli_users: {{{os_user()}: chloe}}\n"
    )
    fakes = ApprovalFakes(approval(approvers=[DEV, chloe]))
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        code, out, _ = await cli(
            dev_server_env, capsys, "approve", handle.id, "--config", str(config)
        )
        result = await handle.result()
    assert (0, f"approve: recorded for {handle.id} as {chloe.email}") == (code, out.splitlines()[0])
    assert result.approval is not None
    assert [chloe.email] == [e.actor for e in result.approval.audit]
