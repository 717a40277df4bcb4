"""`FeedbackTriageWorkflow` and its activities: chunked import via Temporal, resumable chunks."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import uuid
from pathlib import Path

from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.feedback import FeedbackActivities
from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.temporal_import import run_import
from opsrhythm.rituals.feedback.workflow_models import (
    FeedbackImportInput,
    ImportCounts,
    TriageChunkInput,
)
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from workflows.feedback_triage import FeedbackTriageWorkflow

FEEDBACK_CSV = EXAMPLE_CONFIG.parent / "feedback.csv"


def settings() -> FeedbackSettings:
    feedback = load_config(EXAMPLE_CONFIG).feedback
    assert feedback is not None
    return feedback


def worker(env: WorkflowEnvironment, ledger: FeedbackLedger, task_queue: str) -> Worker:
    activities = FeedbackActivities(settings(), lambda: ledger)
    return Worker(
        env.client,
        task_queue=task_queue,
        workflows=[FeedbackTriageWorkflow],
        activities=[activities.plan_feedback_import, activities.triage_feedback_chunk],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=4),
    )


async def test_workflow_imports_the_example_in_chunks(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Chunks of 5 rows add up to the same outcome as one in-process import."""
    ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "wf.db"))
    queue = str(uuid.uuid4())
    async with worker(time_skipping_env, ledger, queue):
        result = await time_skipping_env.client.execute_workflow(
            FeedbackTriageWorkflow.run,
            FeedbackImportInput(path=str(FEEDBACK_CSV), origin="feedback.csv", chunk_size=5),
            id=f"feedback-import-{uuid.uuid4()}",
            task_queue=queue,
        )
    assert ImportCounts(rows=13, imported=9, linked=1, quarantined=4, quarantined_new=4) == result


async def test_importing_the_same_file_again_adds_nothing(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The second run under the file's workflow id finds every row already stored."""
    ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "again.db"))
    queue = str(uuid.uuid4())
    async with worker(time_skipping_env, ledger, queue):
        await run_import(
            time_skipping_env.client,
            FEEDBACK_CSV,
            lambda *p: None,
            task_queue=queue,
            watch_sla=False,
        )
        again = await run_import(
            time_skipping_env.client,
            FEEDBACK_CSV,
            lambda *p: None,
            task_queue=queue,
            watch_sla=False,
        )
    assert (0, 9, 9) == (again.imported, again.duplicates, len(ledger.find()))


def test_a_retried_chunk_resumes_after_its_last_heartbeat(tmp_path: Path) -> None:
    """Rows already reported in a heartbeat are not triaged again by the next attempt."""
    ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "retry.db"))
    env = ActivityEnvironment()
    earlier = ImportCounts(rows=250, imported=250)
    env.info = dataclasses.replace(env.info, heartbeat_details=[250, earlier.model_dump()])
    activities = FeedbackActivities(settings(), lambda: ledger)
    rows = tmp_path / "many.jsonl"
    rows.write_text(
        "".join(
            f'{{"text": "idea number {i:04d}", "submitter": "u{i}@acme.test"}}\n'
            for i in range(300)
        )
    )
    chunk = TriageChunkInput(
        path=str(rows), origin="many.jsonl", start=0, stop=300, now=env.info.started_time
    )
    result = env.run(activities.triage_feedback_chunk, chunk)
    assert (300, 300, 50) == (result.rows, result.imported, len(ledger.find()))
