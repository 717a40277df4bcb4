"""Inputs and results of the SLA watcher and its sweep activity (the contracts)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from opsrhythm.platform.activity_ref import ActivityRef

SLA_WATCH_ID = "feedback-sla-watch"


class SlaWatchInput(BaseModel):
    max_idle_seconds: int = 3600
    """Longest sleep without a deadline: items submitted without a poke are seen this soon."""
    sweeps_per_run: int = 100
    """Continue-as-new after this many sweeps, keeping the history short."""


class SlaSweepInput(BaseModel):
    now: datetime
    workflow_id: str = SLA_WATCH_ID


class SlaSweepResult(BaseModel):
    warned: int = 0
    escalated: int = 0
    replied: int = 0
    digests: int = 0
    """Submitters emailed the outcome of their feedback."""
    failed: int = 0
    """Emails that could not be sent: recorded on their items and told to the area's lead."""
    next_at: datetime | None = None


SWEEP_SLA = ActivityRef[SlaSweepInput, SlaSweepResult]("sweep_sla", SlaSweepResult)
