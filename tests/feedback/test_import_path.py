"""The file reaches the worker as content, in parts of whole rows; a failed import says why."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.feedback import FeedbackActivities
from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback import upload
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import ParsedRow, read_content
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.temporal_import import ImportFailed, run_import
from opsrhythm.rituals.feedback.upload import part_content, split_parts
from opsrhythm.rituals.feedback.workflow_models import FeedbackImportInput
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from workflows.feedback_triage import FeedbackTriageWorkflow

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
CSV = (
    b"\xef\xbb\xbftext,submitter,customer\r\n"
    b'"SSO, please",a@globex.test,Globex\r\n'
    b'"Two lines\nof ""quoted"" text",b@initech.test,Initech\r\n'
    b"\r\n"
    b"Caf\xe9 export is slow,c@hooli.test,Hooli\r\n"
    b"not an email,nobody,\r\n"
    b"Refund the invoice,d@acme.test,Acme\r\n"
)
JSONL = (
    b"".join(
        json.dumps({"text": f'5" screen {n}', "submitter": f"u{n}@x.test"}).encode() + b"\n"
        for n in range(5)
    )
    + b"{broken\n"
)


def settings() -> FeedbackSettings:
    feedback = load_config(EXAMPLE_CONFIG).feedback
    assert feedback is not None
    return feedback


def rows_from_parts(content: bytes, name: str) -> list[ParsedRow]:
    rows = []
    for part in split_parts(content, name):
        for row in read_content(part_content(part.data), name, now=NOW):
            rows.append(dataclasses.replace(row, line=row.line + part.line_offset))
    return rows


@pytest.mark.parametrize(("content", "name"), [(CSV, "f.csv"), (JSONL, "f.jsonl")])
def test_parts_of_two_rows_read_as_the_whole_file(
    content: bytes, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quoted line break, a BOM, a cp1252 byte, blank and bad rows: same rows, same lines."""
    monkeypatch.setattr(upload, "PART_ROWS", 2)
    assert len(split_parts(content, name)) >= 3
    assert read_content(content, name, now=NOW) == rows_from_parts(content, name)


def worker(env: WorkflowEnvironment, ledger: FeedbackLedger, queue: str, **kw: object) -> Worker:
    chosen = kw["settings"] if "settings" in kw else settings()
    assert chosen is None or isinstance(chosen, FeedbackSettings)
    activities = FeedbackActivities(chosen, lambda: ledger)
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[FeedbackTriageWorkflow],
        activities=[activities.plan_feedback_import, activities.triage_feedback_chunk],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
    )


async def test_the_worker_imports_a_file_it_cannot_see(
    dev_server_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parts are on the server before any worker runs; the file is gone by then, and no
    path of the CLI's machine is in the history."""
    monkeypatch.setattr(upload, "PART_ROWS", 2)
    source = tmp_path / f"{uuid.uuid4().hex}.csv"
    source.write_bytes(CSV)
    ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "f.db"))
    queue = str(uuid.uuid4())
    client = dev_server_env.client
    importing = asyncio.ensure_future(
        run_import(client, source, lambda *p: None, task_queue=queue, watch_sla=False)
    )
    while True:
        await asyncio.sleep(0.2)
        handles = [w async for w in client.list_workflows(f"TaskQueue = '{queue}'")]
        if handles:
            history = await client.get_workflow_handle(handles[0].id).fetch_history()
            signalled = "workflow_execution_signaled_event_attributes"
            signals = [e for e in history.events if e.HasField(signalled)]  # type: ignore[arg-type]
            if len(signals) == len(split_parts(CSV, source.name)):
                break
    source.unlink()
    async with worker(dev_server_env, ledger, queue):
        counts = await asyncio.wait_for(importing, 60)
    history = await client.get_workflow_handle(handles[0].id).fetch_history()
    expected = read_content(CSV, source.name, now=NOW)
    good = sum(1 for row in expected if row.input is not None)
    assert (len(expected), good) == (counts.rows, counts.imported)
    assert str(tmp_path) not in history.to_json()
    assert [row.line for row in expected if row.input is None] == [
        row.line for row in ledger.quarantined()
    ]
    ledger.close()


async def test_a_failed_import_says_why_in_one_line(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The activity's own reason, not "Activity task failed"."""
    source = tmp_path / "feedback.csv"
    source.write_bytes(CSV)
    ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "f.db"))
    queue = str(uuid.uuid4())
    async with worker(time_skipping_env, ledger, queue, settings=None):
        with pytest.raises(ImportFailed) as failed:
            await run_import(
                time_skipping_env.client, source, lambda *p: None, task_queue=queue, watch_sla=False
            )
    message = str(failed.value)
    assert "\n" not in message and "Activity task failed" not in message
    assert message.startswith("feedback.csv: import feedback-import-")
    assert message.endswith("failed: the config has no feedback: section")
    ledger.close()


async def test_an_upload_that_stops_fails_saying_which_part_is_missing(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI that died after the first of two parts: the run fails after an hour, naming it."""
    monkeypatch.setattr(upload, "PART_ROWS", 2)
    ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "f.db"))
    queue = str(uuid.uuid4())
    first = split_parts(CSV, "f.csv")[0]
    async with worker(time_skipping_env, ledger, queue):
        handle = await time_skipping_env.client.start_workflow(
            FeedbackTriageWorkflow.run,
            FeedbackImportInput(origin="f.csv", parts=2, rows=6),
            id=f"feedback-import-{uuid.uuid4()}",
            task_queue=queue,
        )
        await handle.signal(FeedbackTriageWorkflow.add_part, first)
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert "f.csv stopped arriving: part 2 of 2 not received within 1:00:00" in str(
        failed.value.cause
    )
    assert 2 == len(ledger.find())
    ledger.close()
