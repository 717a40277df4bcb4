"""`opsrhythm worker --rituals KIND,...`: a worker that registers, and imports, only those kinds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

import starter
from opsrhythm.platform import search_attributes
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.platform.temporal_runtime import find_binary
from opsrhythm.registry import RITUAL_KINDS
from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.databases import sqlite_url

# The worker as `opsrhythm worker` runs it; a line on stdin makes it print its loaded modules.
PROBE = """
import json, sys, threading, starter
def report():
    sys.stdin.readline()
    print(json.dumps(sorted(sys.modules)), flush=True)
threading.Thread(target=report, daemon=True).start()
sys.exit(starter.main(sys.argv[1:]))
"""
OTHER_KINDS_MODULES = {
    "workflows.feedback_triage",
    "workflows.feedback_sla",
    "workflows.strategy_review",
    "workflows.process_retro",
    "activities.feedback",
    "activities.feedback_sla",
    "activities.strategy_review",
    "activities.strategy_review_plan",
    "activities.process_retro",
    "activities.process_retro_plan",
    "activities.process_retro_store",
} | {kind.worker.partition(":")[0] for kind in RITUAL_KINDS if kind.kind != "kpi_report"}


@pytest_asyncio.fixture
async def own_server() -> AsyncIterator[str]:
    """A dev server of this test's own: the KPI run's workflow id is then free."""
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=search_attributes.ALL,
    )
    try:
        yield env.client.service_client.config.target_host
    finally:
        await env.shutdown()


@pytest.mark.dev_server
def test_one_kind_worker_runs_it_and_imports_no_other_kind(
    own_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEMPORAL_ADDRESS", own_server)
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(EXAMPLE_CONFIG))
    monkeypatch.setenv("OPSRHYTHM_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("OPSRHYTHM_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", sqlite_url(tmp_path / "opsrhythm.db"))
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)
    worker = subprocess.Popen(
        [sys.executable, "-c", PROBE, "worker", "--rituals", "kpi_report"],
        cwd=REPO,
        env=dict(os.environ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdin is not None and worker.stdout is not None
    try:
        started = worker.stdout.readline()
        assert started.rstrip().endswith("for kpi_report"), started
        assert 0 == starter.main(["run", "monthly-kpi-report", "--period", "2026-08", "--wait"])
        worker.stdin.write("modules\n")
        worker.stdin.flush()
        loaded = set(json.loads(worker.stdout.readline()))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert 9 == len(list((tmp_path / "outbox").glob("*.eml")))
    assert {"workflows.kpi_report", "opsrhythm.rituals.kpi_report.worker"} <= loaded
    assert set() == OTHER_KINDS_MODULES & loaded


def test_unknown_kind_is_one_line_naming_the_known(capsys: pytest.CaptureFixture[str]) -> None:
    assert 2 == starter.main(["worker", "--rituals", "kpi_report,kpi_reprot"])
    err = capsys.readouterr().err.strip().splitlines()
    known = ", ".join(kind.kind for kind in RITUAL_KINDS)
    assert [f"opsrhythm: --rituals: unknown kind kpi_reprot (known: {known})"] == err
