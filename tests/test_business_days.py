"""Business-day arithmetic, table-driven across month ends, weekends and holidays."""

from __future__ import annotations

from datetime import date

import pytest

from opsrhythm.platform.periods import Month
from opsrhythm.platform.schedules.business_days import (
    holiday_dates,
    is_business_day,
    nth_business_day,
    nth_weekday,
)

ENGLAND = holiday_dates("GB", "ENG", range(2025, 2029))


def month_range(period: str) -> tuple[date, date]:
    month = Month.parse(period)
    return month.start, date.fromordinal(month.end.toordinal() - 1)


@pytest.mark.parametrize(
    ("period", "n", "holidays", "expected"),
    [
        # Starts on a weekday: the count starts on the 1st.
        ("2026-07", 1, frozenset(), date(2026, 7, 1)),
        ("2026-07", 2, frozenset(), date(2026, 7, 2)),
        # Starts on a Saturday (August 2026): the weekend does not count.
        ("2026-08", 1, frozenset(), date(2026, 8, 3)),
        ("2026-08", 2, frozenset(), date(2026, 8, 4)),
        # Starts on a Sunday (November 2026).
        ("2026-11", 2, frozenset(), date(2026, 11, 3)),
        # A Friday 1st: the 2nd business day is the Monday after.
        ("2027-01", 2, frozenset(), date(2027, 1, 4)),
        # The same Friday 1st is New Year's Day: Monday is the 1st, Tuesday the 2nd.
        ("2027-01", 2, frozenset({date(2027, 1, 1)}), date(2027, 1, 5)),
        # A holiday on the Monday after a weekend start (May Day 2027 on the 3rd).
        ("2027-05", 2, frozenset({date(2027, 5, 3)}), date(2027, 5, 5)),
        # Counting far in crosses nothing: the 23rd business day of a 23-business-day month.
        ("2026-12", 23, frozenset(), date(2026, 12, 31)),
        # More business days asked for than the month has.
        ("2026-02", 21, frozenset(), None),
    ],
)
def test_nth_business_day_of_month(
    period: str, n: int, holidays: frozenset[date], expected: date | None
) -> None:
    """The Nth business day skips weekends and the given holidays, and stays in the month."""
    assert expected == nth_business_day(*month_range(period), n, holidays)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2025-12", date(2025, 12, 2)),
        ("2026-01", date(2026, 1, 5)),  # New Year's Day, then a weekend
        ("2026-04", date(2026, 4, 2)),  # Good Friday is the 3rd: after the 2nd
        ("2026-05", date(2026, 5, 5)),  # Friday the 1st counts; May Day Monday the 4th not
        ("2026-09", date(2026, 9, 2)),  # the August bank holiday is the 31st: not September's
        ("2027-01", date(2027, 1, 5)),
        ("2028-01", date(2028, 1, 5)),  # New Year's Day on a Saturday, observed Monday the 3rd
    ],
)
def test_second_business_day_in_england(period: str, expected: date) -> None:
    """The example's rule with the real England and Wales calendar from the holidays package."""
    assert expected == nth_business_day(*month_range(period), 2, ENGLAND)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 24), True),
        (date(2026, 12, 25), False),  # Christmas Day
        (date(2026, 12, 28), False),  # Boxing Day observed on the Monday
        (date(2026, 12, 26), False),  # Saturday
        (date(2026, 8, 31), False),  # Summer bank holiday (England only)
    ],
)
def test_is_business_day_in_england(day: date, expected: bool) -> None:
    """Weekends and England's bank holidays, including observed ones, are not business days."""
    assert expected == is_business_day(day, ENGLAND)


@pytest.mark.parametrize(
    ("first", "last", "weekday", "n", "expected"),
    [
        (date(2027, 1, 1), date(2027, 3, 31), 0, 1, date(2027, 1, 4)),  # first Monday of Q1
        (date(2026, 10, 1), date(2026, 12, 31), 0, 1, date(2026, 10, 5)),
        (date(2026, 6, 1), date(2026, 6, 30), 0, 1, date(2026, 6, 1)),  # the 1st itself
        (date(2026, 10, 1), date(2026, 12, 31), 4, -1, date(2026, 12, 25)),  # last Friday of Q4
        (date(2026, 2, 1), date(2026, 2, 28), 6, 5, None),  # no fifth Sunday in Feb 2026
    ],
)
def test_nth_weekday(first: date, last: date, weekday: int, n: int, expected: date | None) -> None:
    """The Nth (or last) given weekday of a range, or None when there are fewer."""
    assert expected == nth_weekday(first, last, weekday, n)


def test_zero_business_day_is_refused() -> None:
    """Counting is 1-based; 0 is a programming error, not silently the first."""
    with pytest.raises(ValueError, match="n must be 1 or more"):
        nth_business_day(date(2026, 1, 1), date(2026, 1, 31), 0)
