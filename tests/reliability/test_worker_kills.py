"""The real worker SIGKILLed mid-run (issue #10): every email once, and no feedback item lost.

One run of the kill harness for the module: a report to 2,109 recipients with an approval
step, and a 2,000-row feedback import, with ``opsrhythm worker`` SIGKILLed and restarted at two
seeded points: inside the import's first chunk after its first heartbeat, while the report
awaits approval; and while the report's 1st or 2nd request to 'everyone' is held after SendGrid
accepted it. The import overlaps the report, so their heartbeat timeouts (20 s and 15 s) run
at once.
``python -m bench.kill_soak`` runs the same harness at 20 and more points.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from opsrhythm.platform.ledger_keys import MessageKey
from opsrhythm.rituals.feedback.temporal_import import run_import
from opsrhythm.rituals.feedback.workflow_models import ImportCounts
from tests.reliability import kill_scenario
from tests.reliability.kill_counts import Deliveries, Settlement, deliveries, settle
from tests.reliability.kill_plan import KillPoint, report_send
from tests.reliability.kill_scenario import REPORT_ID, Outcome
from tests.reliability.kill_world import message_kind, world

SEED = 10
RECIPIENTS = 2100
FEEDBACK_ITEMS = 2000
pytestmark = pytest.mark.dev_server


def points(seed: int) -> list[KillPoint]:
    rng = random.Random(seed)
    return [
        KillPoint("feedback-chunk", nth=1, delay=rng.uniform(0.0, 0.1), after_heartbeat=True),
        report_send("everyone", rng.choice([1, 2]), deliver=True),
    ]


@dataclass(frozen=True)
class KilledRun:
    outcome: Outcome
    before: Deliveries
    settlement: Settlement
    after: Deliveries
    feedback: tuple[int, int, int]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def killed(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[KilledRun]:
    folder: Path = tmp_path_factory.mktemp("worker-kills")
    with world(
        folder, recipients=RECIPIENTS, feedback_items=FEEDBACK_ITEMS, seed=SEED, slow_gather=False
    ) as w:
        outcome = await kill_scenario.run(w, points(SEED), overlap=True)
        before = deliveries(w)
        settlement = await settle(w)
        yield KilledRun(outcome, before, settlement, deliveries(w), w.feedback_counts())


async def test_every_kill_lands_on_its_step_while_the_runs_are_in_flight(
    killed: KilledRun,
) -> None:
    """Two kills, each while a run was open: in a chunk while the report awaited approval (no
    activity of its own running), then in the report's send."""
    kills = killed.outcome.kills
    assert ([], [True, True]) == (killed.outcome.skipped, [k.in_flight for k in kills])
    assert [{"triage_feedback_chunk#1"}, {"send_email#1"}] == [set(k.landed) for k in kills]


async def test_only_the_requests_in_flight_at_a_kill_are_unknown(killed: KilledRun) -> None:
    """The report's unknown outcomes are exactly the recipients of the unanswered requests."""
    in_flight = {
        MessageKey(REPORT_ID, audience, message_kind(message), email)
        for kill in killed.outcome.kills
        for audience, message, emails in kill.unanswered
        for email in emails
    }
    unknown = {key for key in killed.settlement.unknown if key.workflow_id == REPORT_ID}
    assert (in_flight, 1000) == (unknown, len(unknown & in_flight))


async def test_every_recipient_is_emailed_exactly_once(killed: KilledRun) -> None:
    """Before and after settling: all 2,111 intended emails made once, none twice."""
    intended = killed.before.intended
    assert (intended, 0, 0) == (killed.before.made, killed.before.duplicated, killed.before.missing)
    assert (1000, 0) == (killed.settlement.marked_sent, killed.settlement.resent)
    assert (intended, 0, 0) == (killed.after.made, killed.after.duplicated, killed.after.missing)


async def test_the_report_needs_attention_until_settled(killed: KilledRun) -> None:
    """`run --wait` exits 3 naming the unknown recipients, and the run ends once they are
    settled; the import ends 0."""
    assert (3, 0) == (killed.outcome.report_code, killed.outcome.import_code)
    assert "needs attention: 1000 recipient(s)" in killed.outcome.report_output
    assert killed.settlement.closed, "the run did not end once its unknown outcomes were settled"


async def test_no_feedback_item_is_lost_or_doubled(killed: KilledRun) -> None:
    """Every row of the file is stored once, with one 'routed' event."""
    assert (FEEDBACK_ITEMS, FEEDBACK_ITEMS, 0) == killed.feedback


class ImportWithoutWorker:
    """A client whose import finishes after a moment, and whose progress query is refused as
    the server refuses it about 30 s after the worker died (measured with the real worker)."""

    async def start_workflow(self, *args: Any, **kwargs: Any) -> ImportWithoutWorker:
        return self

    async def signal(self, *args: Any, **kwargs: Any) -> None:
        return None  # the server records the file's parts; no worker needed

    async def result(self) -> ImportCounts:
        await asyncio.sleep(1)
        return ImportCounts(rows=3, imported=3)

    async def query(self, *args: Any, **kwargs: Any) -> object:
        raise RPCError(
            "no poller seen for task queue recently, worker may be down",
            RPCStatusCode.FAILED_PRECONDITION,
            b"",
        )


async def test_a_refused_progress_query_does_not_end_the_wait_for_the_import(
    tmp_path: Path,
) -> None:
    """The import's result is awaited through a progress query the server refuses."""
    source = tmp_path / "feedback.csv"
    source.write_text("text,submitter\nSlow export,a@b.test\n")
    client = cast(Client, ImportWithoutWorker())
    counts = await run_import(client, source, lambda done, total: None, watch_sla=False)
    assert ImportCounts(rows=3, imported=3) == counts
