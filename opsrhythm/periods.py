"""Calendar months as reporting periods: parsing, arithmetic and display."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD_RE = re.compile(PERIOD_PATTERN)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``; raise ``ValueError`` with the offending text otherwise."""
        if not _PERIOD_RE.match(text):
            raise ValueError(f"period {text!r} is not a month in the form YYYY-MM")
        year, month = text.split("-")
        return cls(int(year), int(month))

    @classmethod
    def containing(cls, moment: date | datetime) -> Month:
        return cls(moment.year, moment.month)

    @classmethod
    def reported_at(cls, moment: date | datetime) -> Month:
        """The month a report run at ``moment`` covers: the last complete month."""
        return cls.containing(moment).shift(-1)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
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
