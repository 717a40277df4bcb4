"""Business days: weekdays that are not public holidays. Pure date arithmetic.

Holidays come in as a container of dates so that the rules are testable with any calendar;
``holiday_dates`` builds one from the ``holidays`` package for a country and region.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from datetime import date, timedelta

NO_HOLIDAYS: frozenset[date] = frozenset()


def is_business_day(day: date, holidays: Container[date] = NO_HOLIDAYS) -> bool:
    return day.weekday() < 5 and day not in holidays


def days_between(first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last``, both included."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def nth_business_day(
    first: date, last: date, n: int, holidays: Container[date] = NO_HOLIDAYS
) -> date | None:
    """The ``n``-th business day (1-based) from ``first`` to ``last``; None if there are fewer."""
    if n < 1:
        raise ValueError(f"n must be 1 or more, not {n}")
    count = 0
    for day in days_between(first, last):
        if is_business_day(day, holidays):
            count += 1
            if count == n:
                return day
    return None


def nth_weekday(first: date, last: date, weekday: int, n: int) -> date | None:
    """The ``n``-th given weekday (0 = Monday) from ``first`` to ``last``; ``n = -1``: the last."""
    matches = [day for day in days_between(first, last) if day.weekday() == weekday]
    if n == -1:
        return matches[-1] if matches else None
    return matches[n - 1] if 0 < n <= len(matches) else None


def holiday_dates(country: str, subdivision: str | None, years: range) -> frozenset[date]:
    """Public holidays from the ``holidays`` package (imported here: only business days need it)."""
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    return frozenset(calendar.keys())
