"""Read KPI values per month from SQL databases, CSV files and HTTP JSON endpoints.

Two kinds of failure, kept apart. A source that cannot be read at all (database down, file
missing, HTTP error) raises ``SourceError``; ``permanent`` separates mistakes a retry cannot
fix from outages worth retrying, and the activity maps it onto Temporal's retries. One KPI
that cannot be read (its query fails, its column is missing, its value is not a number) is
that KPI's mistake only: the reader records one line in ``Reading.errors`` and goes on with
the others.
"""

from __future__ import annotations

import csv
import json
import os
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING, Any

from opsrhythm.platform.kpi_config import CsvSource, HttpSource, Kpi, SqlSource
from opsrhythm.platform.periods import Month

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.exc import SQLAlchemyError

Values = dict[str, dict[str, float | None]]
# Called with a KPI id (or a period) as each step finishes: the activity heartbeats there.
Progress = Callable[[str], None]
# Long enough for a query's own first line, short enough for a report and a failure notice.
_MAX_ERROR = 300


def _no_progress(step: str) -> None:
    pass


@dataclass
class Reading:
    """What a source gave: values of the KPIs it could read, and why the others failed."""

    values: Values = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, kpi_id: str, reason: str) -> None:
        self.values.pop(kpi_id, None)
        lines = reason.strip().splitlines() or ["unknown error"]
        self.errors[kpi_id] = lines[0][:_MAX_ERROR]


class SourceError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def as_number(raw: Any, where: str) -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise SourceError(f"{where}: expected a number, got {raw!r}", permanent=True)
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise SourceError(f"{where}: expected a number, got {raw!r}", permanent=True) from None


# Primary SQLite result codes a retry can cure: busy, locked, out of memory, interrupted,
# I/O error, disk full, cannot open, locking protocol. SQLITE_ERROR (1), a missing table or
# a syntax error, is the query's own mistake.
_SQLITE_OUTAGES = frozenset({5, 6, 7, 9, 10, 13, 14, 15})
# SQLSTATE prefixes of the same on PostgreSQL: connection exception, insufficient resources,
# the server shutting down or starting (57P*; 57014, a cancelled or timed-out query, is the
# query's), serialization failure, deadlock, lock not available, system (I/O) error.
_SQLSTATE_OUTAGES = ("08", "53", "57P", "40001", "40P01", "55P03", "58")
# SQLAlchemy's link to its error docs, which it appends to its own messages.
_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)$")


def is_outage(error: SQLAlchemyError) -> bool:
    """Whether a failed query says the database is unavailable, rather than the query wrong.

    SQLAlchemy marks a lost connection (``connection_invalidated``) for every dialect; beyond
    that the driver's own code decides, since SQLite reports a missing table and a locked file
    with the same OperationalError class.
    """
    from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(error, DisconnectionError | PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_SQLSTATE_OUTAGES)
    code = getattr(error.orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_OUTAGES
    return isinstance(error, InterfaceError)


def _sql_detail(error: SQLAlchemyError) -> str:
    """The driver's message, first line only: no SQL echo, no bound parameters, no link."""
    orig = getattr(error, "orig", None)
    text = str(orig if orig else error).strip()
    first = (text.splitlines() or ["unknown error"])[0]
    return _BACKGROUND.sub("", first)


class SqlReader:
    """Runs each KPI's query once per month; engines are kept per URL for the process.

    SQLAlchemy is imported on first use: it is the largest import a worker would otherwise
    pay for at start-up, before it can poll.
    """

    def __init__(self, base_dir: Path) -> None:
        self._base_dir = base_dir
        self._engines: dict[str, Engine] = {}

    def read(
        self,
        source: SqlSource,
        kpis: Sequence[Kpi],
        months: Iterable[Month],
        progress: Progress = _no_progress,
    ) -> Reading:
        """A failing query fails its KPI only; a database that cannot be reached fails them all."""
        from sqlalchemy.exc import SQLAlchemyError

        engine = self._engine(source)
        months = list(months)
        reading = Reading()
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            raise _outage(source, error) from None
        with connection:
            for kpi in kpis:
                try:
                    reading.values[kpi.id] = self._series(connection, kpi, months)
                except SQLAlchemyError as error:
                    if is_outage(error):
                        raise _outage(source, error) from None
                    reading.fail(kpi.id, f"KPI {kpi.id!r} query: {_sql_detail(error)}")
                    _roll_back(connection, source)
                except SourceError as error:
                    reading.fail(kpi.id, str(error))
                progress(kpi.id)
        return reading

    @staticmethod
    def _series(connection: Connection, kpi: Kpi, months: list[Month]) -> dict[str, float | None]:
        import sqlalchemy

        series: dict[str, float | None] = {}
        for month in months:
            params = {
                "period": str(month),
                "period_start": month.start.isoformat(),
                "period_end": month.end.isoformat(),
            }
            row = connection.execute(sqlalchemy.text(kpi.query or ""), params).first()
            where = f"KPI {kpi.id!r} query for {month}"
            series[str(month)] = as_number(row[0] if row else None, where)
        return series

    def _engine(self, source: SqlSource) -> Engine:
        import sqlalchemy
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        url_text = source.url or os.environ.get(source.url_env or "", "")
        if not url_text:
            raise SourceError(
                f"source {source.id!r}: environment variable {source.url_env} is not set",
                permanent=True,
            )
        if url_text not in self._engines:
            try:
                url = make_url(url_text)
            except ArgumentError:
                raise SourceError(f"source {source.id!r}: invalid URL", permanent=True) from None
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
                path = self._base_dir / url.database
                if not path.exists():
                    raise SourceError(f"source {source.id!r}: no file {path}", permanent=True)
                url = url.set(database=str(path))
            self._engines[url_text] = sqlalchemy.create_engine(url)
        return self._engines[url_text]


def _outage(source: SqlSource, error: SQLAlchemyError) -> SourceError:
    return SourceError(f"source {source.id!r}: {_sql_detail(error)}", permanent=False)


def _roll_back(connection: Connection, source: SqlSource) -> None:
    """End the failed query's transaction: PostgreSQL refuses every statement in it after."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        connection.rollback()
    except SQLAlchemyError as error:
        raise _outage(source, error) from None


def read_csv(
    source: CsvSource,
    base_dir: Path,
    kpis: Sequence[Kpi],
    months: Iterable[Month],
    progress: Progress = _no_progress,
) -> Reading:
    """A column missing or holding a non-number fails its KPI; a missing period column, all."""
    path = base_dir / source.path
    wanted = {str(month) for month in months}
    rows_by_period: dict[str, list[dict[str, str]]] = defaultdict(list)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or [])
            if source.period_column not in columns:
                raise SourceError(f"{path}: no column {source.period_column!r}", permanent=True)
            for row in reader:
                period = row[source.period_column].strip()[:7]
                if period in wanted:
                    rows_by_period[period].append(row)
    except OSError as error:
        permanent = isinstance(error, FileNotFoundError)
        raise SourceError(f"{path}: {error.strerror or error}", permanent=permanent) from None
    reading = Reading()
    for kpi in kpis:
        column = kpi.column or ""
        if column not in columns:
            reading.fail(kpi.id, f"{path}: no column {column!r}")
        else:
            try:
                reading.values[kpi.id] = {
                    period: _aggregate(
                        [
                            number
                            for row in rows_by_period.get(period, [])
                            if (number := as_number(row[column], f"{path} {column} {period}"))
                            is not None
                        ],
                        kpi.aggregate,
                    )
                    for period in sorted(wanted)
                }
            except SourceError as error:
                reading.fail(kpi.id, str(error))
        progress(kpi.id)
    return reading


def _aggregate(numbers: list[float], how: str) -> float | None:
    if not numbers:
        return None
    if how == "mean":
        return fmean(numbers)
    if how == "last":
        return numbers[-1]
    return sum(numbers)


def read_http(
    source: HttpSource,
    kpis: Sequence[Kpi],
    months: Iterable[Month],
    progress: Progress = _no_progress,
) -> Reading:
    """A request that fails fails every KPI; a value that is not a number fails its KPI only.

    A path the document lacks is no value for that month, as an API may omit old months.
    """
    reading = Reading(values={kpi.id: {} for kpi in kpis})
    headers = {"Accept": "application/json"}
    if source.token_env:
        token = os.environ.get(source.token_env)
        if not token:
            message = f"source {source.id!r}: environment variable {source.token_env} is not set"
            raise SourceError(message, permanent=True)
        headers["Authorization"] = f"Bearer {token}"
    for month in months:
        url = source.url.replace("{period}", str(month))
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=source.timeout_seconds) as response:
                document = json.load(response)
        except urllib.error.HTTPError as error:
            permanent = 400 <= error.code < 500 and error.code not in (408, 429)
            raise SourceError(
                f"source {source.id!r}: HTTP {error.code} from {url}", permanent=permanent
            ) from None
        except (urllib.error.URLError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            raise SourceError(f"source {source.id!r}: {reason} ({url})", permanent=False) from None
        except json.JSONDecodeError:
            raise SourceError(
                f"source {source.id!r}: {url} did not return JSON", permanent=True
            ) from None
        for kpi in kpis:
            if kpi.id in reading.errors:
                continue
            raw = _dig(document, kpi.column or "")
            try:
                number = as_number(raw, f"source {source.id!r} {kpi.column} {month}")
            except SourceError as error:
                reading.fail(kpi.id, str(error))
            else:
                reading.values[kpi.id][str(month)] = number
        progress(str(month))
    return reading


def _dig(document: Any, dotted: str) -> Any:
    """Follow ``a.b.0.c`` into nested JSON; a missing step means no value for that month."""
    node = document
    for step in dotted.split("."):
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None
    return node
