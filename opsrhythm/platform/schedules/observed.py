"""What the server says about the rituals' schedules and running rituals, read once.

The views (``views``) draw it as tables or ``--json`` documents; gathering it apart from
drawing it keeps the two outputs saying the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleDescription,
    WorkflowExecutionStatus,
)
from temporalio.service import RPCError

from opsrhythm.platform import search_attributes
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.schedules.models import ScheduledRunResult
from opsrhythm.platform.schedules.spec import SCHEDULED_RUN_WORKFLOW, DesiredSchedule, differences
from opsrhythm.platform.schedules.sync import (
    describe_or_none,
    desired_schedules,
    managed_schedule_ids,
)
from opsrhythm.platform.temporal_runtime import query_status

RUNNING_RITUALS = "ExecutionStatus = 'Running' AND Ritual IS NOT NULL"


@dataclass(frozen=True)
class RunOutcome:
    status: str
    """``completed``, ``running``, ``failed``, … (Temporal's, lower case), ``history_gone`` or
    ``unknown``."""
    period: str | None = None
    outcome: str | None = None
    """For a completed run: ``reported``, or ``already_ran`` (nothing was sent again)."""


@dataclass(frozen=True)
class ScheduledRun:
    scheduled_at: datetime
    workflow_id: str | None
    outcome: RunOutcome


@dataclass(frozen=True)
class ObservedSchedule:
    desired: DesiredSchedule
    current: ScheduleDescription | None
    """None: not on the server (never synced)."""
    differences: list[str]
    runs: list[ScheduledRun]
    """Its recent runs, oldest first."""


@dataclass(frozen=True)
class RunningRitual:
    workflow_id: str
    ritual_id: str
    period: str
    step: str | None
    """What its ``status`` query says; None if nothing answered (no worker?)."""
    started_at: datetime
    started_by: str
    """``schedule`` or ``manual``."""
    unknown_outcomes: int = 0
    """Recipients in doubt, as its ``status`` query says: above 0 the run needs attention."""


async def observe(
    client: Client, desired: DesiredSchedule, *, runs: int | None
) -> ObservedSchedule:
    """The schedule as the server has it, with its latest ``runs`` runs (None: all it keeps)."""
    current = await describe_or_none(client, desired.schedule_id)
    if current is None:
        return ObservedSchedule(desired, None, [], [])
    recent = current.info.recent_actions
    latest = recent if runs is None else recent[-runs:] if runs > 0 else []
    return ObservedSchedule(
        desired,
        current,
        differences(desired, current),
        [await scheduled_run(client, action) for action in latest],
    )


async def observe_all(
    client: Client, config: PlatformConfig, *, now: datetime, task_queue: str
) -> tuple[list[ObservedSchedule], list[str]]:
    """Every configured schedule with its last run, and the ids of managed ones not configured."""
    wanted = desired_schedules(config, now=now, task_queue=task_queue)
    observed = [await observe(client, desired, runs=1) for desired in wanted]
    known = {desired.schedule_id for desired in wanted}
    return observed, [sid for sid in await managed_schedule_ids(client) if sid not in known]


async def scheduled_run(client: Client, action: ScheduleActionResult) -> ScheduledRun:
    started = action.action
    if not isinstance(started, ScheduleActionExecutionStartWorkflow):
        return ScheduledRun(action.scheduled_at, None, RunOutcome("unknown"))
    return ScheduledRun(
        action.scheduled_at, started.workflow_id, await _outcome(client, started.workflow_id)
    )


async def _outcome(client: Client, workflow_id: str) -> RunOutcome:
    handle = client.get_workflow_handle(workflow_id, result_type=ScheduledRunResult)
    try:
        status = (await handle.describe()).status
    except RPCError:
        return RunOutcome("history_gone")
    if status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()
        return RunOutcome("completed", str(result.period), result.outcome)
    return RunOutcome(status.name.lower() if status else "unknown")


async def running_rituals(client: Client) -> list[RunningRitual]:
    """Every running ritual workflow and the step its ``status`` query reports."""
    found = []
    async for execution in client.list_workflows(RUNNING_RITUALS):
        attributes = execution.typed_search_attributes
        answer = await query_status(client, execution.id, execution.run_id)
        scheduled = execution.parent_id or execution.workflow_type == SCHEDULED_RUN_WORKFLOW
        found.append(
            RunningRitual(
                workflow_id=execution.id,
                ritual_id=attributes.get(search_attributes.RITUAL) or "",
                period=attributes.get(search_attributes.PERIOD) or str(answer.get("period") or ""),
                step=str(answer["step"]) if "step" in answer else None,
                started_at=execution.start_time,
                started_by="schedule" if scheduled else "manual",
                unknown_outcomes=int(str(answer.get("unknown_outcomes") or 0)),
            )
        )
    return found
