"""The read-only views: ``schedule list``, ``schedule describe`` and ``status``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleDescription,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError

from opsrhythm.platform import search_attributes
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.schedules.models import ScheduledRunResult
from opsrhythm.platform.schedules.spec import DesiredSchedule, desired_schedule, differences
from opsrhythm.platform.schedules.sync import (
    describe_or_none,
    desired_schedules,
    managed_schedule_ids,
)
from opsrhythm.platform.schedules.times import period_for_run
from opsrhythm.platform.temporal_runtime import TASK_QUEUE

SCHEDULED = "ScheduledRitualWorkflow"
RUNNING_RITUALS = "ExecutionStatus = 'Running' AND Ritual IS NOT NULL"


def local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def list_schedules(
    client: Client,
    config: PlatformConfig,
    out: Console,
    *,
    now: datetime | None = None,
    task_queue: str = TASK_QUEUE,
) -> int:
    table = Table("Ritual", "Rule", "Next runs (local)", "Next runs (UTC)", "Last run", "Paused")
    wanted = desired_schedules(config, now=now or datetime.now(UTC), task_queue=task_queue)
    for desired in wanted:
        current = await describe_or_none(client, desired.schedule_id)
        if current is None:
            table.add_row(desired.ritual_id, desired.rule, "not on the server: run", "sync", "")
            continue
        upcoming = current.info.next_action_times[:3]
        rule = desired.rule + ("" if not differences(desired, current) else "\n(out of sync)")
        state = current.schedule.state
        table.add_row(
            desired.ritual_id,
            rule,
            "\n".join(local(t, desired.timezone) for t in upcoming) or "none",
            "\n".join(utc(t) for t in upcoming) or "none",
            await last_run(client, current.info.recent_actions, desired.timezone),
            f"yes: {state.note}" if state.paused else "no",
        )
    out.print(table)
    known = {desired.schedule_id for desired in wanted}
    for leftover in await managed_schedule_ids(client):
        if leftover not in known:
            out.print(
                f"{leftover} is not in the config (opsrhythm schedule sync --prune deletes it)"
            )
    return 0


async def last_run(client: Client, recent: Sequence[ScheduleActionResult], timezone: str) -> str:
    if not recent:
        return "never"
    latest = recent[-1]
    return f"{local(latest.scheduled_at, timezone)}\n{await outcome(client, latest)}"


async def outcome(client: Client, action: ScheduleActionResult) -> str:
    if not isinstance(action.action, ScheduleActionExecutionStartWorkflow):
        return "unknown"
    handle = client.get_workflow_handle(action.action.workflow_id, result_type=ScheduledRunResult)
    try:
        status = (await handle.describe()).status
    except RPCError:
        return "unknown (history gone)"
    if status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()
        done = "reported" if result.outcome == "reported" else "already ran, not re-sent"
        return f"{result.period} {done}"
    return status.name.lower() if status else "unknown"


async def describe(
    client: Client,
    config: PlatformConfig,
    ritual_id: str,
    out: Console,
    *,
    now: datetime | None = None,
    task_queue: str = TASK_QUEUE,
) -> int:
    ritual = config.ritual(ritual_id)
    desired = desired_schedule(config, ritual, now=now or datetime.now(UTC), task_queue=task_queue)
    current = await describe_or_none(client, desired.schedule_id)
    out.print(f"Schedule {desired.schedule_id} (ritual {ritual_id})")
    out.print(f"  rule:      {desired.rule}")
    if current is None:
        out.print("  not on the server: run opsrhythm schedule sync")
        return 0
    _describe_state(desired, current, out)
    table = Table("Next runs (local)", "UTC", "Reports", title="Upcoming")
    for moment in current.info.next_action_times:
        table.add_row(
            local(moment, desired.timezone),
            utc(moment),
            str(period_for_run(moment, desired.timezone, desired.period_type)),
        )
    out.print(table)
    recent = Table("Scheduled (local)", "Workflow id", "Outcome", title="Recent runs")
    for action in reversed(current.info.recent_actions):
        workflow_id = getattr(action.action, "workflow_id", "")
        recent.add_row(
            local(action.scheduled_at, desired.timezone),
            workflow_id,
            await outcome(client, action),
        )
    out.print(recent)
    return 0


def _describe_state(desired: DesiredSchedule, current: ScheduleDescription, out: Console) -> None:
    schedule = current.schedule
    state = schedule.state
    policy = schedule.policy
    paused = f"paused: {state.note}" if state.paused else "active"
    catchup = _duration(policy.catchup_window)
    jitter = _duration(schedule.spec.jitter)
    out.print(f"  state:     {paused}")
    out.print(f"  timezone:  {schedule.spec.time_zone_name or 'UTC'}")
    out.print(
        f"  policies:  overlap {policy.overlap.name.lower()}, catch-up window {catchup}, "
        f"pause on failure {'yes' if policy.pause_on_failure else 'no'}, jitter {jitter}"
    )
    if desired.window is not None:
        out.print(
            f"  fire times on the server: {len(desired.fire_times)} in {desired.window} "
            "(refreshed by schedule sync)"
        )
    reasons = differences(desired, current)
    out.print(f"  in sync:   {'no: ' + '; '.join(reasons) if reasons else 'yes'}")
    out.print(f"  runs:      {current.info.num_actions} so far")


def _duration(value: timedelta | None) -> str:
    if not value:
        return "none"
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def status(client: Client, out: Console) -> int:
    """Every running ritual workflow and the step its ``status`` query reports."""
    table = Table("Workflow id", "Ritual", "Period", "Step", "Started (UTC)", "Started by")
    rows = 0
    async for execution in client.list_workflows(RUNNING_RITUALS):
        attributes = execution.typed_search_attributes
        answer = await _query_status(client, execution.id, execution.run_id)
        period = attributes.get(search_attributes.PERIOD) or str(answer.get("period") or "")
        table.add_row(
            execution.id,
            attributes.get(search_attributes.RITUAL) or "",
            period,
            str(answer.get("step", "no answer (is a worker running?)")),
            utc(execution.start_time),
            "schedule" if execution.parent_id or execution.workflow_type == SCHEDULED else "manual",
        )
        rows += 1
    if rows:
        out.print(table)
    else:
        out.print("No ritual is running.")
    return 0


async def _query_status(client: Client, workflow_id: str, run_id: str | None) -> dict[str, object]:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        answer = await handle.query("status", rpc_timeout=timedelta(seconds=5))
    except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        return {}
    return answer if isinstance(answer, dict) else {}
