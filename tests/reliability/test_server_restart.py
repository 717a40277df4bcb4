"""The dev server restarted on its --db-filename mid-run (issue #10): the run completes.

A report to 2,109 recipients with an approval step, on ``temporal server start-dev
--db-filename`` with the real ``opsrhythm worker`` kept running throughout (it must reconnect
by itself). The server is stopped (SIGTERM) and started again on the same port and file twice:
while the report awaits approval, and while its 2nd request to 'everyone' is held open at
SendGrid, answered only once the server is back. Then the report is approved from the CLI and
every recipient is emailed exactly once, with no outcome left unknown.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from opsrhythm.platform.temporal_runtime import query_status
from tests.reliability.kill_counts import deliveries
from tests.reliability.kill_scenario import REPORT_ID
from tests.reliability.kill_world import APPROVERS, PERIOD, RITUAL, World, world

pytestmark = pytest.mark.dev_server
WAIT_SECONDS = 60.0


async def awaiting_approval(w: World) -> None:
    client = await w.client()
    deadline = time.monotonic() + WAIT_SECONDS
    while (await query_status(client, REPORT_ID)).get("step") != "awaiting approval":
        assert time.monotonic() < deadline, "the report never asked for approval"
        await asyncio.sleep(0.1)


async def restart_server(w: World) -> None:
    w.server.stop()
    await asyncio.to_thread(w.server.start)


async def test_a_report_survives_two_server_restarts_with_the_worker_running(
    tmp_path: Path,
) -> None:
    """Restarted while awaiting approval and mid-send: completed, each recipient once."""
    with world(tmp_path, recipients=2100, feedback_items=1, seed=0, slow_gather=False) as w:
        assert 0 == (await w.cli("run", RITUAL, "--period", PERIOD))[0]
        await awaiting_approval(w)
        await restart_server(w)
        await awaiting_approval(w)  # the restarted server still has the run, waiting
        held = w.gate.hold("everyone", "report", 2, deliver=True)
        assert 0 == (await w.cli("approve", REPORT_ID, "--as", APPROVERS["dev"]))[0]
        assert await asyncio.to_thread(held.wait, WAIT_SECONDS), "the 2nd request never came"
        await restart_server(w)
        held.answer = True
        w.gate.release()
        code, out, err = await w.cli("run", RITUAL, "--period", PERIOD, "--wait")
        unknown = json.loads((await w.cli("ledger", "unknown", "--json"))[1])["unknown"]
        report = deliveries(w)
        assert (1, True) == (w.worker.starts, w.worker.running)
    assert (0, True) == (code, "everyone: 2100 sent, 0 skipped, 0 failed" in out), out + err
    assert ([], 2111, 2111, 0, 0) == (
        unknown,
        report.intended,
        report.made,
        report.duplicated,
        report.missing,
    )
