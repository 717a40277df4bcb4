"""The approval commands when no worker answers: each says so in one line and exits 1, within a
bounded wait, instead of hanging or reporting that nothing is waiting."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform import temporal_runtime
from opsrhythm.platform.approvals import client as approvals_client
from tests.test_cli_approvals import cli
from tests.workflows.approval_fakes import (
    DEV,
    ApprovalFakes,
    approval,
    approval_state,
    running_report,
)

pytestmark = pytest.mark.dev_server


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(approvals_client, "QUERY_TIMEOUT", timedelta(seconds=1))
    monkeypatch.setattr(approvals_client, "DECISION_WAIT", timedelta(seconds=2))
    monkeypatch.setattr(temporal_runtime, "STATUS_QUERY_TIMEOUT", timedelta(seconds=1))


async def test_approve_with_no_worker_says_it_was_not_recorded(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str], short_waits: None
) -> None:
    """`opsrhythm approve` with the worker gone: one line within the wait, exit 1."""
    async with running_report(dev_server_env.client, ApprovalFakes(approval())) as handle:
        await approval_state(handle)
    code, out, err = await asyncio.wait_for(
        cli(dev_server_env, capsys, "approve", handle.id, "--as", DEV.email), timeout=10
    )
    await handle.terminate()
    assert (1, "") == (code, out)
    assert (
        "opsrhythm: no worker answered within 2 s; your decision was not recorded — try again "
        "later\n"
    ) == err


async def test_pending_names_the_runs_it_could_not_ask(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str], short_waits: None
) -> None:
    """`pending` (text and --json) lists the runs that did not answer and exits 1, instead of
    'No approvals are waiting.' and 0."""
    async with running_report(dev_server_env.client, ApprovalFakes(approval())) as handle:
        await approval_state(handle)
    err = ""
    for _ in range(20):  # the dev server's visibility list catches up within moments
        code, out, err = await cli(dev_server_env, capsys, "pending", "--as", DEV.email)
        if handle.id in err:
            break
    json_code, document, _ = await cli(dev_server_env, capsys, "pending", "--json")
    await handle.terminate()
    assert (1, True) == (code, err.startswith("opsrhythm: could not ask "))
    assert "(no worker answering?): " in err and handle.id in err.split(": ", 2)[2]
    assert "No approvals are waiting for dev@acme.example among the runs that answered." in out
    assert (1, True) == (json_code, handle.id in json.loads(document)["unanswered"])


async def test_status_of_a_run_no_worker_answers_is_exit_1(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str], short_waits: None
) -> None:
    """`status WF` says the run could not be asked, and why it may be."""
    async with running_report(dev_server_env.client, ApprovalFakes(approval())) as handle:
        await approval_state(handle)
    code, _, err = await cli(dev_server_env, capsys, "status", handle.id)
    await handle.terminate()
    assert (
        1,
        f"opsrhythm: Temporal did not answer for {handle.id}: no worker answered within 1 s "
        "(is one running?)\n",
    ) == (code, err)
