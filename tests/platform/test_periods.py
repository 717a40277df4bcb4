"""Periods: months, quarters and ISO weeks parse, print, order and shift consistently."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsrhythm.platform.periods import IsoWeek, Month, Period, Quarter, parse_period
from opsrhythm.platform.schedules.times import run_span

MOMENTS = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10", Month(2026, 10)),
        ("2026-Q4", Quarter(2026, 4)),
        ("2026-W49", IsoWeek(2026, 49)),
        ("2020-W53", IsoWeek(2020, 53)),
    ],
)
def test_parse_period_recognises_every_type(text: str, expected: object) -> None:
    """Any period's text form parses to its own type and prints back unchanged."""
    assert (expected, text) == (parse_period(text), str(parse_period(text)))


@pytest.mark.parametrize(
    ("period_type", "text", "message"),
    [
        (Month, "2026-13", "period '2026-13' is not a month in the form YYYY-MM"),
        (Quarter, "2026-Q5", "period '2026-Q5' is not a quarter in the form YYYY-Qn"),
        (IsoWeek, "2026-W54", "period '2026-W54' is not an ISO week in the form YYYY-Www"),
        (IsoWeek, "2027-W53", "period '2027-W53': 2027 has no week 53"),
    ],
)
def test_bad_text_names_the_period_and_the_form(
    period_type: type[Month | Quarter | IsoWeek], text: str, message: str
) -> None:
    with pytest.raises(ValueError) as error:
        period_type.parse(text)
    assert message == str(error.value)


def test_parse_period_lists_every_form_when_nothing_fits() -> None:
    with pytest.raises(ValueError, match=r"month \(YYYY-MM\), quarter \(YYYY-Qn\) or week"):
        parse_period("October")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2027, 1, 4, 9), Quarter(2026, 4)),
        (date(2026, 12, 31), Quarter(2026, 3)),
        (date(2026, 12, 1), Month(2026, 11)),
        (date(2026, 12, 1), IsoWeek(2026, 49)),
        (date(2027, 1, 1), IsoWeek(2026, 53)),
    ],
)
def test_reported_at_is_the_last_complete_month_or_quarter_or_the_current_week(
    moment: date, expected: Month | Quarter | IsoWeek
) -> None:
    assert expected == type(expected).reported_at(moment)


def test_labels_read_as_people_write_them() -> None:
    assert ("October 2026", "Q4 2026", "week 49 of 2026 (from 30 Nov)") == (
        Month(2026, 10).label,
        Quarter(2026, 4).label,
        IsoWeek(2026, 49).label,
    )


def test_quarter_bounds_and_months() -> None:
    quarter = Quarter(2026, 4)
    assert (
        date(2026, 10, 1),
        date(2027, 1, 1),
        [Month(2026, 10), Month(2026, 11), Month(2026, 12)],
    ) == (
        quarter.start,
        quarter.end,
        quarter.months(),
    )


@given(MOMENTS, st.integers(min_value=-200, max_value=200))
def test_shift_round_trips_and_orders(moment: date, count: int) -> None:
    """Shifting there and back is the identity, and a later period sorts after."""
    periods: tuple[Period, ...] = (
        Month.containing(moment),
        Quarter.containing(moment),
        IsoWeek.containing(moment),
    )
    for period in periods:
        shifted = period.shift(count)
        assert period == shifted.shift(-count)
        assert (count > 0) == (shifted > period)
        assert shifted == type(period).parse(str(shifted))


@given(MOMENTS)
def test_a_moment_lies_within_the_period_containing_it(moment: date) -> None:
    for period in (
        Month.containing(moment),
        Quarter.containing(moment),
        IsoWeek.containing(moment),
    ):
        assert period.start <= moment < period.end


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (Month(2026, 10), (date(2026, 11, 1), date(2026, 12, 1))),
        (Quarter(2026, 4), (date(2027, 1, 1), date(2027, 4, 1))),
        (IsoWeek(2026, 49), (date(2026, 11, 30), date(2026, 12, 7))),
    ],
)
def test_run_span_is_when_a_scheduled_run_covers_the_period(
    period: Month | Quarter | IsoWeek, expected: tuple[date, date]
) -> None:
    """A month or quarter is reported once it is over; a retro cycle runs in its first week."""
    assert expected == run_span(period)
