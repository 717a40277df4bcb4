"""One bad KPI degrades only that KPI: its query, column or value fails it alone, with one line
saying why, while an unreachable source stays a retryable failure of the whole source."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.kpi_data import KpiDataActivities
from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.kpi_config import CsvSource, HttpSource, Kpi, SqlSource
from opsrhythm.platform.periods import Month
from opsrhythm.rituals.kpi_report.models import GatherSourceInput
from opsrhythm.rituals.kpi_report.sources import SourceError, SqlReader, read_csv, read_http
from tests.databases import POSTGRES_URL
from tests.json_stub import json_endpoint

OCT, SEP = Month(2026, 10), Month(2026, 9)
# Days as ISO text compare the same way on SQLite and PostgreSQL.
SUM_OF_MONTH = "SELECT SUM(amount) FROM sales WHERE day >= :period_start AND day < :period_end"


def kpi(kpi_id: str = "k", **fields: object) -> Kpi:
    defaults: dict[str, object] = {
        "id": kpi_id,
        "name": kpi_id.title(),
        "owner": "ana",
        "source": "s",
        "audiences": ["a"],
    }
    return Kpi.model_validate(defaults | fields)


@pytest.fixture
def warehouse(tmp_path: Path) -> SqlSource:
    """A SQLite warehouse with October's sales: 5 + 7."""
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE sales (day text, amount int)"))
        connection.execute(
            sqlalchemy.text("INSERT INTO sales VALUES ('2026-10-01', 5), ('2026-10-31', 7)")
        )
    engine.dispose()
    return SqlSource(id="wh", kind="sql", url="sqlite:///db.sqlite")


@pytest.fixture
def postgres_warehouse() -> Iterator[SqlSource]:
    """The same warehouse in a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"kpi_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL, poolclass=sqlalchemy.NullPool)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
        connection.execute(sqlalchemy.text(f"CREATE TABLE {schema}.sales (day text, amount int)"))
        connection.execute(
            sqlalchemy.text(
                f"INSERT INTO {schema}.sales VALUES ('2026-10-01', 5), ('2026-10-31', 7)"
            )
        )
    try:
        yield SqlSource(id="pg", kind="sql", url=f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


BAD_QUERIES = {
    "missing-table": "SELECT SUM(x) FROM missing",
    "bad-column": "SELECT SUM(nope) FROM sales",
    "syntax": "SELEC 1",
    "unknown-parameter": "SELECT :quarter",
    "not-a-number": "SELECT 'many'",
    "no-rows-returned": "DELETE FROM sales WHERE 1 = 0",
}
SQLITE_REASONS = {
    "missing-table": "KPI 'missing-table' query: no such table: missing",
    "bad-column": "KPI 'bad-column' query: no such column: nope",
    "syntax": "KPI 'syntax' query: near \"SELEC\": syntax error",
    "unknown-parameter": "KPI 'unknown-parameter' query: "
    "A value is required for bind parameter 'quarter'",
    "not-a-number": "KPI 'not-a-number' query for 2026-10: expected a number, got 'many'",
    "no-rows-returned": "KPI 'no-rows-returned' query: "
    "This result object does not return rows. It has been closed automatically.",
}
POSTGRES_REASONS = SQLITE_REASONS | {
    "missing-table": "KPI 'missing-table' query: relation \"missing\" does not exist",
    "bad-column": "KPI 'bad-column' query: column \"nope\" does not exist",
    "syntax": "KPI 'syntax' query: syntax error at or near \"SELEC\"",
}


def bad_and_good_kpis() -> list[Kpi]:
    """Every kind of broken query, with good KPIs first, between and last."""
    kpis = [kpi("first", query=SUM_OF_MONTH)]
    kpis += [kpi(kpi_id, query=query) for kpi_id, query in BAD_QUERIES.items()]
    kpis.insert(3, kpi("middle", query=SUM_OF_MONTH))
    return [*kpis, kpi("last", query=SUM_OF_MONTH)]


def test_bad_queries_fail_only_their_kpi_on_sqlite(warehouse: SqlSource, tmp_path: Path) -> None:
    """Each broken query fails its own KPI with one line; the others on the source are read."""
    reading = SqlReader(tmp_path).read(warehouse, bad_and_good_kpis(), [OCT, SEP])
    good = {"2026-10": 12.0, "2026-09": None}
    assert {"first": good, "middle": good, "last": good} == reading.values
    assert SQLITE_REASONS == reading.errors


@pytest.mark.postgres
def test_bad_queries_fail_only_their_kpi_on_postgresql(postgres_warehouse: SqlSource) -> None:
    """PostgreSQL aborts the transaction of a failed query: the KPIs after it are still read."""
    reading = SqlReader(Path(".")).read(postgres_warehouse, bad_and_good_kpis(), [OCT, SEP])
    good = {"2026-10": 12.0, "2026-09": None}
    assert {"first": good, "middle": good, "last": good} == reading.values
    assert POSTGRES_REASONS == reading.errors


@pytest.mark.postgres
def test_connection_lost_mid_read_is_retryable_for_the_source(
    postgres_warehouse: SqlSource,
) -> None:
    """A connection that dies during a query is an outage of the source, not the KPI's fault."""
    kpis = [kpi("dies", query="SELECT pg_terminate_backend(pg_backend_pid())")]
    with pytest.raises(SourceError) as error:
        SqlReader(Path(".")).read(postgres_warehouse, [*kpis, kpi(query=SUM_OF_MONTH)], [OCT])
    assert ("source 'pg': terminating connection due to administrator command", False) == (
        str(error.value),
        error.value.permanent,
    )


@pytest.mark.postgres
def test_unreachable_server_is_retryable_for_the_source() -> None:
    """Nothing listening: the whole source fails, retryable, naming the source."""
    source = SqlSource(id="pg", kind="sql", url="postgresql+psycopg://postgres@127.0.0.1:1/test")
    with pytest.raises(SourceError) as error:
        SqlReader(Path(".")).read(source, [kpi(query="SELECT 1")], [OCT])
    assert str(error.value).startswith("source 'pg': connection failed")
    assert not error.value.permanent


def test_locked_sqlite_file_is_retryable_for_the_source(
    warehouse: SqlSource, tmp_path: Path
) -> None:
    """SQLite says "database is locked" with the same class as "no such table": its code decides."""
    holder = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        source = warehouse.model_copy(update={"url": "sqlite:///db.sqlite?timeout=0.05"})
        with pytest.raises(SourceError) as error:
            SqlReader(tmp_path).read(source, [kpi(query=SUM_OF_MONTH)], [OCT])
    finally:
        holder.close()
    assert ("source 'wh': database is locked", False) == (str(error.value), error.value.permanent)


def test_gather_returns_kpi_errors_and_the_other_values(example_config: OpsRhythmConfig) -> None:
    """The activity succeeds with the broken KPI in ``errors`` and the rest in ``values``."""
    broken = example_config.model_copy(deep=True)
    mrr = broken.kpi("mrr")
    broken.kpis[broken.kpis.index(mrr)] = mrr.model_copy(update={"query": "SELECT 1 FROM gone"})
    result = ActivityEnvironment().run(
        KpiDataActivities(broken).gather_source,
        GatherSourceInput(source_id="warehouse", kpi_ids=["mrr", "signups"], periods=["2026-10"]),
    )
    assert {"mrr": "KPI 'mrr' query: no such table: gone"} == result.errors
    assert ["signups"] == list(result.values)
    assert result.values["signups"]["2026-10"] is not None


@pytest.mark.postgres
def test_gather_marks_an_unreachable_source_retryable(example_config: OpsRhythmConfig) -> None:
    """An outage fails the activity as SourceUnavailable, which Temporal retries."""
    down = example_config.model_copy(deep=True)
    source = down.source("warehouse")
    assert isinstance(source, SqlSource)
    down.sources[down.sources.index(source)] = source.model_copy(
        update={"url": "postgresql+psycopg://postgres@127.0.0.1:1/test"}
    )
    with pytest.raises(ApplicationError) as error:
        ActivityEnvironment().run(
            KpiDataActivities(down).gather_source,
            GatherSourceInput(source_id="warehouse", kpi_ids=["mrr"], periods=["2026-10"]),
        )
    assert ("SourceUnavailable", False) == (error.value.type, error.value.non_retryable)


def test_csv_missing_column_or_bad_value_fails_only_its_kpi(tmp_path: Path) -> None:
    """A column the file lacks, or a cell that is not a number, fails that KPI alone."""
    (tmp_path / "m.csv").write_text("period,a,b\n2026-10,1,2\n2026-10,3,lots\n")
    source = CsvSource(id="c", kind="csv", path=Path("m.csv"))
    kpis = [kpi("a", column="a"), kpi("b", column="b"), kpi("z", column="z")]
    reading = read_csv(source, tmp_path, kpis, [OCT])
    path = tmp_path / "m.csv"
    assert {"a": {"2026-10": 4.0}} == reading.values
    assert {
        "b": f"{path} b 2026-10: expected a number, got 'lots'",
        "z": f"{path}: no column 'z'",
    } == reading.errors


@pytest.fixture
def metrics_url() -> Iterator[str]:
    with json_endpoint(lambda request: (200, {"data": {"users": 1010, "plan": "pro"}})) as url:
        yield url


def test_http_bad_path_fails_only_its_kpi(metrics_url: str) -> None:
    """A path to a non-number fails its KPI; a path the document lacks is that KPI's no value."""
    source = HttpSource(id="api", kind="http", url=metrics_url)
    kpis = [kpi("users", column="data.users"), kpi("plan", column="data.plan")]
    reading = read_http(source, [*kpis, kpi("gone", column="data.gone")], [OCT, SEP])
    assert {
        "users": {"2026-10": 1010.0, "2026-09": 1010.0},
        "gone": {"2026-10": None, "2026-09": None},
    } == reading.values
    assert {"plan": "source 'api' data.plan 2026-10: expected a number, got 'pro'"} == (
        reading.errors
    )
