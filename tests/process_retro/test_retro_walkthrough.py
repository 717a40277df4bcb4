"""Two retro cycles from a terminal, command by command, as separate `opsrhythm` processes
against one Temporal server (the dev server) with a worker process and the outbox: `run`,
`retro add` by two participants, the facilitator's `retro advance` through every stage,
`retro groups`, `retro vote`, `retro action`, the summary to everyone; then the next cycle's
`run`, whose first stage puts the open action to its owner."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.actions.follow_up import follow_up_workflow_id
from opsrhythm.rituals.process_retro.client import retro_status
from tests.conftest import EXAMPLE_CONFIG
from tests.process_retro.test_retro_workflow_e2e import ANA, EMMA, GRACE, PARTICIPANTS
from tests.strategy_review.test_review_walkthrough import OPSRHYTHM, environment, opsrhythm

SECRET = "a-walkthrough-secret-for-retro-keys"
ANONYMOUS = "Release notes reach support after the customers"
SIGNED = "Keep the release checklist in the ticket"
ACTION = "Post the changelog in #support first"
RUN_ID = re.compile(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def retro_config(tmp_path: Path) -> tuple[Path, str]:
    """The example config with the retro renamed (run ids unique on the shared server)."""
    ritual = f"retro-{uuid.uuid4().hex[:10]}"
    text = EXAMPLE_CONFIG.read_text().replace("  - id: process-retro\n", f"  - id: {ritual}\n")
    path = tmp_path / "opsrhythm.yaml"
    path.write_text(text)
    return path, ritual


async def until_stage(client: Client, workflow_id: str, wanted: str) -> None:
    for _ in range(300):
        try:
            if (await retro_status(client, workflow_id)).stage == wanted:
                return
        except Exception:  # not started, or no worker polling yet
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} never reached {wanted!r}")


def outbox_messages(outbox: Path, workflow_id: str) -> list[tuple[str, str, str]]:
    """(audience, message without its run id, recipient) of each email of the run."""
    found = []
    for path in outbox.glob(f"{workflow_id}--*.eml"):
        audience, message, recipient, *_ = path.name.removeprefix(f"{workflow_id}--").split("--")
        found.append((audience, RUN_ID.sub("", message), recipient.replace("_", "@", 1)))
    return found


@pytest.mark.dev_server
async def test_two_retro_cycles_with_cli_processes(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """W49 driven to its summary by CLI processes alone (Emma's item anonymous, Grace's
    signed, both vote, Ana records Grace's action); W50 opens with that action put to Grace."""
    config, ritual = retro_config(tmp_path)
    client = dev_server_env.client
    env = environment(tmp_path, config, client.service_client.config.target_host)
    env["OPSRHYTHM_SECRET"] = SECRET
    first, second = f"{ritual}-2026-W49", f"{ritual}-2026-W50"
    handles = [client.get_workflow_handle(i) for i in (first, second)]
    follow_up = client.get_workflow_handle(follow_up_workflow_id(first))

    async def cli(*argv: str) -> str:
        return await opsrhythm(env, tmp_path, *argv)

    async def advance(workflow_id: str, stage: str) -> str:
        await until_stage(client, workflow_id, stage)
        return await cli("retro", "advance", workflow_id, "--as", ANA)

    await cli("db", "upgrade")
    worker = await asyncio.create_subprocess_exec(OPSRHYTHM, "worker", env=env, cwd=tmp_path)
    try:
        started = await cli("run", ritual, "--period", "2026-W49")
        await until_stage(client, first, "collecting")
        add = ("retro", "add", "--retro", first)
        await cli(*add, "--as", EMMA, "--prompt", "stop", ANONYMOUS)
        await cli(*add, "--as", GRACE, "--prompt", "start", SIGNED, "--sign")
        await advance(first, "collecting")
        await until_stage(client, first, "grouping")
        grouped = await cli("retro", "groups", first)
        await advance(first, "grouping")
        await until_stage(client, first, "voting")
        await cli("retro", "vote", first, "--as", EMMA, "G1")
        await cli("retro", "vote", first, "--as", GRACE, "G1")
        await advance(first, "voting")
        await until_stage(client, first, "actions")
        recorded = await cli(
            "retro", "action", first, "--as", ANA, "--group", "G1", "--owner", "grace",
            "--due", "2026-12-30", "--title", ACTION,
        )  # fmt: skip
        await advance(first, "actions")
        first_result = await handles[0].result()

        await cli("run", ritual, "--period", "2026-W50")
        await until_stage(client, second, "action review")
        for _ in range(100):
            reviewing = outbox_messages(tmp_path / "outbox", second)
            if reviewing:
                break
            await asyncio.sleep(0.1)
        shown = await cli("status", second)
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), 30)
        for handle in (*handles, follow_up):
            try:
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("walkthrough done")
            except Exception:  # never started
                pass

    assert f"Workflow id: {first}" in started
    assert ANONYMOUS in grouped and SIGNED in grouped and "G1" in grouped
    assert "recorded for Grace Kim, due 2026-12-30" in recorded
    assert (2, 2, 2) == (
        first_result["counts"]["items"],
        first_result["counts"]["participants"],
        first_result["counts"]["votes"],
    )
    sent = Counter((a, m) for a, m, _ in outbox_messages(tmp_path / "outbox", first))
    summary_to = sorted(
        r for a, _, r in outbox_messages(tmp_path / "outbox", first) if a == "summary"
    )
    assert len(PARTICIPANTS) == sent[("invite", "invite")], sent
    assert len(PARTICIPANTS) == sent[("vote", "vote")], sent
    assert sorted(PARTICIPANTS) == summary_to
    assert [("action-review", "action-review", GRACE)] == reviewing
    assert second in shown
