"""The read-only views: ``schedule list``, ``schedule describe`` and ``status``.

Each reads the server once (``observed``) and prints tables, or with ``as_json`` one JSON
document (``documents``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from temporalio.client import Client

from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.schedules import documents
from opsrhythm.platform.schedules.observed import (
    ObservedSchedule,
    RunningRitual,
    RunOutcome,
    observe,
    observe_all,
    running_rituals,
)
from opsrhythm.platform.schedules.spec import desired_schedule
from opsrhythm.platform.schedules.times import period_for_run
from opsrhythm.platform.temporal_runtime import TASK_QUEUE
from opsrhythm.platform.terminal import print_json


def local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def outcome_words(outcome: RunOutcome) -> str:
    if outcome.status == "history_gone":
        return "unknown (history gone)"
    if outcome.status != "completed":
        return outcome.status
    done = "reported" if outcome.outcome == "reported" else "already ran, not re-sent"
    return f"{outcome.period} {done}"


async def list_schedules(
    client: Client,
    config: PlatformConfig,
    out: Console,
    *,
    now: datetime | None = None,
    task_queue: str = TASK_QUEUE,
    as_json: bool = False,
) -> int:
    moment = now or datetime.now(UTC)
    observed, leftovers = await observe_all(client, config, now=moment, task_queue=task_queue)
    if as_json:
        print_json(documents.schedule_list(observed, leftovers))
        return 0
    table = Table("Ritual", "Rule", "Next runs (local)", "Next runs (UTC)", "Last run", "Paused")
    for schedule in observed:
        desired, current = schedule.desired, schedule.current
        if current is None:
            table.add_row(desired.ritual_id, desired.rule, "not on the server: run", "sync", "")
            continue
        upcoming = current.info.next_action_times[:3]
        state = current.schedule.state
        table.add_row(
            desired.ritual_id,
            desired.rule + ("\n(out of sync)" if schedule.differences else ""),
            "\n".join(local(t, desired.timezone) for t in upcoming) or "none",
            "\n".join(utc(t) for t in upcoming) or "none",
            _last_run(schedule),
            f"yes: {state.note}" if state.paused else "no",
        )
    out.print(table)
    for leftover in leftovers:
        out.print(f"{leftover} is not in the config (opsrhythm schedule sync --prune deletes it)")
    return 0


def _last_run(schedule: ObservedSchedule) -> str:
    if not schedule.runs:
        return "never"
    latest = schedule.runs[-1]
    scheduled = local(latest.scheduled_at, schedule.desired.timezone)
    return f"{scheduled}\n{outcome_words(latest.outcome)}"


async def describe(
    client: Client,
    config: PlatformConfig,
    ritual_id: str,
    out: Console,
    *,
    now: datetime | None = None,
    task_queue: str = TASK_QUEUE,
    as_json: bool = False,
) -> int:
    ritual = config.ritual(ritual_id)
    desired = desired_schedule(config, ritual, now=now or datetime.now(UTC), task_queue=task_queue)
    schedule = await observe(client, desired, runs=None)
    if as_json:
        print_json(documents.schedule_description(schedule))
        return 0
    out.print(f"Schedule {desired.schedule_id} (ritual {ritual_id})")
    out.print(f"  rule:      {desired.rule}")
    if schedule.current is None:
        out.print("  not on the server: run opsrhythm schedule sync")
        return 0
    _describe_state(schedule, out)
    table = Table("Next runs (local)", "UTC", "Reports", title="Upcoming")
    for moment in schedule.current.info.next_action_times:
        table.add_row(
            local(moment, desired.timezone),
            utc(moment),
            str(period_for_run(moment, desired.timezone, desired.period_type)),
        )
    out.print(table)
    recent = Table("Scheduled (local)", "Workflow id", "Outcome", title="Recent runs")
    for run in reversed(schedule.runs):
        recent.add_row(
            local(run.scheduled_at, desired.timezone),
            run.workflow_id or "",
            outcome_words(run.outcome),
        )
    out.print(recent)
    return 0


def _describe_state(schedule: ObservedSchedule, out: Console) -> None:
    desired, current = schedule.desired, schedule.current
    assert current is not None
    state = current.schedule.state
    policy = current.schedule.policy
    paused = f"paused: {state.note}" if state.paused else "active"
    catchup = _duration(policy.catchup_window)
    jitter = _duration(current.schedule.spec.jitter)
    out.print(f"  state:     {paused}")
    out.print(f"  timezone:  {current.schedule.spec.time_zone_name or 'UTC'}")
    out.print(
        f"  policies:  overlap {policy.overlap.name.lower()}, catch-up window {catchup}, "
        f"pause on failure {'yes' if policy.pause_on_failure else 'no'}, jitter {jitter}"
    )
    if desired.window is not None:
        out.print(
            f"  fire times on the server: {len(desired.fire_times)} in {desired.window} "
            "(refreshed by schedule sync)"
        )
    reasons = schedule.differences
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


async def status(client: Client, out: Console, *, as_json: bool = False) -> int:
    """Every running ritual workflow and the step its ``status`` query reports."""
    running = await running_rituals(client)
    if as_json:
        print_json(documents.running(running))
    else:
        print_status(running, out)
    return 0


def print_status(running: list[RunningRitual], out: Console) -> None:
    if not running:
        out.print("No ritual is running.")
        return
    table = Table("Workflow id", "Ritual", "Period", "Step", "Started (UTC)", "Started by")
    for run in running:
        table.add_row(
            run.workflow_id,
            run.ritual_id,
            run.period,
            _step(run),
            utc(run.started_at),
            run.started_by,
        )
    out.print(table)


def _step(run: RunningRitual) -> str:
    if run.step is None:
        return "no answer (is a worker running?)"
    if run.unknown_outcomes:
        return f"{run.step}: {run.unknown_outcomes} unknown (opsrhythm ledger unknown)"
    return run.step
