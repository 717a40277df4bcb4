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
        default="UTC", description="The schedule's timezone: the scheduled time's period is here."
    )
    # The defaults are what schedules created before kinds existed meant: they keep decoding.
    workflow: str = Field(
        default="KpiReportWorkflow", description="The ritual kind's workflow type, started by name."
    )
    period_kind: str = Field(
        default="month", description="The ritual kind's period type: month, quarter or week."
    )


class ScheduledRunResult(BaseModel):
    ritual_id: str
    period: Period
    report_workflow_id: str = Field(description="The ritual run's workflow id.")
    outcome: Literal["reported", "already_ran"] = Field(
        description="reported: this run produced the report; already_ran: a run with the same "
        "id (manual or earlier) had already reported the period, so nothing was sent."
    )
