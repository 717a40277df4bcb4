"""One ritual run of the example config through the real SendGrid transport against the fake
SendGrid: a worker on its own task queue, the ledger and outbox in ``tmp_path``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.sendgrid_transport import SendGridTransport
from opsrhythm.platform.models import RitualRunInput
from tests.databases import sqlite_url
from tests.fake_sendgrid import DEFAULT_API_KEY, FakeSendGrid
from worker import build_worker


@asynccontextmanager
async def run_through_sendgrid(
    env: WorkflowEnvironment,
    config: OpsRhythmConfig,
    sendgrid: FakeSendGrid,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workflow: Any,
    run: RitualRunInput,
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """Start ``workflow`` (a run method) for ``run``; yield its handle while the worker runs."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    monkeypatch.setenv("OPSRHYTHM_OUTBOX", str(tmp_path / "outbox"))
    ledger = SendLedger.from_url(url)
    task_queue = str(uuid.uuid4())
    worker = build_worker(
        env.client,
        config,
        task_queue=task_queue,
        transport=SendGridTransport(DEFAULT_API_KEY, config.email, host=sendgrid.url),
        ledger=ledger,
        archive_dir=tmp_path / "archive",
    )
    try:
        async with worker:
            yield await env.client.start_workflow(
                workflow,
                run,
                id=f"{run.ritual_id}-{run.period}-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
    finally:
        ledger.close()
