"""Reporting periods: calendar months, quarters and ISO weeks, with parsing, arithmetic and labels.

Each ritual kind names its period type in the registry. Its text form is part of workflow ids
(``<ritual>-2026-10``, ``<ritual>-2026-Q4``, ``<ritual>-2026-W49``), so it never changes.
A cycle of N weeks is named by the ISO week it starts in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar, Protocol, Self, TypeAlias

MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"
QUARTER_PATTERN = r"\d{4}-Q[1-4]"
WEEK_PATTERN = r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])"
PERIOD_PATTERN = f"^({MONTH_PATTERN}|{QUARTER_PATTERN}|{WEEK_PATTERN})$"


class Period(Protocol):
    """What the platform needs of a period type; ``Month``, ``Quarter`` and ``IsoWeek`` are one."""

    kind: ClassVar[str]
    example: ClassVar[str]

    @classmethod
    def parse(cls, text: str) -> Self: ...

    @classmethod
    def containing(cls, moment: date | datetime) -> Self: ...

    @classmethod
    def reported_at(cls, moment: date | datetime) -> Self: ...

    def shift(self, count: int) -> Self: ...

    def __lt__(self, other: Self) -> bool: ...

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...

    @property
    def label(self) -> str: ...


def _parse(pattern: str, text: str, what: str, example: str) -> re.Match[str]:
    found = re.fullmatch(pattern, text)
    if found is None:
        raise ValueError(f"period {text!r} is not {what} in the form {example}")
    return found


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    kind: ClassVar[str] = "month"
    example: ClassVar[str] = "YYYY-MM"

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``; raise ``ValueError`` with the offending text otherwise."""
        _parse(MONTH_PATTERN, text, "a month", cls.example)
        year, month = text.split("-")
        return cls(int(year), int(month))

    @classmethod
    def containing(cls, moment: date | datetime) -> Month:
        return cls(moment.year, moment.month)

    @classmethod
    def reported_at(cls, moment: date | datetime) -> Month:
        """The month a report run at ``moment`` covers: the last complete month."""
        return cls.containing(moment).shift(-1)

    def shift(self, count: int) -> Month:
        index = self.year * 12 + (self.month - 1) + count
        return Month(index // 12, index % 12 + 1)

    def previous(self) -> Month:
        return self.shift(-1)

    def year_ago(self) -> Month:
        return self.shift(-12)

    def trailing(self, count: int) -> list[Month]:
        """The ``count`` months ending with this one, oldest first."""
        return [self.shift(offset) for offset in range(1 - count, 1)]

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The first day after the month (exclusive bound, as SQL ranges want it)."""
        return self.shift(1).start

    @property
    def label(self) -> str:
        return self.start.strftime("%B %Y")

    @property
    def short_label(self) -> str:
        return self.start.strftime("%b %y")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    kind: ClassVar[str] = "quarter"
    example: ClassVar[str] = "YYYY-Qn"

    @classmethod
    def parse(cls, text: str) -> Quarter:
        _parse(QUARTER_PATTERN, text, "a quarter", cls.example)
        year, quarter = text.split("-Q")
        return cls(int(year), int(quarter))

    @classmethod
    def containing(cls, moment: date | datetime) -> Quarter:
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @classmethod
    def reported_at(cls, moment: date | datetime) -> Quarter:
        """The quarter a run at ``moment`` covers: the last complete quarter."""
        return cls.containing(moment).shift(-1)

    def shift(self, count: int) -> Quarter:
        index = self.year * 4 + (self.quarter - 1) + count
        return Quarter(index // 4, index % 4 + 1)

    def months(self) -> list[Month]:
        first = Month(self.year, self.quarter * 3 - 2)
        return [first, first.shift(1), first.shift(2)]

    @property
    def start(self) -> date:
        return date(self.year, self.quarter * 3 - 2, 1)

    @property
    def end(self) -> date:
        return self.shift(1).start

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week; a cycle of N weeks is named by the week it starts in."""

    year: int
    week: int

    kind: ClassVar[str] = "week"
    example: ClassVar[str] = "YYYY-Www"

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        _parse(WEEK_PATTERN, text, "an ISO week", cls.example)
        year, week = text.split("-W")
        try:
            date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            raise ValueError(f"period {text!r}: {year} has no week {int(week)}") from None
        return cls(int(year), int(week))

    @classmethod
    def containing(cls, moment: date | datetime) -> IsoWeek:
        calendar = moment.isocalendar()
        return cls(calendar.year, calendar.week)

    @classmethod
    def reported_at(cls, moment: date | datetime) -> IsoWeek:
        """A cycle run at ``moment`` is the one starting that week."""
        return cls.containing(moment)

    def shift(self, count: int) -> IsoWeek:
        return IsoWeek.containing(self.start + timedelta(weeks=count))

    @property
    def start(self) -> date:
        """The Monday the week starts on."""
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=1)

    @property
    def label(self) -> str:
        return f"week {self.week} of {self.year} (from {self.start:%d %b})"

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


PeriodType: TypeAlias = type[Month] | type[Quarter] | type[IsoWeek]
"""A ritual kind's period type."""

PERIOD_TYPES: dict[str, PeriodType] = {period.kind: period for period in (Month, Quarter, IsoWeek)}


def parse_period(text: str) -> Month | Quarter | IsoWeek:
    """Any period's text form, whichever its type."""
    for period in PERIOD_TYPES.values():
        try:
            return period.parse(text)
        except ValueError:
            continue
    raise ValueError(
        f"period {text!r} is not a month (YYYY-MM), quarter (YYYY-Qn) or week (YYYY-Www)"
    )
