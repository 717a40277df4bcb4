"""`opsrhythm retro ...` when something is wrong: no such retro, no worker, the database down,
someone else advancing. Each is one line on stderr, exit 1, and nothing is stored."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.models import RitualRunInput
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.databases import sqlite_url
from tests.process_retro.retro_fakes import EMMA, RITUAL, stage
from tests.process_retro.retro_live import environment, live_retro, retro_cli
from workflows.process_retro import ProcessRetroWorkflow

ADD = ("retro", "add", "--as", EMMA.email, "--prompt", "stop", "Too slow", "--retro")


async def test_no_such_retro_and_no_worker(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    environment(monkeypatch, url)
    client = dev_server_env.client
    missing = await retro_cli(client, capsys, *ADD, f"{RITUAL}-{uuid.uuid4()}")
    handle = await client.start_workflow(
        ProcessRetroWorkflow.run,
        RitualRunInput(ritual_id=RITUAL, period="2026-W49"),
        id=f"{RITUAL}-2026-W49-{uuid.uuid4()}",
        task_queue=f"nobody-{uuid.uuid4()}",
    )
    try:
        unanswered = await retro_cli(client, capsys, *ADD, handle.id)
    finally:
        await handle.terminate("test done")
    for code, out, err in (missing, unanswered):
        assert (1, "", 1) == (code, out, len(err.strip().splitlines()))
    assert "no workflow" in missing[2]
    assert "no worker answered within 5 s" in unanswered[2]
    store = RetroStore.from_url(url)
    assert [] == store.all_items(handle.id)
    store.close()


async def test_database_down_and_someone_else_advancing(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    environment(monkeypatch, url)
    client = dev_server_env.client
    async with live_retro(client, url) as handle:
        await stage(handle, "collecting")
        not_hers = await retro_cli(
            client, capsys, "retro", "advance", handle.id, "--as", EMMA.email
        )
        monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:9/x")
        down = await retro_cli(client, capsys, *ADD, handle.id)
        still = await stage(handle, "collecting")
    for code, out, err in (not_hers, down):
        assert (1, "", 1) == (code, out, len(err.strip().splitlines()))
    assert "refused: only the facilitator" in not_hers[2]
    assert "cannot connect to the database" in down[2]
    assert 0 == still.counts.items
