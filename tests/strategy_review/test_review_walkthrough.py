"""The README's strategy review walkthrough, command by command, as separate `opsrhythm`
processes against one Temporal server (the dev server): a worker, `run`, `review submit` by
the owners, `review close --send-now`, two `approve`s; the outbox then holds the kick-offs, the
pre-read, the approval requests and one summary per audience."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from opsrhythm.rituals.strategy_review.client import review_status
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.strategy_review.review_cli import ANA_OWNER, review_config

OPSRHYTHM = str(Path(sys.executable).parent / "opsrhythm")
SUBMITTERS = {
    "chloe.dubois@acme.example": "grow-revenue",
    "grace.kim@acme.example": "reduce-churn",
    "emma.larsen@acme.example": "insights-everywhere",
}  # Isla sends nothing: the close marks her item missing
APPROVERS = ["ben.carter@acme.example", "dev.patel@acme.example"]
AUDIENCES = {"leadership", "sales", "support", "marketing"}
RUN_ID = re.compile(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def environment(tmp_path: Path, config: Path, address: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENDGRID_", "OPSRHYTHM_"))}
    return env | {
        "TEMPORAL_ADDRESS": address,
        "OPSRHYTHM_CONFIG": str(config),
        "OPSRHYTHM_OUTBOX": str(tmp_path / "outbox"),
        "OPSRHYTHM_ARCHIVE": str(tmp_path / "archive"),
        "OPSRHYTHM_DATABASE_URL": sqlite_url(tmp_path / "opsrhythm.db"),
    }


async def opsrhythm(env: dict[str, str], cwd: Path, *argv: str) -> str:
    """One command as its own process; its output, or the test fails with its error."""
    done = await asyncio.to_thread(
        subprocess.run,
        [OPSRHYTHM, *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 == done.returncode, f"opsrhythm {' '.join(argv)}: {done.stderr}"
    return done.stdout


async def until_stage(client: Client, workflow_id: str, wanted: str) -> None:
    for _ in range(300):
        try:
            if (await review_status(client, workflow_id)).stage == wanted:
                return
        except Exception:  # not started, or no worker polling yet
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} never reached {wanted!r}")


def outbox_messages(outbox: Path, workflow_id: str) -> list[tuple[str, str]]:
    """(audience, message) of each email, from the outbox's file names (workflow id first)."""
    found = []
    for path in outbox.glob(f"{workflow_id}--*.eml"):
        audience, message, *_ = path.name.removeprefix(f"{workflow_id}--").split("--")
        found.append((audience, message))
    return found


@pytest.mark.dev_server
async def test_the_review_walkthrough_with_cli_processes(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    config, workflow_id = review_config(tmp_path)
    for name in ("product_metrics.csv", "warehouse.sqlite"):
        shutil.copy(EXAMPLE_CONFIG.parent / name, tmp_path / name)
    client = dev_server_env.client
    env = environment(tmp_path, config, client.service_client.config.target_host)
    ritual = workflow_id.removesuffix("-2026-Q4")
    narrative = tmp_path / "narrative.md"
    narrative.write_text("On track; two deals slipped to January.\n")

    await opsrhythm(env, tmp_path, "db", "upgrade")
    worker = await asyncio.create_subprocess_exec(OPSRHYTHM, "worker", env=env, cwd=tmp_path)
    handle = client.get_workflow_handle(workflow_id)
    try:
        started = await opsrhythm(env, tmp_path, "run", ritual, "--period", "2026-Q4")
        await until_stage(client, workflow_id, "collecting")
        for owner in SUBMITTERS:
            await opsrhythm(
                env, tmp_path, "review", "submit", "--period", "2026-Q4", "--as", owner,
                "--status", "green", "--confidence", "80", "--narrative-file", str(narrative),
            )  # fmt: skip
        closed = await opsrhythm(
            env, tmp_path, "review", "close", "--period", "2026-Q4", "--as", ANA_OWNER,
            "--send-now",
        )  # fmt: skip
        await until_stage(client, workflow_id, "awaiting sign-off")
        for approver in APPROVERS:
            await opsrhythm(env, tmp_path, "approve", workflow_id, "--as", approver)
        for _ in range(300):
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.1)
        status = (await handle.describe()).status
        shown = await opsrhythm(env, tmp_path, "status", workflow_id)
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), 30)
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate()

    assert f"Workflow id: {workflow_id}" in started
    assert closed.startswith(f"closed: collection for {workflow_id} closed by {ANA_OWNER}")
    assert (WorkflowExecutionStatus.COMPLETED, True) == (status, workflow_id in shown)
    messages = outbox_messages(tmp_path / "outbox", workflow_id)
    sent = Counter(f"{audience}/{RUN_ID.sub('', message)}" for audience, message in messages)
    summaries = {audience for audience, message in messages if message == "summary"}
    # Four owners asked, the four attendees' pre-read, the three approvers asked.
    assert (4, 4, 3) == (
        sent["owners/kick-off"],
        sent["attendees/pre-read-r1"],
        sent["approval/approval-request-r1"],
    ), sent
    assert AUDIENCES == summaries, sent
