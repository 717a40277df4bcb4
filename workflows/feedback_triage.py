"""``FeedbackTriageWorkflow``: import one feedback file through chunked, heartbeating activities.

The workflow holds row ranges and counts, never items: the ledger is the system of record.
Chunks run one after another because each routes against what the previous ones stored (the
triage rotation's turn and the originals that near-duplicates link to).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from opsrhythm.rituals.feedback.workflow_models import (
        PLAN_FEEDBACK_IMPORT,
        TRIAGE_FEEDBACK_CHUNK,
        FeedbackImportInput,
        ImportCounts,
        ImportProgress,
        PlanImportInput,
        TriageChunkInput,
    )

CHUNK_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=1))


@workflow.defn
class FeedbackTriageWorkflow:
    def __init__(self) -> None:
        self._counts = ImportCounts()
        self._total = 0

    @workflow.query
    def progress(self) -> ImportProgress:
        return ImportProgress(done=self._counts.rows, total=self._total)

    @workflow.run
    async def run(self, input: FeedbackImportInput) -> ImportCounts:
        plan = await PLAN_FEEDBACK_IMPORT.execute(
            PlanImportInput(path=input.path),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=CHUNK_RETRY,
        )
        self._total = plan.rows
        now = workflow.now()
        for start in range(0, plan.rows, input.chunk_size):
            counts = await TRIAGE_FEEDBACK_CHUNK.execute(
                TriageChunkInput(
                    path=input.path,
                    origin=input.origin,
                    start=start,
                    stop=min(start + input.chunk_size, plan.rows),
                    now=now,
                ),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=20),
                retry_policy=CHUNK_RETRY,
            )
            self._counts = self._counts.plus(counts)
        return self._counts
