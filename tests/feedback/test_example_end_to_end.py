"""The issue's "done when", in one run: the example file is imported through Temporal, every good
row is routed, the malformed ones are quarantined, and each open item is warned and escalated at
exactly its business-day deadlines, on the time-skipping server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.feedback import FeedbackActivities
from opsrhythm.rituals.feedback.sla_models import SlaWatchInput
from opsrhythm.rituals.feedback.temporal_import import run_import
from tests.feedback.test_sla import Setup
from workflows.feedback_sla import FeedbackSlaWorkflow
from workflows.feedback_triage import FeedbackTriageWorkflow

FEEDBACK_CSV = Path(__file__).parents[2] / "examples" / "acme" / "feedback.csv"
MARGIN = timedelta(minutes=1)


def notified(setup: Setup) -> set[tuple[str, str]]:
    """(item id, 'warning' or 'escalation') for every notice recorded in the ledger."""
    found = set()
    for item in setup.ledger.find():
        if item.warned_at is not None:
            found.add((item.id, "warning"))
        if item.escalated_at is not None:
            found.add((item.id, "escalation"))
    return found


async def test_example_import_is_routed_warned_and_escalated_on_schedule(
    time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    env, setup = time_skipping_env, Setup(tmp_path)
    assert setup.config.feedback is not None
    imports = FeedbackActivities(setup.config.feedback, lambda: setup.ledger)
    queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[FeedbackTriageWorkflow, FeedbackSlaWorkflow],
        activities=[
            imports.plan_feedback_import,
            imports.triage_feedback_chunk,
            setup.activities.sweep_sla,
        ],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=4),
    ):
        # Awaiting the import's result would let this server skip its clock ahead by years.
        with env.auto_time_skipping_disabled():
            counts = await run_import(
                env.client, FEEDBACK_CSV, lambda *p: None, task_queue=queue, watch_sla=False
            )
        items = setup.ledger.find()
        originals = [i for i in items if i.duplicate_of is None]
        assert (9, 4, 9) == (counts.imported, counts.quarantined, len(items))
        assert all(i.area and i.assignee and i.warn_at and i.due_at for i in originals)
        expected: dict[datetime, set[tuple[str, str]]] = {}
        for item in originals:
            assert item.warn_at is not None and item.due_at is not None
            expected.setdefault(item.warn_at, set()).add((item.id, "warning"))
            expected.setdefault(item.due_at, set()).add((item.id, "escalation"))

        handle = await env.client.start_workflow(
            FeedbackSlaWorkflow.run,
            SlaWatchInput(max_idle_seconds=86_400 * 7),
            id=f"sla-{uuid.uuid4()}",
            task_queue=queue,
        )
        seen: list[tuple[datetime, set[tuple[str, str]], set[tuple[str, str]]]] = []
        for moment in sorted(expected):
            await env.sleep(moment - MARGIN - await env.get_current_time())
            before = notified(setup)
            await env.sleep(moment + MARGIN - await env.get_current_time())
            after = before
            for _ in range(100):
                after = notified(setup)
                if after - before == expected[moment]:
                    break
                await asyncio.sleep(0.05)
            seen.append((moment, after - before, expected[moment]))
        await handle.terminate()
    assert [(m, e) for m, _, e in seen] == [(m, got) for m, got, _ in seen]
    assert len(originals) * 2 == len(notified(setup))
