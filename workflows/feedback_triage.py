"""``FeedbackTriageWorkflow``: import one feedback file through chunked, heartbeating activities.

The file arrives as its content: the CLI signals it in parts of whole rows (``add_part``), and
each part is triaged by one activity as soon as it is in, then dropped. The workflow holds
counts and the parts not yet triaged, never items: the ledger is the system of record. Parts run
one after another because each routes against what the previous ones stored (the triage
rotation's turn and the originals that near-duplicates link to). Runs started before files
travelled as parts carry a path instead and replay as they ran.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from opsrhythm.rituals.feedback.workflow_models import (
        PLAN_FEEDBACK_IMPORT,
        TRIAGE_FEEDBACK_CHUNK,
        FeedbackImportInput,
        ImportCounts,
        ImportPart,
        ImportProgress,
        PlanImportInput,
        TriageChunkInput,
    )

CHUNK_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(seconds=1))
PART_WAIT = timedelta(hours=1)
"""How long a missing part is waited for (the CLI that sent the others died); then the import
fails saying so, and importing the file again starts over, storing nothing twice."""


@workflow.defn
class FeedbackTriageWorkflow:
    def __init__(self) -> None:
        self._counts = ImportCounts()
        self._total = 0
        self._parts: dict[int, ImportPart] = {}
        self._next_part = 0

    @workflow.query
    def progress(self) -> ImportProgress:
        return ImportProgress(done=self._counts.rows, total=self._total)

    @workflow.signal
    def add_part(self, part: ImportPart) -> None:
        # A second CLI importing the same file at once sends every part again.
        if part.index >= self._next_part:
            self._parts.setdefault(part.index, part)

    @workflow.run
    async def run(self, input: FeedbackImportInput) -> ImportCounts:
        if input.path is not None:
            return await self._import_path(input, input.path)
        self._total = input.rows
        now = workflow.now()
        for index in range(input.parts):
            try:
                await workflow.wait_condition(
                    functools.partial(self._has_part, index), timeout=PART_WAIT
                )
            except TimeoutError:
                raise ApplicationError(
                    f"{input.origin} stopped arriving: part {index + 1} of {input.parts} not "
                    f"received within {PART_WAIT}; import the file again",
                    non_retryable=True,
                ) from None
            part = self._parts.pop(index)
            self._next_part = index + 1
            chunk = TriageChunkInput(
                data=part.data,
                line_offset=part.line_offset,
                origin=input.origin,
                start=0,
                stop=part.rows,
                now=now,
            )
            self._counts = self._counts.plus(await self._triage(chunk))
        return self._counts

    def _has_part(self, index: int) -> bool:
        return index in self._parts

    async def _import_path(self, input: FeedbackImportInput, path: str) -> ImportCounts:
        plan = await PLAN_FEEDBACK_IMPORT.execute(
            PlanImportInput(path=path),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=CHUNK_RETRY,
        )
        self._total = plan.rows
        now = workflow.now()
        for start in range(0, plan.rows, input.chunk_size):
            chunk = TriageChunkInput(
                path=path,
                origin=input.origin,
                start=start,
                stop=min(start + input.chunk_size, plan.rows),
                now=now,
            )
            self._counts = self._counts.plus(await self._triage(chunk))
        return self._counts

    async def _triage(self, chunk: TriageChunkInput) -> ImportCounts:
        return await TRIAGE_FEEDBACK_CHUNK.execute(
            chunk,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=20),
            retry_policy=CHUNK_RETRY,
        )
