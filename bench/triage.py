"""Benchmark: 10,000 feedback items triaged through Temporal against the same code in-process.

Both import one generated CSV into a fresh SQLite feedback ledger with the example config's
rules: parsing, routing, dedupe and ledger writes. The Temporal side is the real
``FeedbackTriageWorkflow`` on an embedded dev server with one worker, timed from the start of
the workflow to its result. Run from the repo root: ``python -m bench.triage [--items N]``.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.worker import Worker

from activities.feedback import FeedbackActivities
from opsrhythm.config_loader import load_config
from opsrhythm.platform.db.migrate import upgrade
from opsrhythm.platform.temporal_runtime import embedded_server
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import read_file
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.temporal_import import run_import
from opsrhythm.rituals.feedback.triage import triage_all
from workflows.feedback_triage import FeedbackTriageWorkflow

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme" / "opsrhythm.yaml"
WORDS = [
    "invoice",
    "refund",
    "sso",
    "saml",
    "dashboard",
    "export",
    "chart",
    "api",
    "webhook",
    "slack",
    "salesforce",
    "onboarding",
    "invite",
    "trial",
    "password",
    "permissions",
    "mobile",
    "crash",
    "slow",
    "search",
    "filter",
    "report",
    "email",
    "alert",
    "calendar",
    "timezone",
    "import",
    "upload",
    "billing",
    "pricing",
    "audit",
    "login",
    "theme",
    "layout",
    "sync",
    "offline",
    "latency",
    "widget",
    "table",
    "column",
    "sorting",
    "pagination",
    "notification",
    "integration",
    "hubspot",
    "csv",
]
FILLER = [
    "the",
    "app",
    "our",
    "team",
    "needs",
    "when",
    "we",
    "try",
    "it",
    "would",
    "be",
    "great",
    "if",
    "please",
    "fix",
    "soon",
]


def generate(path: Path, items: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "submitter", "source", "customer", "segment", "arr", "created_at"])
        for i in range(items):
            words = rng.sample(WORDS, 3) + rng.sample(FILLER, 5) + [f"case{i}"]
            rng.shuffle(words)
            writer.writerow(
                [
                    " ".join(words).capitalize(),
                    f"user{rng.randrange(400)}@customer{rng.randrange(300)}.test",
                    rng.choice(["sales", "support", "customer", "internal"]),
                    f"Customer {rng.randrange(300)}",
                    rng.choice(["enterprise", "mid-market", "smb"]),
                    rng.choice([0, 5000, 24000, 60000, 150000]),
                    (start + timedelta(minutes=i)).isoformat(),
                ]
            )


def in_process(path: Path, settings: FeedbackSettings, db: Path) -> tuple[float, int]:
    url = f"sqlite:///{db}"
    upgrade(url)
    ledger = FeedbackLedger.from_url(url)
    began = time.perf_counter()
    rows = read_file(path, now=datetime.now(UTC))
    summary = triage_all(rows, settings, ledger, origin=path.name, now=datetime.now(UTC))
    elapsed = time.perf_counter() - began
    ledger.close()
    return elapsed, summary.imported


async def through_temporal(path: Path, settings: FeedbackSettings, db: Path) -> tuple[float, int]:
    url = f"sqlite:///{db}"
    upgrade(url)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    settings = load_config(EXAMPLE).feedback
    assert settings is not None
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "feedback.csv"
        generate(source, args.items)
        local_s, local_n = in_process(source, settings, work / "local.db")
        print(f"in-process: {local_n} items in {local_s:.2f} s ({local_n / local_s:,.0f}/s)")
        temporal_s, temporal_n = asyncio.run(through_temporal(source, settings, work / "wf.db"))
        rate = temporal_n / temporal_s
        print(f"Temporal:   {temporal_n} items in {temporal_s:.2f} s ({rate:,.0f}/s)")
    figures = {
        "items": args.items,
        "in_process_seconds": round(local_s, 3),
        "temporal_seconds": round(temporal_s, 3),
        "in_process_items_per_second": round(local_n / local_s, 1),
        "temporal_items_per_second": round(temporal_n / temporal_s, 1),
        "ratio": round(local_s / temporal_s, 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
