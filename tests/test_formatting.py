"""Tests for the words, numbers and colours the KPI report templates show."""

from __future__ import annotations

import pytest

from opsrhythm.rituals.kpi_report import formatting as fmt
from opsrhythm.rituals.kpi_report.models import Change, KpiStatus
from tests.kpi_report_samples import (
    ACTIVE_USERS,
    CHURN,
    NPS,
    REVENUE,
    SIGNUPS,
    TIME_TO_RESOLVE,
    kpi,
)


def test_value_uses_the_kpi_format() -> None:
    """A value is shown with the KPI's own format string."""
    expected = "£1,262,000"
    assert expected == fmt.format_value(1_262_000, REVENUE.kpi)


def test_missing_value_reads_no_data() -> None:
    """A missing value is shown as 'No data', not as zero."""
    expected = "No data"
    assert expected == fmt.format_value(None, REVENUE.kpi)


def test_relative_change_has_a_sign_and_one_decimal() -> None:
    """Relative changes are signed percentages."""
    expected = "+6.9%"
    assert expected == fmt.format_change(REVENUE.vs_previous, REVENUE.kpi)


def test_relative_fall_has_a_minus_sign() -> None:
    """A fall is shown with a minus sign."""
    expected = "-6.8%"
    assert expected == fmt.format_change(NPS.vs_previous, NPS.kpi)


def test_percentage_kpis_change_in_points() -> None:
    """For unit '%' the change is in percentage points, not a percentage of a percentage."""
    expected = "-0.5 pp"
    assert expected == fmt.format_change(CHURN.vs_previous, CHURN.kpi)


def test_fraction_formatted_percentages_change_in_points() -> None:
    """A KPI stored as a fraction (format '{value:.1%}') still moves in points."""
    rate = kpi("rate", "Conversion", format="{value:.1%}", unit="%")
    expected = "+0.4 pp"
    assert expected == fmt.format_change(Change(absolute=0.004, relative=0.1), rate)


def test_change_from_zero_is_absolute_in_the_kpi_format() -> None:
    """With no relative change (base 0) the absolute change is shown in the KPI's format."""
    change = Change(absolute=1200, relative=None)
    expected = "+£1,200"
    assert expected == fmt.format_change(change, REVENUE.kpi)


def test_a_change_that_rounds_to_zero_has_no_sign() -> None:
    """A tiny change reads 0.0%, never +0.0% or -0.0%."""
    expected = "0.0%"
    assert expected == fmt.format_change(Change(absolute=-0.01, relative=-0.0001), REVENUE.kpi)


def test_no_change_to_compare_reads_not_available() -> None:
    """Without a base period the change is 'n/a'."""
    expected = "n/a"
    assert expected == fmt.format_change(None, REVENUE.kpi)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("on_track", "On track"),
        ("at_risk", "At risk"),
        ("off_track", "Off track"),
        ("no_target", "No target"),
        ("no_data", "No data"),
    ],
)
def test_status_labels(status: KpiStatus, label: str) -> None:
    """Each status has a reader-facing label."""
    expected = label
    assert expected == fmt.status_label(status)


def test_lower_is_better_decrease_is_improved_and_green() -> None:
    """Churn falling is an improvement, shown green although the change is negative."""
    expected = ("improved", fmt.GREEN)
    assert expected == (fmt.movement_word(CHURN.movement), fmt.movement_colour(CHURN.movement))


def test_lower_is_better_increase_is_worsened_and_red() -> None:
    """Time to resolve rising is a worsening, shown red although the change is positive."""
    expected = ("worsened", fmt.RED)
    movement = TIME_TO_RESOLVE.movement
    assert expected == (fmt.movement_word(movement), fmt.movement_colour(movement))


def test_flat_and_unknown_movements_are_grey() -> None:
    """Flat and not comparable movements are neutral grey."""
    expected = [fmt.GREY, fmt.GREY]
    assert expected == [fmt.movement_colour("flat"), fmt.movement_colour(None)]


def test_exceptions_are_problems_and_notable_moves() -> None:
    """Off track, at risk, no data and notable moves are exceptions; quiet KPIs are not."""
    quiet_and_loud = [REVENUE, SIGNUPS, CHURN, NPS, TIME_TO_RESOLVE, ACTIVE_USERS]
    expected = [False, False, True, True, True, True]
    assert expected == [fmt.is_exception(f) for f in quiet_and_loud]


def test_no_data_names_the_error_and_the_owner() -> None:
    """A KPI without data says why and whom to ask."""
    expected = "No data — source unavailable; owner: Ana Silva (ana@acme.example)"
    assert expected == fmt.no_data_text(ACTIVE_USERS)


def test_no_data_without_an_error_still_names_the_owner() -> None:
    """When the source gave no reason the text says there was no value."""
    figures = ACTIVE_USERS.model_copy(update={"error": None})
    expected = "No data — no value for this period; owner: Ana Silva (ana@acme.example)"
    assert expected == fmt.no_data_text(figures)


def test_exception_reasons_give_target_and_notable_move() -> None:
    """An off-track notable KPI explains both, target first."""
    expected = [
        "Off track: 31.5 h against a target of 24.0 h",
        "Notable move: +16.7% vs September 2026 (worsened)",
    ]
    assert expected == fmt.exception_reasons(TIME_TO_RESOLVE, "September 2026")
