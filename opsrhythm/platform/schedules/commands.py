"""The schedule commands that change something: sync, pause, unpause, trigger and backfill."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import Progress
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleBackfill,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)

from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.periods import Month, Period, PeriodType
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.platform.schedules.models import ScheduledRunResult
from opsrhythm.platform.schedules.spec import desired_schedule
from opsrhythm.platform.schedules.sync import apply_plan, describe_or_none, plan_lines, plan_sync
from opsrhythm.platform.schedules.times import (
    fire_times_reporting,
    period_for_run,
    run_span,
    schedule_id,
)
from opsrhythm.platform.temporal_runtime import (
    TASK_QUEUE,
    check_search_attributes,
    failure_message,
)

POLL = 0.3


async def sync(
    client: Client,
    config: PlatformConfig,
    out: Console,
    *,
    dry_run: bool = False,
    prune: bool = False,
    now: datetime | None = None,
    task_queue: str = TASK_QUEUE,
) -> int:
    await check_search_attributes(client)
    now = now or datetime.now(UTC)
    plan = await plan_sync(client, config, now=now, task_queue=task_queue, prune=prune)
    if not dry_run:
        await apply_plan(client, plan)
    for line in plan_lines(plan, dry_run=dry_run):
        out.print(line)
    return 0


async def existing(client: Client, ritual_id: str) -> ScheduleHandle:
    """The ritual's schedule on the server, or a usage error saying to sync first."""
    sid = schedule_id(ritual_id)
    if await describe_or_none(client, sid) is None:
        raise UsageError(f"no schedule {sid} on the server; run: opsrhythm schedule sync")
    return client.get_schedule_handle(sid)


async def pause(client: Client, ritual_id: str, note: str, out: Console) -> int:
    await (await existing(client, ritual_id)).pause(note=note)
    out.print(f"Paused {schedule_id(ritual_id)}: {note}")
    return 0


async def unpause(client: Client, ritual_id: str, out: Console) -> int:
    await (await existing(client, ritual_id)).unpause(note="unpaused with opsrhythm")
    out.print(f"Unpaused {schedule_id(ritual_id)}")
    return 0


async def trigger(
    client: Client,
    ritual_id: str,
    out: Console,
    *,
    period_type: PeriodType = Month,
    wait: bool = False,
) -> int:
    handle = await existing(client, ritual_id)
    before = (await handle.describe()).info.num_actions
    # A run in progress delays the triggered one instead of silently dropping it.
    await handle.trigger(overlap=ScheduleOverlapPolicy.BUFFER_ALL)
    timezone = (await handle.describe()).schedule.spec.time_zone_name or "UTC"
    period = period_for_run(datetime.now(UTC), timezone, period_type)
    out.print(f"Triggered {handle.id}: the run covers {period}.")
    if not wait:
        out.print("Follow it with: opsrhythm status, or opsrhythm schedule describe " + ritual_id)
        return 0
    workflow_id = await _new_action(handle, before)
    return await print_run(client, workflow_id, out)


async def _new_action(handle: ScheduleHandle, before: int) -> str:
    while True:
        info = (await handle.describe()).info
        latest = info.recent_actions[-1].action if info.recent_actions else None
        if info.num_actions > before and isinstance(latest, ScheduleActionExecutionStartWorkflow):
            return latest.workflow_id
        await asyncio.sleep(POLL)


async def print_run(client: Client, workflow_id: str, out: Console) -> int:
    try:
        result = await client.get_workflow_handle(
            workflow_id, result_type=ScheduledRunResult
        ).result()
    except WorkflowFailureError as failure:
        out.print(f"{workflow_id} failed: {failure_message(failure)}")
        return 1
    out.print(f"{result.period}: {_outcome_words(result)}")
    return 0


def _outcome_words(result: ScheduledRunResult) -> str:
    if result.outcome == "already_ran":
        return f"{result.report_workflow_id} had already run; nothing sent again"
    return f"{result.report_workflow_id} reported"


@dataclass(frozen=True)
class BackfillPlan:
    ranges: dict[Period, tuple[datetime, datetime]]
    """Each period to run, with the span its scheduled run's time falls in."""
    skipped: list[Period]
    """The periods in the range that no run of the schedule reports."""


def plan_backfill(
    config: PlatformConfig,
    ritual_id: str,
    first: Period,
    last: Period,
    *,
    now: datetime | None = None,
    task_queue: str = TASK_QUEUE,
) -> BackfillPlan:
    """What ``backfill`` asks of the server, from the config alone: so a range it cannot run
    (out of order, not complete yet, outside the fire times) is a ``UsageError`` before any
    connection is made."""
    now = now or datetime.now(UTC)
    desired = desired_schedule(config, config.ritual(ritual_id), now=now, task_queue=task_queue)
    zone = ZoneInfo(desired.timezone)
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    if last > type(last).reported_at(now.astimezone(zone)):
        raise UsageError(f"--to {last}: that period is not complete yet")
    plan = BackfillPlan({}, [])
    for period in _periods(first, last):
        due, after = run_span(period)
        if desired.window is not None:
            times = fire_times_reporting(desired.fire_times, period)
            if not times and Month.containing(due) not in desired.window:
                raise UsageError(
                    f"{period} is outside the fire times on the server ({desired.window})"
                )
            if not times:
                plan.skipped.append(period)
                continue
            plan.ranges[period] = (
                times[0] - timedelta(seconds=1),
                times[0] + timedelta(seconds=1),
            )
        else:
            start = datetime.combine(due, datetime.min.time(), zone)
            end = datetime.combine(after, datetime.min.time(), zone)
            plan.ranges[period] = (start - timedelta(seconds=1), end - timedelta(seconds=1))
    return plan


async def backfill(
    client: Client,
    config: PlatformConfig,
    ritual_id: str,
    first: Period,
    last: Period,
    out: Console,
    *,
    wait: bool = True,
    now: datetime | None = None,
    task_queue: str = TASK_QUEUE,
) -> int:
    """Each period runs at the schedule's fire time that reports it, one after another."""
    ritual = config.ritual(ritual_id)
    plan = plan_backfill(config, ritual_id, first, last, now=now, task_queue=task_queue)
    for period in plan.skipped:
        out.print(f"{period}: the schedule has no run that reports it; skipped")
    ranges = plan.ranges
    handle = await existing(client, ritual_id)
    jitter = parse_duration(ritual.schedule.jitter if ritual.schedule else "0s")
    if not ranges:
        return 0
    # One request for every period: separate requests in quick succession can lose one.
    await handle.backfill(
        *(
            ScheduleBackfill(start, end, overlap=ScheduleOverlapPolicy.BUFFER_ALL)
            for start, end in ranges.values()
        )
    )
    periods_text = ", ".join(str(period) for period in ranges)
    if not wait:
        out.print(f"Requested {periods_text}; follow with: opsrhythm schedule describe {ritual_id}")
        return 0
    out.print(f"Requested {periods_text}; waiting for the worker to run them, oldest first.")
    with Progress(console=out, redirect_stdout=False, redirect_stderr=False) as progress:
        finished = progress.add_task(f"Backfilling {ritual_id}", total=len(ranges))
        runs = await _follow(client, handle, ranges, jitter, lambda: progress.advance(finished))
    failed = 0
    for _, workflow_id in sorted(runs.items()):
        failed += await print_run(client, workflow_id, out)
    return 1 if failed else 0


async def _follow(
    client: Client,
    handle: ScheduleHandle,
    ranges: dict[Period, tuple[datetime, datetime]],
    jitter: timedelta,
    on_finished: Callable[[], None],
) -> dict[Period, str]:
    """Wait until every requested period's scheduled run has closed; their workflow ids."""
    runs: dict[Period, str] = {}
    done: set[Period] = set()
    while len(done) < len(ranges):
        for action in (await handle.describe()).info.recent_actions:
            started = action.action
            if not isinstance(started, ScheduleActionExecutionStartWorkflow):
                continue
            for period, (start, end) in ranges.items():
                if period not in runs and start < action.scheduled_at <= end + jitter:
                    runs[period] = started.workflow_id
        for period, workflow_id in runs.items():
            if period in done:
                continue
            status = (await client.get_workflow_handle(workflow_id).describe()).status
            if status != WorkflowExecutionStatus.RUNNING:
                done.add(period)
                on_finished()
        await asyncio.sleep(0 if len(done) == len(ranges) else POLL)
    return runs


def _periods(first: Period, last: Period) -> list[Period]:
    periods = [first]
    while periods[-1] < last:
        periods.append(periods[-1].shift(1))
    return periods
