"""Inputs and results of the feedback import workflow and its activities (the contracts)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from opsrhythm.platform.activity_ref import ActivityRef


class FeedbackImportInput(BaseModel):
    path: str
    """Absolute path of the CSV or JSON Lines file, readable by the worker."""
    origin: str
    """The file's name, recorded with quarantined rows."""
    chunk_size: int = 1000


class PlanImportInput(BaseModel):
    path: str


class ImportPlan(BaseModel):
    rows: int
    sha256: str


class TriageChunkInput(BaseModel):
    path: str
    origin: str
    start: int
    stop: int
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
