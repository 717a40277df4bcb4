"""Benchmark: a feedback import against a raw insert of the same rows, and through Temporal.

For each ``--rows N`` a CSV of N rows is generated, 40% of them near-duplicates of an earlier
row from the same customer, and timed three ways on ``--database URL`` (default: a SQLite
file), each into its own fresh schema: the import in process (parse, route, dedupe, write:
``read_file`` and ``triage_all``), a raw SQLAlchemy ``executemany`` of the same parsed rows
into a plain table, and, for the smallest N, the real ``FeedbackTriageWorkflow`` on an embedded
dev server with one worker. On PostgreSQL each run gets a schema of its own, dropped after.
Goals (issue 14): the import at least 0.25x the raw rate at 20,000 rows on PostgreSQL, and
100,000 rows in at most 6x the time of 20,000. ``--repeat N`` keeps the fastest of N runs of
each (a shared machine's load swings single runs by 2x). Run from the repo root:
``python -m bench.triage --database postgresql+psycopg://user@host/db --rows 20000 100000``.
The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import csv
import json
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from temporalio.worker import Worker

from activities.feedback import FeedbackActivities
from opsrhythm.config_loader import load_config
from opsrhythm.platform.db.migrate import upgrade
from opsrhythm.platform.temporal_runtime import embedded_server
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import read_file
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.temporal_import import run_import
from opsrhythm.rituals.feedback.triage import ImportSummary, triage_all
from workflows.feedback_triage import FeedbackTriageWorkflow

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme" / "opsrhythm.yaml"


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words(
    "invoice refund sso saml dashboard export chart api webhook slack salesforce onboarding "
    "invite trial password permissions mobile crash slow search filter report email alert "
    "calendar timezone import upload billing pricing audit login theme layout sync offline "
    "latency widget table column sorting pagination notification integration hubspot csv"
)
FILLER = _words("the app our team needs when we try it would be great if please fix soon")
COLUMNS = ["text", "submitter", "source", "customer", "segment", "arr", "created_at"]
NEAR_DUPLICATES = 0.4


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Rows whose text is new, or (40%) an earlier row's sent again with a word changed."""
    rng = random.Random(seed)
    start = datetime(2026, 6, 1, tzinfo=UTC)  # every row in the past, 30 s apart
    originals: list[tuple[list[str], str]] = []
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            if originals and rng.random() < NEAR_DUPLICATES:
                words, customer = rng.choice(originals)
                words = [*words[1:], rng.choice(FILLER)]
                rng.shuffle(words)
            else:
                words = rng.sample(WORDS, 3) + rng.sample(FILLER, 5) + [f"case{i}"]
                rng.shuffle(words)
                customer = f"Customer {rng.randrange(300)}"
                originals.append((words, customer))
            writer.writerow(
                [
                    " ".join(words).capitalize(),
                    f"user{rng.randrange(400)}@customer{rng.randrange(300)}.test",
                    rng.choice(["sales", "support", "customer", "internal"]),
                    customer,
                    rng.choice(["enterprise", "mid-market", "smb"]),
                    rng.choice([0, 5000, 24000, 60000, 150000]),
                    (start + timedelta(seconds=30 * i)).isoformat(),
                ]
            )


@contextmanager
def fresh_database(url: str | None, folder: Path) -> Iterator[str]:
    """A new, upgraded database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if url is None or url.startswith("sqlite"):
        fresh = f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
        upgrade(fresh)
        yield fresh
        return
    name = f"bench_triage_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, poolclass=sa.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    joiner = "&" if "?" in url else "?"
    fresh = f"{url}{joiner}options=-csearch_path%3D{name}"
    try:
        upgrade(fresh)
        yield fresh
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def in_process(path: Path, settings: FeedbackSettings, url: str) -> tuple[float, ImportSummary]:
    ledger = FeedbackLedger.from_url(url)
    began = time.perf_counter()
    rows = read_file(path, now=datetime.now(UTC))
    summary = triage_all(rows, settings, ledger, origin=path.name, now=datetime.now(UTC))
    elapsed = time.perf_counter() - began
    ledger.close()
    return elapsed, summary


def raw_insert(path: Path, url: str) -> float:
    """``executemany`` of the file's parsed rows into a plain table with the same columns."""
    with path.open(newline="") as handle:
        rows: list[dict[str, Any]] = list(csv.DictReader(handle))
    for row in rows:
        row["arr"] = float(row["arr"])
        row["created_at"] = datetime.fromisoformat(row["created_at"])
    meta = sa.MetaData()
    table = sa.Table(
        "bench_raw_feedback",
        meta,
        sa.Column("text", sa.Text()),
        sa.Column("submitter", sa.String(320)),
        sa.Column("source", sa.String(16)),
        sa.Column("customer", sa.String(255)),
        sa.Column("segment", sa.String(64)),
        sa.Column("arr", sa.Float()),
        sa.Column("created_at", sa.DateTime(timezone=True)),
    )
    engine = sa.create_engine(url)
    meta.create_all(engine)
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.insert(table), rows)
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed


async def through_temporal(path: Path, settings: FeedbackSettings, url: str) -> tuple[float, int]:
    ledger = FeedbackLedger.from_url(url)
    activities = FeedbackActivities(settings, lambda: ledger)
    queue = f"bench-{uuid.uuid4()}"
    async with (
        embedded_server() as server,
        Worker(
            server.client,
            task_queue=queue,
            workflows=[FeedbackTriageWorkflow],
            activities=[activities.plan_feedback_import, activities.triage_feedback_chunk],
            activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=4),
        ),
    ):
        began = time.perf_counter()
        counts = await run_import(
            server.client, path, lambda *p: None, task_queue=queue, watch_sla=False
        )
        elapsed = time.perf_counter() - began
    ledger.close()
    return elapsed, counts.imported


def measure(
    rows: int, url: str | None, settings: FeedbackSettings, temporal: bool, repeat: int
) -> dict[str, Any]:
    """The fastest of ``repeat`` runs of each, every run on a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "feedback.csv"
        generate(source, rows)
        imports, raws = [], []
        for _ in range(repeat):
            with fresh_database(url, work) as fresh:
                imports.append(in_process(source, settings, fresh))
            with fresh_database(url, work) as fresh:
                raws.append(raw_insert(source, fresh))
        import_s, summary = min(imports, key=lambda run: run[0])
        raw_s = min(raws)
        figures: dict[str, Any] = {
            "rows": rows,
            "imported": summary.imported,
            "linked": summary.linked,
            "quarantined": summary.quarantined,
            "import_seconds": round(import_s, 3),
            "raw_seconds": round(raw_s, 3),
            "import_rows_per_second": round(rows / import_s, 1),
            "raw_rows_per_second": round(rows / raw_s, 1),
            "ratio_to_raw": round(raw_s / import_s, 3),
        }
        print(
            f"{rows:,} rows: import {import_s:.2f} s ({rows / import_s:,.0f}/s, "
            f"{summary.imported:,} stored, {summary.linked:,} linked)"
            f", raw executemany {raw_s:.2f} s ({rows / raw_s:,.0f}/s): "
            f"{raw_s / import_s:.2f}x the raw rate"
        )
        if temporal:
            runs = []
            for _ in range(repeat):
                with fresh_database(url, work) as fresh:
                    runs.append(asyncio.run(through_temporal(source, settings, fresh))[0])
            temporal_s = min(runs)
            figures["temporal_seconds"] = round(temporal_s, 3)
            figures["temporal_ratio"] = round(import_s / temporal_s, 3)
            print(
                f"{rows:,} rows through Temporal: {temporal_s:.2f} s "
                f"({import_s / temporal_s:.2f}x the in-process rate)"
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000])
    parser.add_argument("--no-temporal", action="store_true", help="skip the Temporal run")
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest of N runs")
    args = parser.parse_args()
    settings = load_config(EXAMPLE).feedback
    assert settings is not None
    sizes = sorted(set(args.rows))
    runs = [
        measure(n, args.database, settings, not args.no_temporal and n == sizes[0], args.repeat)
        for n in sizes
    ]
    figures: dict[str, Any] = {
        "database": sa.make_url(args.database).get_backend_name() if args.database else "sqlite",
        "near_duplicates": NEAR_DUPLICATES,
        "repeat": args.repeat,
        "runs": runs,
    }
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        growth = large["import_seconds"] / small["import_seconds"]
        figures["time_growth"] = round(growth, 2)
        print(
            f"{large['rows']:,} rows took {growth:.2f}x the time of {small['rows']:,} "
            f"({large['rows'] / small['rows']:.0f}x the rows)"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
