"""A retro's action is followed up like every ritual's (time-skipping server, the real action
and email activities, the outbox): its owner is reminded before the due date and, once it is
overdue, the owner and the retro's facilitator (the ritual's owner) are told."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.follow_up import follow_up_workflow_id
from opsrhythm.platform.actions.starting import follow_up
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.ledger import SendLedger
from tests.actions.test_follow_up import follow_up_worker
from tests.databases import sqlite_url
from tests.process_retro.test_retro_workflow_e2e import ANA, GRACE
from tests.reliability.test_needs_attention import body_text, read_outbox


async def test_a_retro_action_is_reminded_then_its_facilitator_told_it_is_overdue(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
) -> None:
    """Grace's action from the W49 retro, due in 5 days, started as ``retro action`` starts
    it: Grace gets both reminders, then Grace and Ana (process-retro's owner) the overdue
    notice, each once, naming the action and how to close it."""
    env, outbox = time_skipping_env, tmp_path / "outbox"
    url = sqlite_url(tmp_path / "opsrhythm.db")
    stores = ActionStore.from_url(url), SendLedger.from_url(url)
    origin = f"process-retro-2026-W49-{uuid.uuid4().hex[:8]}"
    due = (await env.get_current_time()).date() + timedelta(days=5)
    action = stores[0].add(
        origin=origin,
        ritual_id="process-retro",
        period="2026-W49",
        title="Post the changelog in #support first",
        owner_email=GRACE,
        owner_name="Grace Kim",
        due=due,
        actor="ana",
    )
    try:
        async with follow_up_worker(env, example_config, stores, outbox) as task_queue:
            workflow_id = await follow_up(env.client, origin, task_queue=task_queue)
            await env.sleep(timedelta(days=7))  # past the overdue notice, the day after due
            sent = await env.client.get_workflow_handle(workflow_id).result()
    finally:
        stores[0].close()
        stores[1].close()
    messages = read_outbox(outbox)
    order = {"Reminder: due in 3 days": 0, "Reminder: due tomorrow": 1, "Overdue": 2}
    found = sorted(
        (order[str(m["Subject"]).rpartition(":")[0]], m["To"].addresses[0].addr_spec)
        for m in messages
    )
    assert follow_up_workflow_id(origin) == workflow_id
    assert (3, [(0, GRACE), (1, GRACE), (2, ANA), (2, GRACE)]) == (sent, found)
    for message in messages:
        text = body_text(message)
        assert action.title in text and f"opsrhythm actions done {action.action_id}" in text
