"""Benchmark: 10,000 open items reaching their SLA warning at once, watched by one workflow.

Items are triaged in-process into a fresh SQLite ledger, their warning time is set to now, and
the real ``FeedbackSlaWorkflow`` (one workflow for every item) sweeps them on an embedded dev
server. It reports the time from the watcher's start until every item is marked warned, the
emails sent (one per owner), and the dev server's resident memory before and after. Run from the
repo root: ``python -m bench.sla [--items N]``; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from temporalio.worker import Worker

from activities.feedback_sla import FeedbackSlaActivities
from bench.triage import EXAMPLE, generate
from opsrhythm.config_loader import load_config
from opsrhythm.platform.db.migrate import upgrade
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.contract import MessageTags
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.temporal_runtime import embedded_server
from opsrhythm.rituals.feedback.intake import read_file
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.sla_models import SlaWatchInput
from opsrhythm.rituals.feedback.triage import triage_all
from workflows.feedback_sla import FeedbackSlaWorkflow


class CountingTransport:
    def __init__(self) -> None:
        self.emails = 0

    @property
    def name(self) -> Literal["outbox", "sendgrid"]:
        return "outbox"

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        self.emails += len(recipients)


def server_rss_mb() -> float:
    """Resident memory of our child ``temporal server`` processes, in MB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().split()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if int(stat[3]) == os.getpid() and b"start-dev" in cmdline:
                status = (entry / "status").read_text()
                total += int(
                    next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1]
                )
        except (OSError, ValueError, StopIteration):
            continue
    return round(total / 1024, 1)


async def watch(
    ledger: FeedbackLedger, activities: FeedbackSlaActivities, items: int
) -> dict[str, float]:
    queue = f"bench-{uuid.uuid4()}"
    warned = sa.select(sa.func.count()).where(ledger.items.c.warned_at.is_not(None))
    async with (
        embedded_server() as server,
        Worker(
            server.client,
            task_queue=queue,
            workflows=[FeedbackSlaWorkflow],
            activities=[activities.sweep_sla],
            activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
        ),
    ):
        before = server_rss_mb()
        began = time.perf_counter()
        handle = await server.client.start_workflow(
            FeedbackSlaWorkflow.run, SlaWatchInput(), id=f"sla-{uuid.uuid4()}", task_queue=queue
        )
        while True:
            with ledger.engine.connect() as conn:
                if (conn.scalar(warned) or 0) >= items:
                    break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - began
        after = server_rss_mb()
        await handle.terminate()
    return {
        "seconds_to_warn_all": round(elapsed, 3),
        "server_rss_mb_before": before,
        "server_rss_mb_after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    config = load_config(EXAMPLE)
    assert config.feedback is not None
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "feedback.csv"
        generate(source, args.items)
        url = f"sqlite:///{work / 'sla.db'}"
        upgrade(url)
        ledger, sends = FeedbackLedger.from_url(url), SendLedger.from_url(url)
        now = datetime.now(UTC)
        triage_all(read_file(source, now=now), config.feedback, ledger, origin="b", now=now)
        due = sa.and_(ledger.items.c.status == "new", ledger.items.c.duplicate_of.is_(None))
        with ledger.engine.begin() as conn:
            conn.execute(
                sa.update(ledger.items).where(due).values(warn_at=now - timedelta(seconds=1))
            )
            open_items = int(conn.scalar(sa.select(sa.func.count()).where(due)) or 0)
        transport = CountingTransport()
        activities = FeedbackSlaActivities(config, lambda: ledger, lambda: sends, transport)
        figures = asyncio.run(watch(ledger, activities, open_items))
    figures = {"open_items": open_items, "emails": transport.emails, "workflows": 1, **figures}
    print(f"warned {open_items} items in {figures['seconds_to_warn_all']} s with one workflow")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
