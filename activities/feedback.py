"""Feedback import activities: triage a part of a file (or, for older runs, a slice of a file
the worker reads) into the ledger.

A part is routed and written in sub-batches, heartbeating the rows done; a retried attempt
resumes after the last heartbeat, and the ledger's keyed writes make any overlap harmless.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.exceptions import ApplicationError

from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import ParsedRow, count_rows, read_content, read_file
from opsrhythm.rituals.feedback.ledger_view import LedgerView
from opsrhythm.rituals.feedback.sla_clock import CalendarUnavailable
from opsrhythm.rituals.feedback.triage import CHUNK, triage_chunk
from opsrhythm.rituals.feedback.upload import part_content
from opsrhythm.rituals.feedback.workflow_models import (
    PLAN_FEEDBACK_IMPORT,
    TRIAGE_FEEDBACK_CHUNK,
    ImportCounts,
    ImportPlan,
    PlanImportInput,
    TriageChunkInput,
)

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

SUB_BATCH = CHUNK


class FeedbackActivities:
    def __init__(
        self, settings: FeedbackSettings | None, open_ledger: Callable[[], FeedbackLedger]
    ) -> None:
        self._settings = settings
        self._open_ledger = open_ledger
        self._view: tuple[str | None, LedgerView] | None = None
        self._one_chunk_at_a_time = threading.Lock()

    @functools.cached_property
    def _ledger(self) -> FeedbackLedger:
        # Opened on first use, not at worker start: SQLAlchemy is slow to import.
        return self._open_ledger()

    @activity.defn(name=PLAN_FEEDBACK_IMPORT.name)
    def plan_feedback_import(self, input: PlanImportInput) -> ImportPlan:
        """The number of rows in the file, and its hash."""
        path = Path(input.path)
        try:
            content = path.read_bytes()
            rows = count_rows(path)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ApplicationError(f"{path}: {error}", non_retryable=True) from None
        return ImportPlan(rows=rows, sha256=hashlib.sha256(content).hexdigest())

    @activity.defn(name=TRIAGE_FEEDBACK_CHUNK.name)
    def triage_feedback_chunk(self, input: TriageChunkInput) -> ImportCounts:
        """Route and store rows [start, stop) of the file; returns what happened to them."""
        if self._settings is None:
            raise ApplicationError("the config has no feedback: section", non_retryable=True)
        details = activity.info().heartbeat_details
        done = int(details[0]) if details else 0
        counts = ImportCounts.model_validate(details[1]) if len(details) > 1 else ImportCounts()
        try:
            rows = _rows_of(input, self._settings)
        except (OSError, UnicodeDecodeError, ValueError, zlib.error) as error:
            where = input.path or input.origin
            raise ApplicationError(f"{where}: {error}", non_retryable=True) from None
        # One import's chunks share its dedupe index, brought up to date per sub-batch, instead
        # of each loading every open original. An attempt overlapping another (a retry while the
        # first still runs) loads its own rather than wait for one that may hang.
        shared = self._one_chunk_at_a_time.acquire(blocking=False)
        try:
            view = (
                self._view_of(activity.info().workflow_run_id, self._settings)
                if shared
                else LedgerView(self._settings.dedupe)
            )
            for begin in range(done, len(rows), SUB_BATCH):
                batch = rows[begin : begin + SUB_BATCH]
                try:
                    summary = triage_chunk(
                        batch,
                        self._settings,
                        self._ledger,
                        origin=input.origin,
                        now=input.now,
                        view=view,
                    )
                except CalendarUnavailable as error:
                    raise ApplicationError(str(error), non_retryable=True) from None
                counts = counts.plus(ImportCounts(rows=len(batch), **dataclasses.asdict(summary)))
                activity.heartbeat(begin + len(batch), counts.model_dump())
        finally:
            if shared:
                self._one_chunk_at_a_time.release()
        return counts

    def _view_of(self, run_id: str | None, settings: FeedbackSettings) -> LedgerView:
        if self._view is None or self._view[0] != run_id:
            self._view = (run_id, LedgerView(settings.dedupe))
        return self._view[1]


def _rows_of(input: TriageChunkInput, settings: FeedbackSettings) -> list[ParsedRow]:
    """The chunk's rows: from the part it carries, or (older runs) from the worker's file."""
    if input.data is None:
        assert input.path is not None
        return read_file(
            Path(input.path),
            now=input.now,
            start=input.start,
            stop=input.stop,
            columns=settings.columns,
        )
    # Whole, whatever the CLI counted: a bare quote in a CSV cell can fool its count.
    rows = read_content(
        part_content(input.data), input.origin, now=input.now, columns=settings.columns
    )
    return [dataclasses.replace(row, line=row.line + input.line_offset) for row in rows]
