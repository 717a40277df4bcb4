"""A retro as the CLI and the pages meet it: ProcessRetroWorkflow on the dev server with the
fakes' emails and plan, but the real store activities (grouping, counts) on a real database,
and ``opsrhythm`` run as the console script does, on the test's client."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

import starter
from activities.process_retro_store import ProcessRetroStoreActivities
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.conftest import EXAMPLE_CONFIG
from tests.process_retro.retro_db import KEYS, SECRET
from tests.process_retro.retro_fakes import RITUAL, Handle, RetroFakes
from workflows.process_retro import ProcessRetroWorkflow

REAL = {"group_retro_items", "retro_counts"}


@asynccontextmanager
async def live_retro(client: Client, database_url: str) -> AsyncIterator[Handle]:
    """A started retro whose store activities are the real ones on ``database_url``."""
    fakes = RetroFakes()
    store = RetroStore.from_url(database_url)
    real = ProcessRetroStoreActivities(open_store=lambda: store, keys=lambda: KEYS)
    kept = [a for a in fakes.all() if getattr(a, "__temporal_activity_definition").name not in REAL]
    task_queue = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[ProcessRetroWorkflow],
            activities=[*kept, real.group_retro_items, real.retro_counts],
            activity_executor=executor,
        ):
            handle = await client.start_workflow(
                ProcessRetroWorkflow.run,
                RitualRunInput(ritual_id=RITUAL, period="2026-W49"),
                id=f"{RITUAL}-2026-W49-{uuid.uuid4()}",
                task_queue=task_queue,
                execution_timeout=timedelta(days=60),
            )
            try:
                yield handle
            finally:
                if (await handle.describe()).status is not None and (
                    (await handle.describe()).close_time is None
                ):
                    await handle.terminate("test done")
                store.close()


def environment(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("OPSRHYTHM_SECRET", SECRET)
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", database_url)


async def retro_cli(
    client: Client, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    async def connect() -> Client:
        return client

    context = dataclasses.replace(starter.context(), connect=connect)
    commands = starter.commands()
    if not any(getattr(c, "name", "") == "retro add" for c in commands):
        from opsrhythm.rituals.process_retro.cli import COMMANDS

        commands = [*commands, *COMMANDS]
    configured = [] if argv[:2] == ("retro", "groups") else ["--config", str(EXAMPLE_CONFIG)]
    code = await main_async(commands, [*argv, *configured], context)
    out, err = capsys.readouterr()
    return code, out, err
