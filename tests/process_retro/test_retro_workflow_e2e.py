"""The example company's retro with the real activities (plan, store, emails, summary), the
retro and actions stores on SQLite and the outbox transport, on the time-skipping server."""

from __future__ import annotations

import json
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
from opsrhythm.platform.temporal_runtime import TASK_QUEUE
from opsrhythm.rituals.process_retro.keys import AuthorKeys
from opsrhythm.rituals.process_retro.models import AdvanceRequest, RetroStage
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.databases import sqlite_url
from tests.process_retro.retro_fakes import Handle, stage
from tests.strategy_review.test_review_workflow_e2e import read_outbox
from worker import build_worker
from workflows.process_retro import ProcessRetroWorkflow

SECRET = "an-example-secret-for-retro-links"
ANA = "ana.silva@acme.example"
EMMA = "emma.larsen@acme.example"
GRACE = "grace.kim@acme.example"
PARTICIPANTS = [
    EMMA,
    "farid.haddad@acme.example",
    GRACE,
    "isla.moreno@acme.example",
    "jonas.weber@acme.example",
]
ITEM = "Release notes reach support after the customers"


async def test_the_example_retro_end_to_end(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Emma's open action from the last retro is put to her and she marks it done; everyone
    is invited; Emma and Grace add items straight to the store; Ana closes each window; Grace
    votes; Ana turns the top theme into Grace's action; the summary reaches the five
    participants with the theme, the new action and Emma's done one. No email holds the
    secret; the history holds neither an item's text nor its author key."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    monkeypatch.setenv("OPSRHYTHM_SECRET", SECRET)
    workflow_id = f"process-retro-2026-W49-{uuid.uuid4().hex[:8]}"
    actions, retro, keys = ActionStore.from_url(url), RetroStore.from_url(url), AuthorKeys(SECRET)
    earlier = actions.add(
        origin="process-retro-2026-W43",
        ritual_id="process-retro",
        period="2026-W43",
        title="Post the changelog in #support first",
        owner_email=EMMA,
        owner_name="Emma Larsen",
        due=date(2026, 11, 27),
        actor="ana",
    )
    task_queue = f"{TASK_QUEUE}-{uuid.uuid4()}"
    outbox = tmp_path / "outbox"
    worker = build_worker(
        time_skipping_env.client,
        example_config,
        task_queue=task_queue,
        transport=OutboxTransport(outbox, example_config.email),
        ledger=SendLedger.from_url(url),
        archive_dir=tmp_path / "archive",
    )
    async with worker:
        handle: Handle = await time_skipping_env.client.start_workflow(
            ProcessRetroWorkflow.run,
            RitualRunInput(ritual_id="process-retro", period="2026-W49"),
            id=workflow_id,
            task_queue=task_queue,
        )
        await stage(handle, "action review", lambda s: s.open_actions_pending > 0)
        actions.close_action(earlier.action_id, "done", actor=EMMA, note="Done since W45")
        await _advance(handle, "action review")
        await stage(handle, "collecting")
        retro.add_item(workflow_id, keys.author_key(workflow_id, EMMA), "stop", ITEM)
        retro.add_item(workflow_id, keys.author_key(workflow_id, GRACE), "stop", ITEM.lower())
        await _advance(handle, "collecting")
        await stage(handle, "grouping")
        await _advance(handle, "grouping")
        voting = await stage(handle, "voting")
        [theme] = retro.ranked_groups(workflow_id)
        retro.replace_votes(
            workflow_id,
            keys.author_key(workflow_id, GRACE),
            {theme.group_no: 2},
            per_person=5,
            per_group=3,
        )
        await _advance(handle, "voting")
        await stage(handle, "actions")
        new = actions.add(
            origin=workflow_id,
            ritual_id="process-retro",
            period="2026-W49",
            title="Send release notes to support a day ahead",
            owner_email=GRACE,
            owner_name="Grace Kim",
            due=date(2027, 1, 15),
            actor=ANA,
        )
        await _advance(handle, "actions")
        result = await handle.result()
        history = json.dumps((await handle.fetch_history()).to_json_dict())

    assert ("summary sent", 2, 1, 2) == (
        result.stage,
        result.counts.items,
        voting.counts.groups,
        result.counts.votes,
    )
    assert [] == [d for d in result.deliveries if d.failed]
    emails = read_outbox(outbox)
    done = f"opsrhythm actions done {earlier.action_id}"
    assert [EMMA] == [to.split("<")[-1].rstrip(">") for to, body in emails if done in body]
    summaries = [(to, body) for to, body in emails if new.title in body]
    assert sorted(PARTICIPANTS) == sorted(to.split("<")[-1].rstrip(">") for to, _ in summaries)
    assert all(earlier.title in body and ITEM in body for _, body in summaries)
    assert [] == [to for to, body in emails if SECRET in body]
    author_keys = [keys.author_key(workflow_id, email) for email in (EMMA, GRACE)]
    assert [] == [found for found in [ITEM, ITEM.lower(), *author_keys] if found in history]


async def _advance(handle: Handle, stage: RetroStage) -> None:
    await handle.execute_update(
        ProcessRetroWorkflow.advance, AdvanceRequest(requested_by=ANA, stage=stage)
    )
