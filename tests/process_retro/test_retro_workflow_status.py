"""`opsrhythm status WF` on a running retro (dev server, real store activities): the platform's
step and the kind's own lines and JSON, counts only, never an item's text or author."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.databases import sqlite_url
from tests.process_retro.retro_fakes import EMMA, stage
from tests.process_retro.retro_live import environment, live_retro, retro_cli

ITEM = "Release notes go out after the release"


async def test_status_shows_the_retro_stage_window_and_counts(
    dev_server_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Collecting, with the window's end; after Emma's item and the facilitator's advance,
    grouping with one item from one participant of three; the JSON's retro the same."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    environment(monkeypatch, url)
    client = dev_server_env.client
    async with live_retro(client, url) as handle:
        wf = handle.id
        collecting = await stage(handle, "collecting")
        code, before, _ = await retro_cli(client, capsys, "status", wf)
        added, _, _ = await retro_cli(
            client, capsys, "retro", "add", "--retro", wf, "--as", EMMA.email,
            "--prompt", "stop", ITEM,
        )  # fmt: skip
        advanced, _, _ = await retro_cli(
            client, capsys, "retro", "advance", wf, "--as", "ana@acme.example"
        )
        await stage(handle, "grouping")
        code_after, after, _ = await retro_cli(client, capsys, "status", wf)
        _, shown, _ = await retro_cli(client, capsys, "status", wf, "--json")
    assert (0, 0, 0, 0) == (code, added, advanced, code_after)
    assert collecting.closes_at is not None
    until = collecting.closes_at.strftime("%Y-%m-%dT%H:%M:%S")
    assert f"Retro process-retro 2026-W49: collecting until {until}" in before
    assert "items: 1 from 1 of 3 participants; themes: 1" in after
    assert "Approval: not requested (yet)" in after
    retro = json.loads(shown)["retro"]
    assert ("grouping", 1, 3) == (retro["stage"], retro["counts"]["items"], retro["participants"])
    assert ITEM not in before + after + shown and EMMA.email not in after + shown
