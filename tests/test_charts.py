"""Tests for the KPI trend sparkline PNGs."""

from __future__ import annotations

import struct

from opsrhythm.rituals.kpi_report.charts import trend_chart_png
from opsrhythm.rituals.kpi_report.models import TrendPoint
from tests.kpi_report_samples import ACTIVE_USERS, REVENUE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_chart_is_a_png() -> None:
    """The chart starts with the PNG signature."""
    expected = PNG_MAGIC
    assert expected == trend_chart_png(REVENUE)[:8]


def test_chart_is_drawn_at_twice_its_display_size() -> None:
    """A 240x80 px sparkline is drawn at 480x160 px for high-density screens."""
    png = trend_chart_png(REVENUE)
    expected = (480, 160)
    assert expected == struct.unpack(">II", png[16:24])


def test_same_figures_give_identical_bytes() -> None:
    """Drawing is deterministic, so a retried activity archives the same file."""
    expected = trend_chart_png(REVENUE)
    assert expected == trend_chart_png(REVENUE)


def test_chart_carries_no_software_tag() -> None:
    """No matplotlib version in the file, so upgrades alone do not change archived bytes."""
    assert b"matplotlib" not in trend_chart_png(REVENUE)


def test_latest_month_without_data_still_draws() -> None:
    """A KPI whose latest month is missing still gets a chart of its history."""
    expected = PNG_MAGIC
    assert expected == trend_chart_png(ACTIVE_USERS)[:8]


def test_trend_without_any_value_still_draws() -> None:
    """A KPI with no values at all gets a placeholder chart, not an error."""
    empty = [TrendPoint(period=p.period, value=None) for p in ACTIVE_USERS.trend]
    figures = ACTIVE_USERS.model_copy(update={"trend": empty})
    expected = PNG_MAGIC
    assert expected == trend_chart_png(figures)[:8]
