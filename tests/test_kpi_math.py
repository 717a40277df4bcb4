"""The KPI maths: changes, target status, direction-aware movement and missing data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsrhythm.platform.models import Recipient
from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.kpi_math import (
    analyse,
    change,
    is_notable,
    movement,
    periods_needed,
    target_status,
)
from opsrhythm.rituals.kpi_report.models import Change, KpiPlan


@pytest.mark.parametrize(
    ("current", "base", "expected"),
    [
        (110.0, 100.0, Change(absolute=10.0, relative=0.1)),
        (90.0, 100.0, Change(absolute=-10.0, relative=-0.1)),
        (5.0, 0.0, Change(absolute=5.0, relative=None)),
        (-5.0, -10.0, Change(absolute=5.0, relative=0.5)),
        (None, 100.0, None),
        (100.0, None, None),
    ],
)
def test_change(current: float | None, base: float | None, expected: Change | None) -> None:
    """Period-over-period change is relative to the base's size; a zero or missing base has none."""
    assert expected == change(current, base)


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (100.0, 100.0, "higher", "on_track"),
        (120.0, 100.0, "higher", "on_track"),
        (96.0, 100.0, "higher", "at_risk"),
        (95.0, 100.0, "higher", "at_risk"),
        (94.9, 100.0, "higher", "off_track"),
        (2.0, 2.5, "lower", "on_track"),
        (2.6, 2.5, "lower", "at_risk"),
        (3.0, 2.5, "lower", "off_track"),
        (50.0, None, "higher", "no_target"),
        (None, 100.0, "higher", "no_data"),
        (None, None, "lower", "no_data"),
    ],
)
def test_target_status(
    value: float | None, target: float | None, direction: str, expected: str
) -> None:
    """Within 5% short of target is at risk; lower-is-better KPIs miss by being above it."""
    assert expected == target_status(value, target, direction, tolerance=0.05)


@pytest.mark.parametrize(
    ("delta", "direction", "expected"),
    [
        (Change(absolute=10, relative=0.1), "higher", "improved"),
        (Change(absolute=-10, relative=-0.1), "higher", "worsened"),
        (Change(absolute=-0.5, relative=-0.2), "lower", "improved"),
        (Change(absolute=0.5, relative=0.2), "lower", "worsened"),
        (Change(absolute=0.001, relative=0.0001), "higher", "flat"),
        (Change(absolute=3, relative=None), "lower", "worsened"),
        (None, "higher", None),
    ],
)
def test_movement_respects_direction(delta: Change | None, direction: str, expected: str) -> None:
    """A fall in churn reads as an improvement; a fall in revenue as a worsening."""
    assert expected == movement(delta, direction)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (Change(absolute=10, relative=0.10), True),
        (Change(absolute=-12, relative=-0.12), True),
        (Change(absolute=9, relative=0.09), False),
        (Change(absolute=4, relative=None), True),
        (None, False),
    ],
)
def test_notable_moves(delta: Change | None, expected: bool) -> None:
    """Moves of at least the threshold either way are flagged."""
    assert expected == is_notable(delta, threshold=0.10)


def plan(direction: str = "higher") -> KpiPlan:
    return KpiPlan(
        kpi_id="churn",
        name="Churn",
        unit="%",
        format="{value:.1f}%",
        direction=direction,
        target=2.5,
        tolerance=0.1,
        notable_change=0.1,
        owner=Recipient(name="Grace", email="grace@acme.example"),
    )


def test_analyse_reads_previous_and_year_ago() -> None:
    """Figures compare with the previous month and the same month last year."""
    series = {"2026-10": 3.0, "2026-09": 2.0, "2025-10": 4.0}
    figures = analyse(plan("lower"), Month(2026, 10), series)
    assert (3.0, 2.0, 4.0) == (figures.value, figures.previous, figures.year_ago)
    assert ("off_track", "worsened", True) == (figures.status, figures.movement, figures.notable)
    assert Change(absolute=-1.0, relative=-0.25) == figures.vs_year_ago


def test_analyse_missing_value_keeps_error() -> None:
    """A KPI without a value is 'no data' and carries why; its trend keeps the gaps."""
    figures = analyse(plan(), Month(2026, 10), {"2026-09": 2.0}, error="warehouse down")
    assert ("no_data", "warehouse down", None) == (
        figures.status,
        figures.error,
        figures.vs_previous,
    )
    assert [None] * 10 + [2.0, None] == [point.value for point in figures.trend]


def test_periods_needed_cover_trend_and_last_year() -> None:
    """Thirteen distinct months: twelve for the trend plus the same month a year before."""
    months = periods_needed(Month(2026, 1))
    assert 13 == len(set(months))
    assert {Month(2025, 1), Month(2025, 2), Month(2026, 1)} <= set(months)


@given(
    value=st.floats(-1e9, 1e9, allow_nan=False),
    target=st.floats(-1e9, 1e9, allow_nan=False),
)
def test_direction_mirrors_status(value: float, target: float) -> None:
    """Meeting a higher-is-better target is the mirror image of meeting it lower-is-better."""
    higher = target_status(value, target, "higher", 0.0)
    lower = target_status(-value, -target, "lower", 0.0)
    assert higher == lower


@given(st.integers(1100, 9800), st.integers(1, 12), st.integers(-1000, 1000))
def test_month_shift_round_trips(year: int, month: int, offset: int) -> None:
    """Shifting a month forward and back returns it, and its text form parses back."""
    start = Month(year, month)
    assert start == start.shift(offset).shift(-offset)
    assert start == Month.parse(str(start))
