"""The quarter's KPI context: a quarter from its months, against the previous quarter, a year
ago and target; one failing source or KPI never takes down the others."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.strategy_review import DEGRADE_AFTER_ATTEMPTS, SOURCES_UNAVAILABLE
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.kpi_config import CsvSource, HttpSource, Kpi
from opsrhythm.platform.periods import Month, Quarter
from opsrhythm.rituals.kpi_report.models import KpiPlan, SourcePlan, SourceValues
from opsrhythm.rituals.strategy_review.models import QuarterKpisInput, ReviewPlan
from opsrhythm.rituals.strategy_review.quarter_kpis import (
    SourceFailed,
    gather_quarter,
    months_needed,
    quarter_kpi,
    quarter_value,
)
from tests.strategy_review.content_samples import MRR, activities, plan

Q4 = Quarter(2026, 4)
# Q4 2025 (a year ago), Q3 2026 (previous) and Q4 2026, one value per month.
SERIES: dict[str, float | None] = {
    "2025-10": 10.0, "2025-11": 20.0, "2025-12": 30.0,
    "2026-07": 40.0, "2026-08": 50.0, "2026-09": 60.0,
    "2026-10": 70.0, "2026-11": 80.0, "2026-12": 90.0,
}  # fmt: skip


def kpi_plan(kpi_id: str, target: float | None = 100.0) -> KpiPlan:
    return MRR.model_copy(update={"kpi_id": kpi_id, "name": kpi_id.title(), "target": target})


def test_months_needed_are_the_three_quarters() -> None:
    assert sorted(SERIES) == [str(m) for m in months_needed(Q4)]


@pytest.mark.parametrize(
    ("how", "value", "previous", "year_ago", "target"),
    [("mean", 80.0, 50.0, 20.0, 100.0), ("sum", 240.0, 150.0, 60.0, 300.0),
     ("last", 90.0, 60.0, 30.0, 100.0)],
)  # fmt: skip
def test_a_quarter_from_its_months(
    how: str, value: float, previous: float, year_ago: float, target: float
) -> None:
    """Mean and last keep the monthly target; a sum is held to three months of it."""
    row = quarter_kpi(kpi_plan("k"), Q4, SERIES, how)  # type: ignore[arg-type]
    assert (value, previous, year_ago, target) == (
        row.value,
        row.previous_quarter,
        row.year_ago,
        row.target,
    )
    assert ["2026-10", "2026-11", "2026-12"] == row.months
    assert row.error is None


def test_the_reviewed_quarter_to_date() -> None:
    """With December not in yet, mean and last give Q4 to date; a sum gives no value."""
    series = SERIES | {"2026-12": None}
    mean = quarter_kpi(kpi_plan("k"), Q4, series, "mean")
    assert (75.0, ["2026-10", "2026-11"]) == (mean.value, mean.months)
    assert 80.0 == quarter_kpi(kpi_plan("k"), Q4, series, "last").value
    total = quarter_kpi(kpi_plan("k"), Q4, series, "sum")
    assert (None, "no value for 2026-12") == (total.value, total.error)


def test_a_compared_quarter_needs_every_month() -> None:
    """A gap in the previous quarter or inside the reviewed one is no value, never a guess."""
    row = quarter_kpi(kpi_plan("k"), Q4, SERIES | {"2026-08": None}, "mean")
    assert row.previous_quarter is None
    assert 80.0 == row.value
    gap = quarter_value(SERIES | {"2026-11": None}, Q4, "mean", to_date=True)
    assert (None, [], [Month(2026, 11)]) == gap


def test_no_target_stays_none() -> None:
    assert quarter_kpi(kpi_plan("k", target=None), Q4, SERIES, "sum").target is None


def two_source_plan() -> ReviewPlan:
    return plan(
        kpis=[kpi_plan("good"), kpi_plan("broken"), kpi_plan("bad-column")],
        sources=[
            SourcePlan(source_id="ok", kpi_ids=["good", "bad-column"]),
            SourcePlan(source_id="down", kpi_ids=["broken"]),
        ],
    )


def test_one_failing_source_only_errors_its_own_kpis() -> None:
    def read(source_id: str, kpi_ids: list[str], months: list[Month]) -> SourceValues:
        if source_id == "down":
            raise SourceFailed("source 'down': HTTP 401 from https://x", retryable=False)
        return SourceValues(
            source_id=source_id,
            values={"good": SERIES},
            errors={"bad-column": "no column 'x'"},
        )

    gathered = gather_quarter(two_source_plan(), read, {"good": "sum"})
    rows = {row.kpi.kpi_id: row for row in gathered.kpis}
    assert 240.0 == rows["good"].value
    assert (None, "source 'down': HTTP 401 from https://x") == (
        rows["broken"].value,
        rows["broken"].error,
    )
    assert "no column 'x'" == rows["bad-column"].error
    assert [] == gathered.unavailable


def test_a_source_that_is_down_is_reported_for_a_retry() -> None:
    def read(source_id: str, kpi_ids: list[str], months: list[Month]) -> SourceValues:
        if source_id == "down":
            raise SourceFailed("connection refused", retryable=True)
        return SourceValues(source_id=source_id, values={"good": SERIES})

    gathered = gather_quarter(two_source_plan(), read, {})
    assert ["down: connection refused"] == gathered.unavailable
    assert 80.0 == next(r for r in gathered.kpis if r.kpi.kpi_id == "good").value


def with_extra_sources(config: OpsRhythmConfig, tmp_path: Path) -> OpsRhythmConfig:
    """The example config plus a CSV source with no file and an HTTP source nobody serves."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    missing = CsvSource(id="gone", kind="csv", path=tmp_path / "nowhere.csv")
    down = HttpSource(
        id="api", kind="http", url=f"http://127.0.0.1:{port}/{{period}}", timeout_seconds=1
    )
    extra = [
        Kpi(id=f"from-{s}", name=s, owner="ana", source=s, column="x", audiences=["sales"])
        for s in ("gone", "api")
    ]
    return config.model_copy(
        update={"sources": [*config.sources, missing, down], "kpis": [*config.kpis, *extra]}
    )


def example_plan(config: OpsRhythmConfig) -> ReviewPlan:
    mrr = kpi_plan("mrr", 500000.0)
    return plan(
        kpis=[mrr, kpi_plan("from-gone"), kpi_plan("from-api"), kpi_plan("retired")],
        sources=[
            SourcePlan(source_id="warehouse", kpi_ids=["mrr"]),
            SourcePlan(source_id="gone", kpi_ids=["from-gone"]),
            SourcePlan(source_id="api", kpi_ids=["from-api"]),
            SourcePlan(source_id="warehouse", kpi_ids=["retired"]),
        ],
    )


def test_activity_reads_the_example_warehouse_beside_failing_sources(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """On the last attempt, the warehouse's MRR is there; a missing file, a server that is
    down and a KPI no longer configured each carry their own error."""
    config = with_extra_sources(example_config, tmp_path)
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=DEGRADE_AFTER_ATTEMPTS)
    run = activities(config, tmp_path / "archive")
    result = env.run(run.gather_quarter_kpis, QuarterKpisInput(plan=example_plan(config)))
    rows = {row.kpi.kpi_id: row for row in result.kpis}
    assert rows["mrr"].value is not None and rows["mrr"].previous_quarter is not None
    assert rows["mrr"].error is None
    assert "nowhere.csv" in (rows["from-gone"].error or "")
    assert "127.0.0.1" in (rows["from-api"].error or "")
    assert "KPI 'retired' is no longer in the config" == rows["retired"].error
    assert ["mrr", "from-gone", "from-api", "retired"] == list(rows)


def test_a_down_source_fails_early_attempts_so_temporal_retries(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    config = with_extra_sources(example_config, tmp_path)
    run = activities(config, tmp_path / "archive")
    with pytest.raises(ApplicationError) as failure:
        ActivityEnvironment().run(
            run.gather_quarter_kpis, QuarterKpisInput(plan=example_plan(config))
        )
    assert SOURCES_UNAVAILABLE == failure.value.type
    assert not failure.value.non_retryable
    assert failure.value.message.startswith("api: ")


def test_the_config_option_defaults_to_mean() -> None:
    """kpis[].quarter_aggregate is optional: unset, a quarter reads like a month."""
    fields = {"id": "k", "name": "K", "owner": "a", "source": "s", "audiences": ["x"]}
    assert "mean" == Kpi.model_validate(fields).quarter_aggregate
    assert "last" == Kpi.model_validate(fields | {"quarter_aggregate": "last"}).quarter_aggregate
    with pytest.raises(ValueError, match="quarter_aggregate"):
        Kpi.model_validate(fields | {"quarter_aggregate": "median"})
