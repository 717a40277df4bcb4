"""A ritual's schedule as the Temporal Schedule OpsRhythm wants on the server, and how to tell
whether the one there still matches.

Calendar rules become explicit calendar entries, one per month with fire days, for the window
of months around now (``schedules.times.Window``); cron goes to the server as it is. The
action's memo records fingerprints of the rule and of the fire times, so ``schedule sync``
can say what changed without parsing the server's normalised spec back.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.converter import default as default_converter

from opsrhythm.platform import search_attributes
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.config import RitualBase as Ritual
from opsrhythm.platform.periods import PeriodType
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.platform.schedules.models import ScheduledRunInput
from opsrhythm.platform.schedules.times import Window, describe_rule, fire_times, schedule_id

MEMO_KEY = "opsrhythm"
SCHEDULED_RUN_WORKFLOW = "ScheduledRitualWorkflow"
MANAGED_MEMO = {"managed_by": "opsrhythm"}


@dataclass(frozen=True)
class DesiredSchedule:
    schedule_id: str
    ritual_id: str
    timezone: str
    task_queue: str
    rule: str
    schedule: Schedule
    window: Window | None
    fire_times: list[datetime]
    fingerprints: dict[str, str]
    period_type: PeriodType


def desired_schedule(
    config: PlatformConfig, ritual: Ritual, *, now: datetime, task_queue: str
) -> DesiredSchedule:
    rule = ritual.schedule
    assert rule is not None
    timezone = rule.timezone or config.organization.timezone
    window = None if rule.cron else Window.around(now, timezone)
    times = fire_times(rule, timezone, window) if window else []
    kind = ritual.ritual_kind
    input = ScheduledRunInput(
        ritual_id=ritual.id,
        timezone=timezone,
        workflow=kind.workflow,
        period_kind=kind.period.kind,
    )
    definition = {
        "rule": rule.model_dump(mode="json"),
        "timezone": timezone,
        "task_queue": task_queue,
        "input": input.model_dump(mode="json"),
    }
    fingerprints = {
        "definition": _digest(definition),
        "times": _digest([t.isoformat() for t in times]),
        "window": str(window or ""),
    }
    zone = ZoneInfo(timezone)
    jitter = parse_duration(rule.jitter)
    sid = schedule_id(ritual.id)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            SCHEDULED_RUN_WORKFLOW,
            input,
            id=sid,
            task_queue=task_queue,
            memo={MEMO_KEY: fingerprints},
            typed_search_attributes=TypedSearchAttributes(
                [SearchAttributePair(search_attributes.RITUAL, ritual.id)]
            ),
        ),
        spec=ScheduleSpec(
            calendars=calendar_entries(times),
            cron_expressions=[rule.cron] if rule.cron else [],
            time_zone_name=timezone,
            start_at=datetime.combine(rule.start, time(), zone) if rule.start else None,
            end_at=datetime.combine(rule.end, time.max, zone) if rule.end else None,
            jitter=jitter or None,
        ),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy[rule.overlap.upper()],
            catchup_window=parse_duration(rule.catchup_window),
            pause_on_failure=rule.pause_on_failure,
        ),
    )
    return DesiredSchedule(
        schedule_id=sid,
        ritual_id=ritual.id,
        timezone=timezone,
        task_queue=task_queue,
        rule=describe_rule(rule, timezone),
        schedule=schedule,
        window=window,
        fire_times=times,
        fingerprints=fingerprints,
        period_type=kind.period,
    )


def calendar_entries(times: list[datetime]) -> list[ScheduleCalendarSpec]:
    """One entry per local month and time of day, listing its days: compact and readable."""
    days: dict[tuple[int, int, int, int], list[int]] = defaultdict(list)
    for t in times:
        days[(t.year, t.month, t.hour, t.minute)].append(t.day)
    return [
        ScheduleCalendarSpec(
            year=[ScheduleRange(year)],
            month=[ScheduleRange(month)],
            day_of_month=[ScheduleRange(day) for day in month_days],
            hour=[ScheduleRange(hour)],
            minute=[ScheduleRange(minute)],
            comment=f"opsrhythm {year:04d}-{month:02d}",
        )
        for (year, month, hour, minute), month_days in days.items()
    ]


def differences(desired: DesiredSchedule, current: ScheduleDescription) -> list[str]:
    """Why the server's schedule must be updated; empty when it matches the config."""
    schedule = current.schedule
    action = schedule.action
    recorded = _recorded_fingerprints(action)
    wanted = desired.fingerprints
    reasons = []
    if recorded.get("definition") != wanted["definition"]:
        reasons.append("the config's schedule changed")
    elif recorded.get("window") != wanted["window"]:
        reasons.append(f"fire times move to the window {wanted['window']}")
    elif recorded.get("times") != wanted["times"]:
        reasons.append("fire times changed (holiday calendar)")
    if schedule.spec.time_zone_name != desired.timezone:
        reasons.append(f"timezone on the server is {schedule.spec.time_zone_name or 'UTC'}")
    policy = desired.schedule.policy
    if (schedule.policy.overlap, schedule.policy.pause_on_failure) != (
        policy.overlap,
        policy.pause_on_failure,
    ) or schedule.policy.catchup_window != policy.catchup_window:
        reasons.append("policies on the server differ")
    if not isinstance(action, ScheduleActionStartWorkflow) or (
        action.workflow,
        action.task_queue,
    ) != (SCHEDULED_RUN_WORKFLOW, desired.task_queue):
        reasons.append("the action on the server differs")
    return reasons


def _recorded_fingerprints(action: Any) -> dict[str, str]:
    memo = getattr(action, "memo", None) or {}
    value = memo.get(MEMO_KEY)
    if isinstance(value, Payload):
        value = default_converter().payload_converter.from_payload(value)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
