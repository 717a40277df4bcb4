"""Reading KPI values from SQL (SQLite and PostgreSQL), CSV and HTTP sources, and planning a run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import sqlalchemy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.kpi_data import KpiDataActivities
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.kpi_config import CsvSource, HttpSource, Kpi, SqlSource
from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.models import GatherSourceInput, PlanReportInput
from opsrhythm.rituals.kpi_report.sources import SourceError, SqlReader, read_csv, read_http
from tests.json_stub import json_endpoint

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
OCT, SEP = Month(2026, 10), Month(2026, 9)


def kpi(**fields: object) -> Kpi:
    defaults: dict[str, object] = {
        "id": "k",
        "name": "K",
        "owner": "ana",
        "source": "s",
        "audiences": ["a"],
    }
    return Kpi.model_validate(defaults | fields)


def test_sql_values_per_month_from_example(example_config: OpsRhythmConfig) -> None:
    """The example warehouse answers each KPI query per month, with the period bound in."""
    data = KpiDataActivities(example_config)
    values = ActivityEnvironment().run(
        data.gather_source,
        GatherSourceInput(
            source_id="warehouse", kpi_ids=["mrr", "signups"], periods=["2026-10", "2026-09"]
        ),
    )
    assert 491309.99 == values.values["mrr"]["2026-10"]
    assert 489656.46 == values.values["mrr"]["2026-09"]
    assert values.values["signups"]["2026-10"] is not None


@pytest.mark.postgres
def test_sql_source_on_postgresql() -> None:
    """A SQL source pointing at PostgreSQL reads with the same bound parameters."""
    table = f"kpi_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE TABLE {table} (day date, amount numeric)"))
        connection.execute(
            sqlalchemy.text(
                f"INSERT INTO {table} VALUES "
                "('2026-10-01', 5), ('2026-10-31', 7), ('2026-11-01', 100)"
            )
        )
    try:
        source = SqlSource(id="pg", kind="sql", url=POSTGRES_URL)
        query = (
            f"SELECT SUM(amount) FROM {table} "
            "WHERE day >= CAST(:period_start AS date) AND day < CAST(:period_end AS date)"
        )
        reading = SqlReader(Path(".")).read(source, [kpi(query=query)], [OCT, SEP])
        assert {"2026-10": 12.0, "2026-09": None} == reading.values["k"]
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP TABLE {table}"))
        engine.dispose()


def test_missing_sqlite_file_is_permanent(tmp_path: Path) -> None:
    """A SQLite path that does not exist is not created silently."""
    source = SqlSource(id="wh", kind="sql", url="sqlite:///nope.sqlite")
    with pytest.raises(SourceError) as error:
        SqlReader(tmp_path).read(source, [kpi(query="SELECT 1")], [OCT])
    assert error.value.permanent
    assert not (tmp_path / "nope.sqlite").exists()


def test_csv_aggregates_rows_of_a_month(tmp_path: Path) -> None:
    """Daily rows combine per month (sum by default, mean when asked); absent months are None."""
    (tmp_path / "m.csv").write_text(
        "date,signups,nps\n2026-10-01,3,40\n2026-10-02,4,50\n2026-09-30,9,10\n"
    )
    source = CsvSource(id="c", kind="csv", path=Path("m.csv"), period_column="date")
    kpis = [kpi(id="signups", column="signups"), kpi(id="nps", column="nps", aggregate="mean")]
    values = read_csv(source, tmp_path, kpis, [OCT, SEP, Month(2026, 8)]).values
    assert {"2026-08": None, "2026-09": 9.0, "2026-10": 7.0} == values["signups"]
    assert 45.0 == values["nps"]["2026-10"]


def test_csv_missing_period_column_is_permanent(tmp_path: Path) -> None:
    """Without its period column the file is unusable for every KPI: a config mistake."""
    (tmp_path / "m.csv").write_text("month,a\n2026-10,1\n")
    source = CsvSource(id="c", kind="csv", path=Path("m.csv"))
    with pytest.raises(SourceError) as error:
        read_csv(source, tmp_path, [kpi(column="a")], [OCT])
    assert (f"{tmp_path / 'm.csv'}: no column 'period'", True) == (
        str(error.value),
        error.value.permanent,
    )


class MetricsApi:
    """Answers with the month's users behind a bearer token; ``status`` injects a failure."""

    status = 200

    @classmethod
    def respond(cls, request: BaseHTTPRequestHandler) -> tuple[int, object]:
        authorised = request.headers.get("Authorization") == "Bearer s3cret"
        document = {"data": {"users": 1000 + int(request.path[-2:])}}
        return (cls.status if authorised else 401), document


@pytest.fixture
def metrics_api() -> Iterator[str]:
    with json_endpoint(MetricsApi.respond) as url:
        yield url
    MetricsApi.status = 200


def test_http_reads_dotted_path_with_token(
    metrics_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token comes from the environment and the value from a dotted path, per month."""
    monkeypatch.setenv("METRICS_TOKEN", "s3cret")
    source = HttpSource(id="api", kind="http", url=metrics_api, token_env="METRICS_TOKEN")
    reading = read_http(source, [kpi(column="data.users")], [OCT, SEP])
    assert {"2026-10": 1010.0, "2026-09": 1009.0} == reading.values["k"]


@pytest.mark.parametrize(("status", "permanent"), [(401, True), (503, False), (429, False)])
def test_http_errors(
    metrics_api: str, monkeypatch: pytest.MonkeyPatch, status: int, permanent: bool
) -> None:
    """Client errors are permanent, server errors and rate limits are retried."""
    monkeypatch.setenv("METRICS_TOKEN", "s3cret")
    MetricsApi.status = status
    source = HttpSource(id="api", kind="http", url=metrics_api, token_env="METRICS_TOKEN")
    with pytest.raises(SourceError) as error:
        read_http(source, [kpi(column="data.users")], [OCT])
    assert (f"source 'api': HTTP {status}", permanent) == (
        str(error.value).split(" from ")[0],
        error.value.permanent,
    )


def test_gather_maps_permanent_errors_to_non_retryable(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """The activity turns a permanent source error into a non-retryable ApplicationError."""
    broken = example_config.model_copy(deep=True)
    broken._base_dir = tmp_path
    with pytest.raises(ApplicationError) as error:
        ActivityEnvironment().run(
            KpiDataActivities(broken).gather_source,
            GatherSourceInput(source_id="product-metrics", kpi_ids=["nps"], periods=["2026-10"]),
        )
    assert error.value.non_retryable


def test_plan_snapshots_audiences_and_defaults(example_config: OpsRhythmConfig) -> None:
    """The plan lists each audience's KPIs and recipients, and fills tolerances from the ritual."""
    plan = KpiDataActivities(example_config).plan_report(
        PlanReportInput(ritual_id="monthly-kpi-report", period="2026-10")
    )
    leadership = next(a for a in plan.audiences if a.audience_id == "leadership")
    assert ["ben.carter@acme.example", "chloe.dubois@acme.example", "dev.patel@acme.example"] == [
        r.email for r in leadership.recipients
    ]
    assert "activation-rate" not in leadership.kpi_ids
    churn = next(k for k in plan.kpis if k.kpi_id == "logo-churn")
    assert (0.1, 0.10, "lower") == (churn.tolerance, churn.notable_change, churn.direction)
    assert [("warehouse", 6), ("product-metrics", 3)] == [
        (s.source_id, len(s.kpi_ids)) for s in plan.sources
    ]


def test_plan_unknown_ritual_is_non_retryable(example_config: OpsRhythmConfig) -> None:
    """A ritual removed from the config fails the run at once with the known ids."""
    with pytest.raises(ApplicationError) as error:
        KpiDataActivities(example_config).plan_report(
            PlanReportInput(ritual_id="nope", period="2026-10")
        )
    assert ("unknown ritual 'nope' (known: monthly-kpi-report)", True) == (
        error.value.message,
        error.value.non_retryable,
    )


def test_gather_heartbeats_after_each_kpi(example_config: OpsRhythmConfig) -> None:
    """A worker lost mid-gather is noticed within the heartbeat timeout, not the activity's."""
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    env.run(
        KpiDataActivities(example_config).gather_source,
        GatherSourceInput(
            source_id="warehouse", kpi_ids=["mrr", "signups"], periods=["2026-10", "2026-09"]
        ),
    )
    assert ["mrr", "signups"] == beats


def test_http_gather_heartbeats_after_each_month(
    metrics_api: str, monkeypatch: pytest.MonkeyPatch, example_config: OpsRhythmConfig
) -> None:
    """An HTTP source makes one request per month, and heartbeats after each."""
    monkeypatch.setenv("METRICS_TOKEN", "s3cret")
    config = example_config.model_copy(deep=True)
    config.sources.append(
        HttpSource(id="api", kind="http", url=metrics_api, token_env="METRICS_TOKEN")
    )
    config.kpis.append(kpi(id="users", source="api", column="data.users"))
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    env.run(
        KpiDataActivities(config).gather_source,
        GatherSourceInput(source_id="api", kpi_ids=["users"], periods=["2026-10", "2026-09"]),
    )
    assert ["2026-10", "2026-09"] == beats
