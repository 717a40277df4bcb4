"""Small sparkline PNGs of a KPI's last twelve months, embedded inline in report emails.

matplotlib is imported inside the drawing function so that the worker starts fast, and the
object-oriented Figure API is used instead of pyplot because activities draw from a thread
pool and pyplot's global figure registry is not thread-safe.
"""

from __future__ import annotations

import io
import math

from opsrhythm.rituals.kpi_report.formatting import GREY, movement_colour
from opsrhythm.rituals.kpi_report.models import KpiFigures

TREND_PERIODS = 12
WIDTH_PX = 240
HEIGHT_PX = 80
SCALE = 2  # Drawn at twice the displayed size so the image stays sharp on high-density screens.

LINE_COLOUR = "#4f6d8f"
TARGET_COLOUR = "#8c959f"


def trend_chart_png(figures: KpiFigures) -> bytes:
    """A 240x80 px (480x160 px at 2x) sparkline; gaps where a month has no value."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = figures.trend[-TREND_PERIODS:]
    values = [math.nan if point.value is None else point.value for point in points]
    xs = list(range(len(values)))

    dpi = 100 * SCALE
    figure = Figure(figsize=(WIDTH_PX / 100, HEIGHT_PX / 100), dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.03, 0.12, 0.94, 0.76))
    axes.set_axis_off()
    axes.set_xlim(-0.5, max(len(values), TREND_PERIODS) - 0.5)

    known = [value for value in values if not math.isnan(value)]
    target = figures.kpi.target
    if not known:
        axes.text(
            0.5,
            0.5,
            "No data",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color=GREY,
            fontsize=8,
        )
    else:
        axes.plot(xs, values, color=LINE_COLOUR, linewidth=1.4, solid_capstyle="round")
        # A month between two gaps has no line segment, so draw every known month as a dot.
        axes.plot(xs, values, linestyle="none", marker="o", markersize=1.8, color=LINE_COLOUR)
        low, high = min(known), max(known)
        if target is not None:
            axes.axhline(target, color=TARGET_COLOUR, linewidth=0.9, linestyle=(0, (3, 2)))
            low, high = min(low, target), max(high, target)
        margin = (high - low) * 0.12 or abs(high) * 0.1 or 1.0
        axes.set_ylim(low - margin, high + margin)
        if not math.isnan(values[-1]):
            colour = movement_colour(figures.movement)
            axes.plot(
                [xs[-1]],
                [values[-1]],
                marker="o",
                markersize=4.5,
                color=colour,
                markeredgecolor="white",
                markeredgewidth=0.8,
            )

    buffer = io.BytesIO()
    # No 'Software' entry: the same figures then give byte-identical files across retries.
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    figure.clear()
    return buffer.getvalue()
