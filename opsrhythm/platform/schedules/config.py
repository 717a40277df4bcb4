"""A ritual's ``schedule:`` in the config: a calendar rule (or cron) with its timezone and policies.

Only structure and validation live here; ``schedules.times`` turns a rule into fire times and
``schedules.spec`` into a Temporal Schedule.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from opsrhythm.platform.config_types import StrictModel, Timezone

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
Overlap = Literal[
    "skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"
]
DURATION_PATTERN = r"^(\d+[dhms])+$"
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?#-]+$")
_CRON_SHORTCUTS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly", "@every")


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"5m"``, ``"1h30m"``, ``"1d12h"``: every duration in the config.

    Schedules allow seconds; the approval config's own pattern allows days, hours and minutes.
    """
    if not re.match(DURATION_PATTERN, text):
        raise ValueError(f"duration {text!r} is not like 30s, 5m, 1h30m or 1d")
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))
    return timedelta(seconds=seconds)


class HolidayCalendar(StrictModel):
    country: str = Field(
        pattern=r"^[A-Z]{2,3}$",
        description="ISO 3166 country code known to the holidays package, e.g. GB.",
    )
    subdivision: str | None = Field(
        default=None, description="Region within the country, e.g. ENG (England) or CA."
    )

    @property
    def label(self) -> str:
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


def _country_code_shorthand(value: object) -> object:
    return {"country": value} if isinstance(value, str) else value


# "GB" is short for {country: GB}; the schema offers both forms to editors.
Holidays = Annotated[
    HolidayCalendar | None,
    BeforeValidator(_country_code_shorthand),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "description": "Country code, e.g. GB."},
                {
                    "type": "object",
                    "properties": {
                        "country": {"type": "string"},
                        "subdivision": {"type": "string"},
                    },
                    "required": ["country"],
                    "additionalProperties": False,
                },
                {"type": "null"},
            ]
        }
    ),
]


class Schedule(StrictModel):
    """When a ritual runs; ``every`` (a calendar rule) or ``cron``, in ``timezone``."""

    every: Literal["month", "quarter", "week"] | None = Field(
        default=None, description="Calendar rule: once a month, once a quarter, or every N weeks."
    )
    business_day: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="month/quarter: run on the Nth business day (weekends and holidays skipped).",
    )
    day: int | None = Field(
        default=None,
        ge=1,
        le=31,
        description="month/quarter: run on this day of the (first) month; clamped to its last day.",
    )
    weekday: Weekday | None = Field(
        default=None,
        description="week: the day to run; month/quarter: run on the nth such day (see nth).",
    )
    nth: int = Field(
        default=1,
        ge=-1,
        le=5,
        description="With weekday for month/quarter: 1 = the first, 2 = the second, -1 = the last.",
    )
    weeks: int = Field(default=1, ge=1, le=52, description="week: run every N weeks from start.")
    at: str = Field(
        default="09:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Local time of day, HH:MM (24-hour).",
    )
    cron: str | None = Field(
        default=None,
        description="Instead of every: a cron expression (minute hour day month weekday).",
    )
    timezone: Timezone | None = Field(
        default=None, description="IANA timezone of the rule; default: organization.timezone."
    )
    start: date | None = Field(
        default=None, description="No runs before this date; every N weeks counts from it."
    )
    end: date | None = Field(default=None, description="No runs after this date.")
    jitter: str = Field(
        default="0s",
        pattern=DURATION_PATTERN,
        description="Random delay of up to this long after each fire time, e.g. 5m.",
    )
    holidays: Holidays = Field(
        default=None,
        description="business_day rules: holiday calendar, a country code (GB) or "
        "{country: GB, subdivision: ENG}.",
    )
    overlap: Overlap = Field(
        default="skip",
        description="If the previous run is still going: skip (default), buffer_one, "
        "buffer_all, cancel_other, terminate_other or allow_all.",
    )
    catchup_window: str = Field(
        default="1d",
        pattern=DURATION_PATTERN,
        description="Runs missed while the server was down this long ago or less still run; "
        "older ones need an explicit backfill.",
    )
    pause_on_failure: bool = Field(
        default=False, description="Pause the schedule when a scheduled run fails."
    )

    @field_validator("cron")
    @classmethod
    def _cron_shape(cls, text: str | None) -> str | None:
        if text is None or text.startswith(_CRON_SHORTCUTS):
            return text
        fields = text.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ValueError(
                f"cron {text!r} needs 5 fields: minute hour day-of-month month day-of-week"
            )
        return text

    @field_validator("catchup_window")
    @classmethod
    def _catchup_at_least_ten_seconds(cls, text: str) -> str:
        if parse_duration(text) < timedelta(seconds=10):
            raise ValueError("catchup_window must be at least 10s (Temporal's minimum)")
        return text

    @model_validator(mode="after")
    def _one_coherent_rule(self) -> Schedule:
        problems = self._rule_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _rule_problems(self) -> list[str]:
        chosen = [n for n in ("business_day", "day", "weekday") if getattr(self, n) is not None]
        problems: list[str] = []
        if (self.every is None) == (self.cron is None):
            problems.append("give either every (month, quarter or week) or cron")
        elif self.cron is not None and chosen:
            problems.append(f"{chosen[0]} needs every: month or quarter; cron cannot use it")
        elif self.every in ("month", "quarter") and len(chosen) != 1:
            problems.append(f"every: {self.every} needs exactly one of business_day, day, weekday")
        elif self.every == "week" and chosen != ["weekday"]:
            problems.append("every: week needs weekday (and no business_day or day)")
        elif self.every == "week" and self.weeks > 1 and self.start is None:
            problems.append(f"every {self.weeks} weeks needs start: the date the count starts from")
        if self.every == "month" and (self.business_day or 0) > 23:
            problems.append("business_day must be 23 or less: no month has more business days")
        if self.every != "week" and self.weeks != 1:
            problems.append("weeks only applies to every: week")
        if self.nth != 1 and (self.every == "week" or self.weekday is None):
            problems.append("nth only applies to weekday with every: month or quarter")
        if self.nth == 0:
            problems.append("nth must be 1 to 5, or -1 for the last")
        if self.holidays is not None and self.business_day is None:
            problems.append("holidays only apply to business_day rules")
        if self.start and self.end and self.end < self.start:
            problems.append(f"end {self.end} is before start {self.start}")
        return problems

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.at.split(":")
        return int(hour), int(minute)


def holiday_calendar_problem(calendar: HolidayCalendar) -> str | None:
    """Why the ``holidays`` package cannot give this calendar, if it cannot.

    Kept out of model validation: the package loads every country's module on first use
    (~80 ms), which only the commands that compute business days should pay.
    """
    import holidays

    try:
        regions: tuple[str, ...] = holidays.country_holidays(calendar.country).subdivisions
    except NotImplementedError:
        return f"no holiday calendar for country {calendar.country!r} (use e.g. GB, US)"
    if calendar.subdivision is not None and calendar.subdivision not in regions:
        return (
            f"{calendar.country} has no subdivision {calendar.subdivision!r} "
            f"(known: {', '.join(regions) or 'none'})"
        )
    return None
