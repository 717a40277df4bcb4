"""The ``--json`` documents of ``schedule list``, ``schedule describe`` and ``status``.

Their field names are a stable interface, listed in the README: add fields, never rename one.
Timestamps are ISO 8601 UTC (``terminal.utc_iso``), durations whole seconds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opsrhythm.platform.schedules.observed import ObservedSchedule, RunningRitual, ScheduledRun
from opsrhythm.platform.schedules.times import period_for_run
from opsrhythm.platform.terminal import utc_iso


def scheduled_run(run: ScheduledRun) -> dict[str, Any]:
    return {
        "scheduled_at": utc_iso(run.scheduled_at),
        "workflow_id": run.workflow_id,
        "status": run.outcome.status,
        "period": run.outcome.period,
        "outcome": run.outcome.outcome,
    }


def _schedule(schedule: ObservedSchedule) -> dict[str, Any]:
    desired, current = schedule.desired, schedule.current
    state = current.schedule.state if current else None
    return {
        "ritual_id": desired.ritual_id,
        "schedule_id": desired.schedule_id,
        "rule": desired.rule,
        "timezone": desired.timezone,
        "on_server": current is not None,
        "in_sync": current is not None and not schedule.differences,
        "differences": list(schedule.differences),
        "paused": bool(state and state.paused),
        "note": (state.note or None) if state else None,
    }


def schedule_list(observed: list[ObservedSchedule], leftovers: list[str]) -> dict[str, Any]:
    schedules = []
    for schedule in observed:
        current = schedule.current
        upcoming = current.info.next_action_times[:3] if current else []
        schedules.append(
            _schedule(schedule)
            | {
                "next_runs": [utc_iso(moment) for moment in upcoming],
                "last_run": scheduled_run(schedule.runs[-1]) if schedule.runs else None,
            }
        )
    return {"schedules": schedules, "not_in_config": list(leftovers)}


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def schedule_description(schedule: ObservedSchedule) -> dict[str, Any]:
    desired, current = schedule.desired, schedule.current
    window = desired.window
    document = _schedule(schedule) | {
        "fire_times_on_server": len(desired.fire_times) if window else None,
        "fire_times_window": {"first": str(window.first), "last": str(window.last)}
        if window
        else None,
    }
    if current is None:
        return document | {
            "overlap": None,
            "catchup_window_seconds": None,
            "pause_on_failure": None,
            "jitter_seconds": None,
            "runs_so_far": 0,
            "upcoming": [],
            "recent_runs": [],
        }
    policy = current.schedule.policy
    return document | {
        "overlap": policy.overlap.name.lower(),
        "catchup_window_seconds": _seconds(policy.catchup_window),
        "pause_on_failure": policy.pause_on_failure,
        "jitter_seconds": _seconds(current.schedule.spec.jitter) or 0,
        "runs_so_far": current.info.num_actions,
        "upcoming": [
            {
                "at": utc_iso(moment),
                "reports": str(period_for_run(moment, desired.timezone, desired.period_type)),
            }
            for moment in current.info.next_action_times
        ],
        "recent_runs": [scheduled_run(run) for run in reversed(schedule.runs)],
    }


def running(rituals: list[RunningRitual]) -> dict[str, Any]:
    return {
        "runs": [
            {
                "workflow_id": run.workflow_id,
                "ritual_id": run.ritual_id,
                "period": run.period or None,
                "step": run.step,
                "started_at": utc_iso(run.started_at),
                "started_by": run.started_by,
                "unknown_outcomes": run.unknown_outcomes,
            }
            for run in rituals
        ]
    }
