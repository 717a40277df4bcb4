"""Calendar rules turned into fire times and Temporal calendar entries, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from opsrhythm.platform.periods import Month
from opsrhythm.platform.schedules.config import Schedule
from opsrhythm.platform.schedules.spec import calendar_entries
from opsrhythm.platform.schedules.times import (
    Window,
    describe_rule,
    fire_dates,
    fire_times,
    fire_times_reporting,
    local_time,
    period_for_run,
)

LONDON = ZoneInfo("Europe/London")


def rule(**fields: object) -> Schedule:
    return Schedule.model_validate(fields)


def window(first: str, last: str) -> Window:
    return Window(Month.parse(first), Month.parse(last))


@pytest.mark.parametrize(
    ("schedule", "first", "last", "expected"),
    [
        (
            rule(every="month", business_day=2),
            date(2026, 7, 1),
            date(2026, 9, 30),
            [date(2026, 7, 2), date(2026, 8, 4), date(2026, 9, 2)],
        ),
        (
            rule(every="quarter", weekday="monday"),
            date(2026, 7, 1),
            date(2027, 6, 30),
            [date(2026, 7, 6), date(2026, 10, 5), date(2027, 1, 4), date(2027, 4, 5)],
        ),
        (
            rule(every="quarter", weekday="friday", nth=-1),
            date(2026, 11, 15),
            date(2026, 12, 31),
            [date(2026, 12, 25)],
        ),
        (
            rule(every="week", weeks=6, weekday="thursday", start="2026-01-05"),
            date(2026, 1, 1),
            date(2026, 4, 30),
            [date(2026, 1, 8), date(2026, 2, 19), date(2026, 4, 2)],
        ),
        (
            rule(every="week", weeks=6, weekday="thursday", start="2026-01-05"),
            date(2026, 3, 1),
            date(2026, 6, 30),
            [date(2026, 4, 2), date(2026, 5, 14), date(2026, 6, 25)],
        ),
        (
            rule(every="month", day=31),
            date(2027, 1, 1),
            date(2027, 4, 30),
            [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)],
        ),
    ],
)
def test_fire_dates(schedule: Schedule, first: date, last: date, expected: list[date]) -> None:
    """Each rule lands on the right days; every N weeks counts from start, not from the window."""
    assert expected == fire_dates(schedule, first, last)


def test_business_days_use_the_holiday_calendar() -> None:
    """With England's holidays, January 2027's 2nd business day moves past New Year's Day."""
    schedule = rule(every="month", business_day=2, holidays={"country": "GB", "subdivision": "ENG"})
    times = fire_times(schedule, "Europe/London", window("2027-01", "2027-01"))
    assert [datetime(2027, 1, 5, 9, 0, tzinfo=LONDON)] == times


def test_start_and_end_clip_the_window() -> None:
    """No fire time before start or after end, whatever the window."""
    schedule = rule(every="month", day=2, start="2026-09-01", end="2026-11-30")
    times = fire_times(schedule, "UTC", window("2026-01", "2027-12"))
    assert [9, 10, 11] == [t.month for t in times]


def test_dst_change_keeps_the_local_time() -> None:
    """Across London's late-October change, 09:00 stays 09:00 locally: 08:00 UTC, then 09:00."""
    schedule = rule(every="week", weekday="friday", at="09:00", start="2026-10-16")
    times = fire_times(schedule, "Europe/London", window("2026-10", "2026-11"))[:3]
    assert ["09:00"] * 3 == [t.strftime("%H:%M") for t in times]
    assert ["2026-10-16 08:00", "2026-10-23 08:00", "2026-10-30 09:00"] == [
        t.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for t in times
    ]


def test_time_skipped_by_dst_moves_forward() -> None:
    """01:30 on the spring-forward Sunday does not exist: it fires at 02:30 BST, once."""
    assert datetime(2027, 3, 28, 1, 30, tzinfo=UTC) == local_time(date(2027, 3, 28), 1, 30, LONDON)


def test_time_repeated_by_dst_fires_once() -> None:
    """01:30 on the fall-back Sunday happens twice; it is one entry, the second (GMT) one."""
    moment = local_time(date(2027, 10, 31), 1, 30, LONDON)
    assert datetime(2027, 10, 31, 1, 30, tzinfo=UTC) == moment.astimezone(UTC)
    assert 1 == len(calendar_entries([moment]))


def test_calendar_entries_group_days_by_month() -> None:
    """One Temporal calendar entry per month, listing that month's fire days."""
    schedule = rule(every="week", weekday="monday", at="10:15")
    times = fire_times(schedule, "Europe/London", window("2026-11", "2026-12"))
    entries = calendar_entries(times)
    assert [(2026, 11, [2, 9, 16, 23, 30]), (2026, 12, [7, 14, 21, 28])] == [
        (e.year[0].start, e.month[0].start, [r.start for r in e.day_of_month]) for e in entries
    ]
    assert {(10, 15)} == {(e.hour[0].start, e.minute[0].start) for e in entries}


def test_window_is_two_years_either_side_in_the_rule_timezone() -> None:
    """The months given to the server: 24 back and 24 ahead of the local month."""
    now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert "2024-11..2028-11" == str(Window.around(now, "Europe/London"))
    assert "2024-12..2028-12" == str(Window.around(now, "Asia/Tokyo"))


def test_period_is_run_at_the_next_months_fire_time() -> None:
    """July 2026 is reported at 09:00 BST on 4 August, its 2nd business day (1st: a Saturday)."""
    schedule = rule(every="month", business_day=2)
    times = fire_times(schedule, "Europe/London", window("2026-01", "2026-12"))
    assert [datetime(2026, 8, 4, 8, 0, tzinfo=UTC)] == [
        t.astimezone(UTC) for t in fire_times_reporting(times, Month.parse("2026-07"))
    ]


@pytest.mark.parametrize(
    ("scheduled", "timezone", "expected"),
    [
        (datetime(2026, 11, 3, 9, 0, tzinfo=UTC), "Europe/London", "2026-10"),
        # 00:30 BST on 1 October is still 30 September in UTC: the local month counts.
        (datetime(2026, 9, 30, 23, 30, tzinfo=UTC), "Europe/London", "2026-09"),
        (datetime(2026, 9, 30, 23, 30, tzinfo=UTC), "UTC", "2026-08"),
        (datetime(2027, 1, 4, 15, 0, tzinfo=UTC), "America/New_York", "2026-12"),
    ],
)
def test_period_from_scheduled_time(scheduled: datetime, timezone: str, expected: str) -> None:
    """A run reports the month before its scheduled time, read in the schedule's timezone."""
    assert expected == str(period_for_run(scheduled, timezone))


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (
            rule(every="month", business_day=2, holidays={"country": "GB", "subdivision": "ENG"}),
            "monthly on business day 2 at 09:00 Europe/London (holidays GB-ENG)",
        ),
        (
            rule(every="quarter", weekday="monday", at="10:00"),
            "quarterly on the first Monday at 10:00 Europe/London",
        ),
        (
            rule(every="week", weeks=6, weekday="thursday", at="15:00", start="2026-01-08"),
            "every 6 weeks on Thursday at 15:00 Europe/London from 2026-01-08",
        ),
        (rule(cron="0 9 2 * *"), "cron '0 9 2 * *' Europe/London"),
    ],
)
def test_rule_in_words(schedule: Schedule, expected: str) -> None:
    """The plan and the list describe each rule in plain words."""
    assert expected == describe_rule(schedule, "Europe/London")
