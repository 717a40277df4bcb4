"""Input and result of ``ScheduledRitualWorkflow``, the workflow a ritual's schedule starts.

They travel through Temporal history; new fields get defaults so running workflows decode.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from opsrhythm.platform.models import Period


class ScheduledRunInput(BaseModel):
    ritual_id: str
    timezone: str = Field(
        default="UTC", description="The schedule's timezone: the scheduled time's month is here."
    )


class ScheduledRunResult(BaseModel):
    ritual_id: str
    period: Period
    report_workflow_id: str
    outcome: Literal["reported", "already_ran"] = Field(
        description="reported: this run produced the report; already_ran: a run with the same "
        "id (manual or earlier) had already reported the period, so nothing was sent."
    )
