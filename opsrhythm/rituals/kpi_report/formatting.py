"""Pure text and colour helpers that turn KPI figures into words for the report templates.

Colours follow the KPI's direction through the precomputed ``movement`` (a fall in churn is
green), never the sign of a change. Everything here is registered as a Jinja filter too.
"""

from __future__ import annotations

import string

from opsrhythm.rituals.kpi_report.models import Change, KpiFigures, KpiPlan, KpiStatus, Movement

GREEN = "#1a7f37"
RED = "#c62828"
AMBER = "#9a6700"
GREY = "#656d76"

STATUS_LABELS: dict[KpiStatus, str] = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_target": "No target",
    "no_data": "No data",
}
STATUS_COLOURS: dict[KpiStatus, str] = {
    "on_track": GREEN,
    "at_risk": AMBER,
    "off_track": RED,
    "no_target": GREY,
    "no_data": GREY,
}
# Light backgrounds for status pills; the text colour stays readable on them (WCAG AA).
STATUS_BACKGROUNDS: dict[KpiStatus, str] = {
    "on_track": "#dafbe1",
    "at_risk": "#fff8c5",
    "off_track": "#ffebe9",
    "no_target": "#eef1f4",
    "no_data": "#eef1f4",
}
MOVEMENT_COLOURS: dict[Movement, str] = {"improved": GREEN, "worsened": RED, "flat": GREY}
EXCEPTION_STATUSES: frozenset[KpiStatus] = frozenset({"off_track", "at_risk", "no_data"})


def _is_fraction_format(kpi: KpiPlan) -> bool:
    """True when the format's own '%' type scales the value, so 0.042 is shown as 4.2%."""
    specs = [spec or "" for _, field, spec, _ in string.Formatter().parse(kpi.format) if field]
    return any(spec.endswith("%") for spec in specs)


def format_value(value: float | None, kpi: KpiPlan) -> str:
    """The value in the KPI's own format, e.g. '£1,234'; 'No data' when missing."""
    if value is None:
        return "No data"
    try:
        return kpi.format.format(value=value)
    except (ValueError, TypeError, KeyError, IndexError):
        # The config loader checks formats; a plan built another way still renders.
        return f"{value:,.2f}"


def _signed(number: float, decimals: int) -> str:
    rounded = round(number, decimals)
    if rounded == 0:
        return f"{0:.{decimals}f}"
    return f"{rounded:+.{decimals}f}"


def format_change(change: Change | None, kpi: KpiPlan) -> str:
    """A move as '+4.2%', '+0.3 pp' for percentage KPIs, or '+£1,200' when the base was 0."""
    if change is None:
        return "n/a"
    if kpi.unit == "%":
        points = change.absolute * 100 if _is_fraction_format(kpi) else change.absolute
        return f"{_signed(points, 1)} pp"
    if change.relative is not None:
        return f"{_signed(change.relative * 100, 1)}%"
    if round(change.absolute, 9) == 0:
        return format_value(0.0, kpi)
    sign = "+" if change.absolute > 0 else "-"
    return sign + format_value(abs(change.absolute), kpi)


def status_label(status: KpiStatus) -> str:
    return STATUS_LABELS[status]


def status_colour(status: KpiStatus) -> str:
    return STATUS_COLOURS[status]


def status_background(status: KpiStatus) -> str:
    return STATUS_BACKGROUNDS[status]


def movement_word(movement: Movement | None) -> str:
    """'improved', 'worsened', 'flat', or '' when there is nothing to compare with."""
    return movement or ""


def movement_colour(movement: Movement | None) -> str:
    return MOVEMENT_COLOURS[movement] if movement else GREY


def is_exception(figures: KpiFigures) -> bool:
    """Whether summary readers must see this KPI: off track, at risk, no data or a notable move."""
    return figures.status in EXCEPTION_STATUSES or figures.notable


def no_data_text(figures: KpiFigures) -> str:
    """'No data — source unavailable; owner: Ana Silva (ana@example.com)'."""
    reason = figures.error or "no value for this period"
    owner = figures.kpi.owner
    return f"No data — {reason}; owner: {owner.name} ({owner.email})"


def exception_reasons(figures: KpiFigures, previous_label: str) -> list[str]:
    """Why a KPI is an exception, one sentence each, in the order a reader should act on."""
    kpi = figures.kpi
    reasons: list[str] = []
    if figures.status == "no_data":
        reasons.append(no_data_text(figures))
    elif figures.status in ("off_track", "at_risk"):
        reasons.append(
            f"{status_label(figures.status)}: {format_value(figures.value, kpi)} "
            f"against a target of {format_value(kpi.target, kpi)}"
        )
    if figures.notable and figures.vs_previous is not None:
        moved = format_change(figures.vs_previous, kpi)
        word = f" ({figures.movement})" if figures.movement else ""
        reasons.append(f"Notable move: {moved} vs {previous_label}{word}")
    return reasons


FILTERS = {
    "status_label": status_label,
    "status_colour": status_colour,
    "status_background": status_background,
    "movement_word": movement_word,
    "movement_colour": movement_colour,
}
GLOBALS = {"format_value": format_value, "format_change": format_change}
