"""A quarter's KPI context for the review: each KPI for the quarter against the previous
quarter, the same quarter last year and its target, from the KPI report's monthly values.

A quarter's value comes from its three months by the KPI's ``quarter_aggregate``: ``mean``
(the default: the quarter reads like a month, so it compares with the monthly target),
``sum`` (a flow, such as sign-ups: the quarter's total, against three times the target) or
``last`` (a level, such as MRR: where the quarter ended). A quarter compared against has a
value only with all three months. The reviewed quarter, when its latest months have no data
yet, is shown to date (its ``months`` say which) for ``mean`` and ``last``; never for ``sum``,
whose total to date would read as a quarter falling short of its target.

One source that cannot be read marks its own KPIs with an error and never the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Literal

from opsrhythm.platform.periods import Month, Quarter
from opsrhythm.rituals.kpi_report.models import KpiPlan, SourceValues
from opsrhythm.rituals.strategy_review.models import QuarterKpi, ReviewPlan

QuarterAggregate = Literal["mean", "sum", "last"]
Series = Mapping[str, float | None]


class SourceFailed(Exception):
    """A source that could not be read at all; ``retryable`` when it may answer later."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


# Reads one source: (source id, KPI ids, months) -> its values; raises SourceFailed.
Reader = Callable[[str, list[str], list[Month]], SourceValues]


def compared_quarters(quarter: Quarter) -> tuple[Quarter, Quarter, Quarter]:
    """The quarter, the one before it and the same quarter a year earlier."""
    return quarter, quarter.shift(-1), quarter.shift(-4)


def months_needed(quarter: Quarter) -> list[Month]:
    """Every month the comparison reads, oldest first."""
    return sorted({m for q in compared_quarters(quarter) for m in q.months()})


def quarter_value(
    series: Series, quarter: Quarter, how: QuarterAggregate, to_date: bool = False
) -> tuple[float | None, list[Month], list[Month]]:
    """The quarter's value, the months it comes from and the months it lacks.

    ``to_date``: the quarter's first months, when the rest have no data yet, give its value
    to date (``mean`` and ``last`` only).
    """
    months = quarter.months()
    missing = [m for m in months if series.get(str(m)) is None]
    used = months
    if missing and to_date and how != "sum":
        used = months[: months.index(missing[0])]
        if any(series.get(str(m)) is not None for m in months[len(used) :]):
            used = []  # a gap inside the quarter is not a quarter to date
    elif missing:
        used = []
    if not used:
        return None, [], missing
    numbers = [float(series[str(m)] or 0.0) for m in used]
    if how == "sum":
        return sum(numbers), used, []
    if how == "last":
        return numbers[-1], used, missing
    return fmean(numbers), used, missing


def quarter_target(target: float | None, how: QuarterAggregate) -> float | None:
    """Targets are set per month: a quarter's total is held to three months of it."""
    if target is None:
        return None
    return target * 3 if how == "sum" else target


def quarter_kpi(
    kpi: KpiPlan,
    quarter: Quarter,
    series: Series,
    how: QuarterAggregate,
    error: str | None = None,
) -> QuarterKpi:
    """One KPI's row; ``error`` (the source's) explains a missing value, else the gap does."""
    current, previous, year_ago = compared_quarters(quarter)
    value, used, missing = quarter_value(series, current, how, to_date=True)
    if value is None and error is None:
        error = "no value for " + ", ".join(str(m) for m in missing)
    return QuarterKpi(
        kpi=kpi,
        value=value,
        previous_quarter=quarter_value(series, previous, how)[0],
        year_ago=quarter_value(series, year_ago, how)[0],
        target=quarter_target(kpi.target, how),
        error=error if value is None else None,
        months=[str(m) for m in used],
    )


def review_kpis(plan: ReviewPlan) -> list[KpiPlan]:
    """The plan's KPIs in the order its sections name them, then any other the plan holds."""
    named = [k for s in plan.sections for k in s.kpi_ids]
    order = {kpi_id: index for index, kpi_id in enumerate(dict.fromkeys(named))}
    return sorted(plan.kpis, key=lambda k: order.get(k.kpi_id, len(order)))


@dataclass
class GatheredQuarter:
    kpis: list[QuarterKpi]
    unavailable: list[str] = field(default_factory=list)
    """'<source>: why' for each source that was down (a later attempt may read it)."""


def gather_quarter(
    plan: ReviewPlan,
    read: Reader,
    aggregates: Mapping[str, QuarterAggregate],
    known_errors: Mapping[str, str] | None = None,
) -> GatheredQuarter:
    """Every KPI of the plan for its quarter; ``aggregates`` says how each combines its months.

    ``known_errors`` are KPIs that cannot be read (no longer configured, say): they get their
    row with that error and are not asked of their source.
    """
    quarter = Quarter.parse(plan.period)
    months = months_needed(quarter)
    errors: dict[str, str] = dict(known_errors or {})
    values: dict[str, dict[str, float | None]] = {}
    unavailable: list[str] = []
    for source in plan.sources:
        wanted = [k for k in source.kpi_ids if k not in errors]
        if not wanted:
            continue
        try:
            reading = read(source.source_id, wanted, months)
        except SourceFailed as failure:
            message = str(failure)
            errors.update({kpi_id: message for kpi_id in wanted})
            if failure.retryable:
                unavailable.append(f"{source.source_id}: {message}")
            continue
        values.update(reading.values)
        errors.update(reading.errors)
    with_source = {k for s in plan.sources for k in s.kpi_ids}
    rows = []
    for kpi in review_kpis(plan):
        error = errors.get(kpi.kpi_id)
        if error is None and kpi.kpi_id not in with_source:
            error = f"KPI {kpi.kpi_id!r} has no source in the review's plan"
        how = aggregates.get(kpi.kpi_id, "mean")
        rows.append(quarter_kpi(kpi, quarter, values.get(kpi.kpi_id, {}), how, error))
    return GatheredQuarter(kpis=rows, unavailable=unavailable)


def kpis_by_id(kpis: Sequence[QuarterKpi]) -> dict[str, QuarterKpi]:
    return {row.kpi.kpi_id: row for row in kpis}
