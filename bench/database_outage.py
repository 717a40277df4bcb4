"""Benchmark: the ledger database goes down before a KPI report's send; how long until the run
fails, what it says, and how much failure the history and the log hold.

The real worker (``build_worker``, its retry policies unscaled) serves an embedded dev server;
the ledger is PostgreSQL on 127.0.0.1:5432 reached through ``tests.tcp_proxy``, which is cut
once the worker has checked the schema. ``--silent`` makes the proxy swallow connections
instead of refusing them (a dropped link: every attempt waits out the connect timeout). Run from
the repo root: ``python -m bench.database_outage [--silent]``; it takes about two to three
minutes and the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config_loader import load_config
from opsrhythm.platform import search_attributes
from opsrhythm.platform.db.startup import startup_check
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.platform.temporal_runtime import failure_message, find_binary
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from tests.databases import postgres_schema
from tests.tcp_proxy import tcp_proxy
from worker import build_worker

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "acme" / "opsrhythm.yaml"
PASSWORD = "bench-secret"


async def measure(silent: bool) -> dict[str, object]:
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logging.getLogger("temporalio").addHandler(handler)
    with (
        tempfile.TemporaryDirectory() as scratch,
        postgres_schema() as direct,
        tcp_proxy("127.0.0.1", 5432) as proxy,
    ):
        url = sa.make_url(direct).set(port=proxy.port, password=PASSWORD)
        os.environ["OPSRHYTHM_DATABASE_URL"] = url.render_as_string(hide_password=False)
        os.environ["OPSRHYTHM_OUTBOX"] = str(Path(scratch) / "outbox")
        startup_check()  # as `opsrhythm worker` does; then the database goes away
        proxy.silence() if silent else proxy.cut()
        env = await WorkflowEnvironment.start_local(
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=find_binary("temporal"),
            search_attributes=search_attributes.ALL,
        )
        queue = f"outage-{uuid.uuid4().hex[:8]}"
        config = load_config(EXAMPLE)
        began = time.monotonic()
        async with build_worker(
            env.client, config, task_queue=queue, archive_dir=Path(scratch) / "archive"
        ):
            handle = await env.client.start_workflow(
                KPI_REPORT.workflow,
                RitualRunInput(ritual_id="monthly-kpi-report", period="2026-10"),
                id=f"outage-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            )
            try:
                await handle.result()
                message = "(completed)"
            except WorkflowFailureError as failure:
                message = failure_message(failure)
        seconds = time.monotonic() - began
        largest = 0
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
                failed = event.activity_task_failed_event_attributes.failure
                largest = max(largest, failed.ByteSize())
        await env.shutdown()
        outbox = sorted(path.name for path in (Path(scratch) / "outbox").glob("*"))
    text = log.getvalue()
    return {
        "mode": "silent" if silent else "refused",
        "seconds_until_the_run_failed": round(seconds, 1),
        "failure": message,
        "password_shown": PASSWORD in text or PASSWORD in message,
        "largest_activity_failure_bytes": largest,
        "log_bytes": len(text),
        "log_tracebacks": text.count("Traceback"),
        "outbox_files": outbox,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--silent", action="store_true", help="swallow, do not refuse")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.silent))))


if __name__ == "__main__":
    main()
