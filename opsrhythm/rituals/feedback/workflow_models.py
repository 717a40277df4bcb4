"""Inputs and results of the feedback import workflow and its activities (the contracts)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from opsrhythm.platform.activity_ref import ActivityRef


class FeedbackImportInput(BaseModel):
    origin: str
    """The file's name, recorded with quarantined rows; its suffix tells CSV from JSON Lines."""
    parts: int = 0
    """How many ``ImportPart``s the file arrives in, through the ``add_part`` signal."""
    rows: int = 0
    path: str | None = None
    """Imports started before files travelled as parts: a path the worker reads."""
    chunk_size: int = 1000


class ImportPart(BaseModel):
    """Whole rows of the file (a CSV's with its header), zlib-compressed, in base64."""

    index: int
    data: str
    line_offset: int
    """Added to a row's line in the part to give its line in the file."""
    rows: int


class PlanImportInput(BaseModel):
    path: str


class ImportPlan(BaseModel):
    rows: int
    sha256: str


class TriageChunkInput(BaseModel):
    path: str | None = None
    """Imports started before files travelled as parts: the file, rows [start, stop) of it."""
    data: str | None = None
    """An ``ImportPart``'s data: rows [start, stop) of the part."""
    line_offset: int = 0
    origin: str
    start: int
    stop: int
    """The end of a file's slice; a part is read whole (its rows as the CLI counted them)."""
    now: datetime
    """The workflow's time, so a retried chunk routes with the same SLA clock."""


class ImportCounts(BaseModel):
    rows: int = 0
    imported: int = 0
    linked: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_new: int = 0

    def plus(self, other: ImportCounts) -> ImportCounts:
        return ImportCounts(
            **{name: getattr(self, name) + getattr(other, name) for name in type(self).model_fields}
        )


class ImportProgress(BaseModel):
    done: int
    total: int


def import_workflow_id(sha256: str) -> str:
    return f"feedback-import-{sha256[:16]}"


PLAN_FEEDBACK_IMPORT = ActivityRef[PlanImportInput, ImportPlan]("plan_feedback_import", ImportPlan)
TRIAGE_FEEDBACK_CHUNK = ActivityRef[TriageChunkInput, ImportCounts](
    "triage_feedback_chunk", ImportCounts
)
