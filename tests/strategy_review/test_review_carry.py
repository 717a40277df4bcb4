"""Actions carried from one quarter's review into the next (issue 12): the example review with
the real activities, the actions store and the outbox, Q3 then Q4 on the time-skipping server.
An action recorded during Q3's review (as ``opsrhythm actions add`` does, with the review as
origin) and left open is carried (``opsrhythm actions carry``) and reaches its owner in Q4's
kick-off, and Q4's status lists it; the Q3 one is marked carried."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.rituals.strategy_review.models import CloseCollection
from tests.databases import sqlite_url
from tests.strategy_review.test_review_workflow_e2e import OWNERS, _decide_when_asked, read_outbox
from tests.strategy_review.workflow_fakes import Handle, stage
from worker import build_worker
from workflows.strategy_review import StrategyReviewWorkflow

RITUAL = "quarterly-strategy-review"
ACTION = "Send the churn post-mortem to every CSM"
GRACE = OWNERS["reduce-churn"]


async def test_an_open_action_of_one_quarter_reaches_the_next_quarters_kick_off(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    store = ActionStore.from_url(url)
    suffix = uuid.uuid4().hex[:8]
    outbox = tmp_path / "outbox"
    worker = build_worker(
        time_skipping_env.client,
        example_config,
        task_queue=f"review-carry-{suffix}",
        transport=OutboxTransport(outbox, example_config.email),
        ledger=SendLedger.from_url(url),
        archive_dir=tmp_path / "archive",
    )

    async def start(period: str) -> Handle:
        return await time_skipping_env.client.start_workflow(
            StrategyReviewWorkflow.run,
            RitualRunInput(ritual_id=RITUAL, period=period),
            id=f"{RITUAL}-{period}-{suffix}",
            task_queue=f"review-carry-{suffix}",
        )

    async with worker:
        q3 = await start("2026-Q3")
        await stage(q3, "collecting")
        recorded = store.add(
            origin=q3.id,
            ritual_id=RITUAL,
            period="2026-Q3",
            title=ACTION,
            owner_email=GRACE,
            owner_name="Grace Kim",
            due=date(2026, 9, 30),
            actor="ana",
        )
        await q3.execute_update(
            StrategyReviewWorkflow.close_collection,
            CloseCollection(requested_by="ana.silva@acme.example", send_now=True),
        )
        for approver in ("chloe.dubois@acme.example", "dev.patel@acme.example"):
            await _decide_when_asked(q3, approver)
        q3_result = await q3.result()

        [(old, new)] = store.carry(RITUAL, "2026-Q3", "2026-Q4", actor="ana")
        q4 = await start("2026-Q4")
        q4_status = await stage(q4, "collecting")
        await q4.terminate()
    to_grace = [
        body for to, body in read_outbox(outbox) if GRACE in to and q4.id in body and ACTION in body
    ]
    assert "published" == q3_result.stage
    assert (recorded.action_id, "carried") == (old.action_id, store.get(old.action_id).state)
    assert (old.action_id, "2026-Q4") == (new.carried_from, new.period)
    assert to_grace and new.action_id in to_grace[0]
    assert [new.action_id] == [a.action_id for a in q4_status.open_actions]
