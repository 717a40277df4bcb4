"""``feedback import`` through Temporal: start ``FeedbackTriageWorkflow`` and follow its progress.

The file goes to the workflow as its content, in parts (``upload``), never as a path the worker
may not see. The workflow id is the file's hash, so two imports of one file at once join the
same run, and a later import of it runs again to find every row already stored. Afterwards the
SLA watcher is started, or poked to look at the new items. With no server configured, an
embedded one and an in-process worker are started, as ``run --wait`` does.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowFailureError, WorkflowQueryFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError

from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.temporal_runtime import (
    TASK_QUEUE,
    WorkerFactory,
    client_with_worker,
    failure_message,
)
from opsrhythm.rituals.feedback.sla_models import SLA_WATCH_ID, SlaWatchInput
from opsrhythm.rituals.feedback.upload import split_parts
from opsrhythm.rituals.feedback.workflow_models import (
    FeedbackImportInput,
    ImportCounts,
    ImportPart,
    import_workflow_id,
)

Progress = Callable[[int, int], None]
POLL_SECONDS = 0.25
QUERY_TIMEOUT = timedelta(seconds=5)


class ImportFailed(Exception):
    """The import workflow failed; the message is its cause."""


async def import_file(
    config: PlatformConfig,
    path: Path,
    on_progress: Progress,
    worker_factory: WorkerFactory,
    connect: Callable[[], Awaitable[Client]],
) -> ImportCounts:
    """Import on the server ``connect`` reaches, or on an embedded one (``client_with_worker``)."""
    async with client_with_worker(config, worker_factory, connect) as client:
        return await run_import(client, path, on_progress)


async def run_import(
    client: Client,
    path: Path,
    on_progress: Progress,
    *,
    task_queue: str = TASK_QUEUE,
    watch_sla: bool = True,
) -> ImportCounts:
    from workflows.feedback_triage import FeedbackTriageWorkflow

    sha, parts = await asyncio.to_thread(_parts_of, path)
    rows = sum(part.rows for part in parts)
    handle = await client.start_workflow(
        FeedbackTriageWorkflow.run,
        FeedbackImportInput(origin=path.name, parts=len(parts), rows=rows),
        id=import_workflow_id(sha),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    for part in parts:
        # Recorded by the server as soon as it answers: no worker needs to be up.
        await handle.signal(FeedbackTriageWorkflow.add_part, part)
    result = asyncio.ensure_future(handle.result())
    while not result.done():
        await asyncio.wait([result], timeout=POLL_SECONDS)
        if not result.done():
            try:
                progress = await handle.query(
                    FeedbackTriageWorkflow.progress, rpc_timeout=QUERY_TIMEOUT
                )
            except (RPCError, WorkflowQueryFailedError):
                # No worker to answer (killed, restarting): the import goes on without it, and
                # only the result says how it ended.
                continue
            on_progress(progress.done, progress.total)
    try:
        counts = result.result()
    except WorkflowFailureError as failure:
        cause = " ".join(failure_message(failure).split())  # a database error spans lines
        raise ImportFailed(f"{path.name}: import {handle.id} failed: {cause}") from None
    if watch_sla:
        await start_sla_watch(client, task_queue=task_queue)
    return counts


async def start_sla_watch(client: Client, *, task_queue: str = TASK_QUEUE) -> None:
    """Start the SLA watcher, or poke the running one to look at new items now."""
    from workflows.feedback_sla import FeedbackSlaWorkflow

    await client.start_workflow(
        FeedbackSlaWorkflow.run,
        SlaWatchInput(),
        id=SLA_WATCH_ID,
        task_queue=task_queue,
        start_signal="poke",
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def start_configured_sla_watch() -> None:
    """``start_sla_watch`` on the server the environment names."""
    from opsrhythm.platform.temporal_runtime import connect

    await start_sla_watch(await connect())


async def wake_for_replies() -> str:
    """After a CLI resolution: have a configured server's watcher schedule the replies now.

    Says when the submitters will hear. The resolution is stored whatever happens here.
    """
    from opsrhythm.platform.temporal_runtime import TemporalUnavailable, configured_address

    if configured_address() is None:
        return "The submitters are emailed at the SLA watcher's next sweep."
    try:
        await start_configured_sla_watch()
    except (TemporalUnavailable, RPCError) as error:
        return f"The SLA watcher could not be woken ({error}); replies go at its next sweep."
    return "The submitters are emailed after the reply window."


def _parts_of(path: Path) -> tuple[str, list[ImportPart]]:
    content = path.read_bytes()
    return hashlib.sha256(content).hexdigest(), split_parts(content, path.name)
