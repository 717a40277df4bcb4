"""Read KPI values per month from SQL databases, CSV files and HTTP JSON endpoints.

``SourceError.permanent`` separates mistakes a retry cannot fix (a missing column, a bad
query result) from outages worth retrying; the activity maps it onto Temporal's retries.
"""

from __future__ import annotations

import csv
import json
import os
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING, Any

from opsrhythm.platform.kpi_config import CsvSource, HttpSource, Kpi, SqlSource
from opsrhythm.platform.periods import Month

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

Values = dict[str, dict[str, float | None]]


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


class SqlReader:
    """Runs each KPI's query once per month; engines are kept per URL for the process.

    SQLAlchemy is imported on first use: it is the largest import a worker would otherwise
    pay for at start-up, before it can poll.
    """

    def __init__(self, base_dir: Path) -> None:
        self._base_dir = base_dir
        self._engines: dict[str, Engine] = {}

    def read(self, source: SqlSource, kpis: Sequence[Kpi], months: Iterable[Month]) -> Values:
        import sqlalchemy
        from sqlalchemy.exc import SQLAlchemyError

        engine = self._engine(source)
        values: Values = {kpi.id: {} for kpi in kpis}
        try:
            with engine.connect() as connection:
                for month in months:
                    params = {
                        "period": str(month),
                        "period_start": month.start.isoformat(),
                        "period_end": month.end.isoformat(),
                    }
                    for kpi in kpis:
                        row = connection.execute(sqlalchemy.text(kpi.query or ""), params).first()
                        where = f"KPI {kpi.id!r} query for {month}"
                        values[kpi.id][str(month)] = as_number(row[0] if row else None, where)
        except SQLAlchemyError as error:
            detail = str(error.orig if hasattr(error, "orig") and error.orig else error)
            raise SourceError(
                f"source {source.id!r}: {detail.splitlines()[0]}", permanent=False
            ) from None
        return values

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


def read_csv(
    source: CsvSource, base_dir: Path, kpis: Sequence[Kpi], months: Iterable[Month]
) -> Values:
    path = base_dir / source.path
    wanted = {str(month) for month in months}
    rows_by_period: dict[str, list[dict[str, str]]] = defaultdict(list)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = set(reader.fieldnames or [])
            for needed in {source.period_column, *(kpi.column or "" for kpi in kpis)}:
                if needed not in columns:
                    raise SourceError(f"{path}: no column {needed!r}", permanent=True)
            for row in reader:
                period = row[source.period_column].strip()[:7]
                if period in wanted:
                    rows_by_period[period].append(row)
    except OSError as error:
        permanent = isinstance(error, FileNotFoundError)
        raise SourceError(f"{path}: {error.strerror or error}", permanent=permanent) from None
    values: Values = {}
    for kpi in kpis:
        column = kpi.column or ""
        values[kpi.id] = {}
        for period in sorted(wanted):
            numbers = [
                number
                for row in rows_by_period.get(period, [])
                if (number := as_number(row[column], f"{path} {column} {period}")) is not None
            ]
            values[kpi.id][period] = _aggregate(numbers, kpi.aggregate)
    return values


def _aggregate(numbers: list[float], how: str) -> float | None:
    if not numbers:
        return None
    if how == "mean":
        return fmean(numbers)
    if how == "last":
        return numbers[-1]
    return sum(numbers)


def read_http(source: HttpSource, kpis: Sequence[Kpi], months: Iterable[Month]) -> Values:
    values: Values = {kpi.id: {} for kpi in kpis}
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
            raw = _dig(document, kpi.column or "")
            values[kpi.id][str(month)] = as_number(
                raw, f"source {source.id!r} {kpi.column} {month}"
            )
    return values


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
