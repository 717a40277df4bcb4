"""The ``schedule:`` block of a ritual: pleasant rules accepted, incoherent ones named clearly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from opsrhythm.config_loader import ConfigError, parse_config
from opsrhythm.platform.schedules.config import Schedule, parse_duration
from tests.conftest import EXAMPLE_CONFIG


def schedule_problems(schedule: object) -> list[str]:
    """Problems for the example config with its ritual's schedule replaced."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["rituals"][0]["schedule"] = schedule
    with pytest.raises(ConfigError) as error:
        parse_config(
            yaml.safe_dump(data),
            source="t.yaml",
            base_dir=EXAMPLE_CONFIG.parent,
            check_calendars=True,
        )
    return [f"{problem.path}: {problem.message}" for problem in error.value.problems]


@pytest.mark.parametrize(
    "schedule",
    [
        {"every": "month", "business_day": 2, "at": "09:00", "timezone": "Europe/London"},
        {"every": "quarter", "weekday": "monday", "at": "10:00", "timezone": "America/New_York"},
        {"every": "week", "weeks": 6, "weekday": "thursday", "at": "15:00", "start": "2026-01-08"},
        {"every": "month", "day": 31, "jitter": "5m", "end": "2027-12-31"},
        {"every": "month", "business_day": 1, "holidays": "US"},
        {"cron": "0 9 2 * *", "timezone": "Europe/London"},
        {"cron": "@monthly", "overlap": "buffer_one", "catchup_window": "6h"},
    ],
)
def test_rules_from_the_issue_are_accepted(schedule: dict[str, object]) -> None:
    """Monthly business day, quarterly weekday, every N weeks, day of month and cron all load."""
    assert isinstance(Schedule.model_validate(schedule), Schedule)


def test_defaults_are_skip_one_day_and_no_pause() -> None:
    """Unless set: overlap skip, a 1-day catch-up window, no pause on failure, 09:00."""
    schedule = Schedule.model_validate({"every": "month", "business_day": 2})
    assert ("skip", "1d", False, "09:00") == (
        schedule.overlap,
        schedule.catchup_window,
        schedule.pause_on_failure,
        schedule.at,
    )


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        (
            {"every": "month"},
            "every: month needs exactly one of business_day, day, weekday",
        ),
        (
            {"cron": "0 9 2 * *", "business_day": 2},
            "business_day needs every: month or quarter; cron cannot use it",
        ),
        ({"at": "09:00"}, "give either every (month, quarter or week) or cron"),
        (
            {"every": "week", "weeks": 6, "weekday": "thursday"},
            "every 6 weeks needs start: the date the count starts from",
        ),
        (
            {"every": "month", "day": 2, "holidays": "GB"},
            "holidays only apply to business_day rules",
        ),
        (
            {"every": "month", "day": 2, "start": "2027-01-01", "end": "2026-01-01"},
            "end 2026-01-01 is before start 2027-01-01",
        ),
        (
            {"cron": "0 9 2 *"},
            "cron '0 9 2 *' needs 5 fields: minute hour day-of-month month day-of-week",
        ),
        (
            {
                "every": "month",
                "business_day": 2,
                "holidays": {"country": "GB", "subdivision": "X"},
            },
            "GB has no subdivision 'X' (known: ENG, NIR, SCT, WLS)",
        ),
        (
            {"every": "month", "business_day": 2, "holidays": "XX"},
            "no holiday calendar for country 'XX' (use e.g. GB, US)",
        ),
        (
            {"every": "month", "business_day": 2, "catchup_window": "5s"},
            "catchup_window must be at least 10s (Temporal's minimum)",
        ),
    ],
)
def test_incoherent_rule_is_one_line_at_the_schedule(schedule: object, problem: str) -> None:
    """A rule that cannot work says which fields clash, at the ritual's schedule path."""
    [line] = schedule_problems(schedule)
    assert line.startswith("rituals[0].schedule")
    assert line.endswith(problem)


def test_bad_field_value_names_the_field() -> None:
    """A wrong value is reported at its own path with the choices."""
    assert [
        "rituals[0].schedule.every: Input should be 'month', 'quarter' or 'week'",
    ] == schedule_problems({"every": "monthly", "business_day": 2})


def test_unknown_timezone_is_named() -> None:
    """A timezone that is not IANA says how to write one."""
    assert [
        "rituals[0].schedule.timezone: unknown timezone 'London' "
        "(use an IANA name such as Europe/London)"
    ] == schedule_problems({"every": "month", "business_day": 2, "timezone": "London"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", timedelta(seconds=30)), ("1h30m", timedelta(minutes=90)), ("1d", timedelta(days=1))],
)
def test_durations(text: str, expected: timedelta) -> None:
    """Jitter and catch-up windows read as short durations."""
    assert expected == parse_duration(text)
