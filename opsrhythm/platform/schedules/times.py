"""When a schedule fires: a calendar rule turned into concrete local fire times. Pure code.

Temporal's calendar specs cannot say "the 2nd business day" or "every 6 weeks from a date",
so ``opsrhythm schedule sync`` hands the server the concrete fire times of a window of months
around now (see docs/schedules.md). Cron rules are left to the server.
"""

from __future__ import annotations

import calendar
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from opsrhythm.platform.periods import IsoWeek, Month, Period, PeriodType, Quarter
from opsrhythm.platform.schedules.business_days import (
    NO_HOLIDAYS,
    holiday_dates,
    nth_business_day,
    nth_weekday,
)
from opsrhythm.platform.schedules.config import WEEKDAYS, Schedule

SCHEDULE_PREFIX = "opsrhythm-"
MONTHS_BACK = 24
MONTHS_AHEAD = 24


def schedule_id(ritual_id: str) -> str:
    """Every schedule OpsRhythm manages has this prefix; sync never touches any other."""
    return f"{SCHEDULE_PREFIX}{ritual_id}"


def period_for_run(
    scheduled: datetime, timezone: str, period_type: PeriodType = Month
) -> Month | Quarter | IsoWeek:
    """The period a run scheduled at ``scheduled`` covers, by the local calendar (for a month,
    the last complete one)."""
    return period_type.reported_at(scheduled.astimezone(ZoneInfo(timezone)))


@dataclass(frozen=True)
class Window:
    """The months whose fire times the server is given, both ends included."""

    first: Month
    last: Month

    @classmethod
    def around(cls, now: datetime, timezone: str) -> Window:
        month = Month.containing(now.astimezone(ZoneInfo(timezone)))
        return cls(month.shift(-MONTHS_BACK), month.shift(MONTHS_AHEAD))

    def __contains__(self, month: object) -> bool:
        return isinstance(month, Month) and self.first <= month <= self.last

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"


def fire_times(schedule: Schedule, timezone: str, window: Window) -> list[datetime]:
    """Every local fire time of a calendar rule within ``window`` and its start/end dates."""
    first = max(window.first.start, schedule.start or date.min)
    last = min(window.last.end - timedelta(days=1), schedule.end or date.max)
    if first > last:
        return []
    zone = ZoneInfo(timezone)
    hour, minute = schedule.hour_minute
    days = fire_dates(schedule, first, last, _holidays(schedule, first, last))
    return [local_time(day, hour, minute, zone) for day in days]


def fire_dates(
    schedule: Schedule, first: date, last: date, holidays: Container[date] = NO_HOLIDAYS
) -> list[date]:
    """The days a calendar rule fires on from ``first`` to ``last``, both included."""
    if schedule.every == "week":
        assert schedule.weekday is not None
        weekday = WEEKDAYS.index(schedule.weekday)
        anchor = schedule.start or first
        anchor += timedelta(days=(weekday - anchor.weekday()) % 7)
        step = timedelta(weeks=schedule.weeks)
        skipped = max(0, (first - anchor).days // step.days)
        day, days = anchor + skipped * step, []
        while day <= last:
            if day >= first:
                days.append(day)
            day += step
        return days
    months = 3 if schedule.every == "quarter" else 1
    days = []
    period = Month.containing(first)
    period = period.shift(-((period.month - 1) % months))
    while period.start <= last:
        if (period.month - 1) % months == 0:
            chosen = _pick(schedule, period.start, period.shift(months).start, holidays)
            if chosen is not None and first <= chosen <= last:
                days.append(chosen)
        period = period.shift(1)
    return days


def _pick(schedule: Schedule, start: date, end: date, holidays: Container[date]) -> date | None:
    """The rule's day in the period from ``start`` up to (not including) ``end``."""
    last = end - timedelta(days=1)
    if schedule.business_day is not None:
        return nth_business_day(start, last, schedule.business_day, holidays)
    if schedule.day is not None:
        return start.replace(day=min(schedule.day, calendar.monthrange(start.year, start.month)[1]))
    assert schedule.weekday is not None
    return nth_weekday(start, last, WEEKDAYS.index(schedule.weekday), schedule.nth)


def _holidays(schedule: Schedule, first: date, last: date) -> Container[date]:
    holidays = schedule.holidays
    if holidays is None or schedule.business_day is None:
        return NO_HOLIDAYS
    return holiday_dates(holidays.country, holidays.subdivision, range(first.year, last.year + 1))


def local_time(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The wall-clock time on ``day``; one that DST skips moves forward by the gap.

    A time that happens twice (autumn) is the second one, as Temporal's calendar matches it.
    """
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    moved = wall.astimezone(UTC).astimezone(zone)
    if moved.replace(tzinfo=None) != wall.replace(tzinfo=None):
        return moved
    later = wall.replace(fold=1)
    return later if later.utcoffset() != wall.utcoffset() else wall


def run_span(period: Period) -> tuple[date, date]:
    """The local days on which a run covers ``period`` (end excluded): for a month, the next
    month; for a week that a cycle starts, the week itself."""
    due = period if type(period).reported_at(period.start) == period else period.shift(1)
    return due.start, due.end


def fire_times_reporting(times: list[datetime], period: Period) -> list[datetime]:
    """The fire times (local) whose run covers ``period``: for a month, those in the next one."""
    return [t for t in times if type(period).reported_at(t) == period]


def describe_rule(schedule: Schedule, timezone: str) -> str:
    """The rule in words, e.g. 'monthly on business day 2 at 09:00 Europe/London'."""
    if schedule.cron is not None:
        return f"cron '{schedule.cron}' {timezone}"
    if schedule.every == "week":
        every = "weekly" if schedule.weeks == 1 else f"every {schedule.weeks} weeks"
        words = f"{every} on {str(schedule.weekday).title()}"
    else:
        every = "monthly" if schedule.every == "month" else "quarterly"
        if schedule.business_day is not None:
            words = f"{every} on business day {schedule.business_day}"
        elif schedule.day is not None:
            words = f"{every} on day {schedule.day}"
        else:
            nth = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
            words = f"{every} on the {nth[schedule.nth]} {str(schedule.weekday).title()}"
    words += f" at {schedule.at} {timezone}"
    holidays = schedule.holidays
    if holidays is not None:
        words += f" (holidays {holidays.label})"
    if schedule.start is not None:
        words += f" from {schedule.start}"
    if schedule.end is not None:
        words += f" until {schedule.end}"
    return words
