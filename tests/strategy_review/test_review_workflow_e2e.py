"""The example company's quarterly review with the real activities, the actions store and the
outbox transport: a quarter on the time-skipping server, every stage's emails in the outbox."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.models import ActionUpdate
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.approvals.models import ApprovalDecision
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.platform.temporal_runtime import TASK_QUEUE
from opsrhythm.rituals.strategy_review.models import StatusSubmission
from tests.databases import sqlite_url
from tests.strategy_review.workflow_fakes import Handle, stage
from worker import build_worker
from workflows.strategy_review import StrategyReviewWorkflow

SECRET = "an-example-secret-for-review-links"
RISK = "The Northwind renewal may slip to Q1"
OWNERS = {
    "grow-revenue": "chloe.dubois@acme.example",
    "reduce-churn": "grace.kim@acme.example",
    "insights-everywhere": "emma.larsen@acme.example",
    "self-serve-help": "isla.moreno@acme.example",
}


def read_outbox(outbox: Path) -> list[tuple[str, str]]:
    """(To, text and HTML) of every email in the outbox."""
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        bodies = [
            str(part.get_content())
            for part in message.walk()
            if part.get_content_type() in ("text/plain", "text/html")
        ]
        found.append((str(message["To"]), "\n".join(bodies)))
    return found


async def test_the_example_review_end_to_end(
    time_skipping_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every owner gets a kick-off (Chloé's with her open action), submits; the pack is built
    at once and goes to the attendees at the pre-read time; two approvers sign off; the four
    audiences get their summaries, sales without Chloé's risk; Chloé's action update is
    applied; no email holds the secret."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    monkeypatch.setenv("OPSRHYTHM_SECRET", SECRET)
    workflow_id = f"quarterly-strategy-review-2026-Q4-{uuid.uuid4().hex[:8]}"
    store = ActionStore.from_url(url)
    action = store.add(
        origin="quarterly-strategy-review-2026-Q3",
        ritual_id="quarterly-strategy-review",
        period="2026-Q3",
        title="Price the Insights add-on",
        owner_email=OWNERS["grow-revenue"],
        owner_name="Chloé Dubois",
        due=date(2026, 12, 15),
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
            StrategyReviewWorkflow.run,
            RitualRunInput(ritual_id="quarterly-strategy-review", period="2026-Q4"),
            id=workflow_id,
            task_queue=task_queue,
        )
        await stage(handle, "collecting")
        for item_id, owner in OWNERS.items():
            done = [ActionUpdate(action_id=action.action_id, state="done", note="Priced at £9")]
            await handle.execute_update(
                StrategyReviewWorkflow.submit_status,
                StatusSubmission(
                    item_id=item_id,
                    owner=owner,
                    rag="amber" if item_id == "grow-revenue" else "green",
                    confidence=80,
                    narrative=f"{item_id}: on its way",
                    risks=[RISK] if item_id == "grow-revenue" else [],
                    action_updates=done if item_id == "grow-revenue" else [],
                ),
            )
        built = await stage(handle, "pack built")
        assert built.pre_read_at is not None
        now = await time_skipping_env.get_current_time()
        await time_skipping_env.sleep(built.pre_read_at - now + timedelta(minutes=1))
        for approver in ("chloe.dubois@acme.example", "dev.patel@acme.example"):
            await _decide_when_asked(handle, approver)
        result = await handle.result()

    assert ("published", []) == (result.stage, result.missing)
    summaries = {d.audience_id for d in result.deliveries if d.message_kind == "summary"}
    assert {"leadership", "sales", "support", "marketing"} == summaries
    assert [] == [d for d in result.deliveries if d.failed]
    emails = read_outbox(outbox)
    chloe_kick_off = [body for to, body in emails if "chloe" in to and "Price the Insights" in body]
    assert chloe_kick_off, "Chloé's kick-off lists her open action"
    to_sales = [body for to, body in emails if "hugo.novak@acme.example" in to]
    assert to_sales and not [body for body in to_sales if RISK in body]
    assert [body for to, body in emails if "ben.carter@acme.example" in to and RISK in body]
    assert [] == [to for to, body in emails if SECRET in body]
    [changed] = [a for a in store.find(origin=action.origin) if a.action_id == action.action_id]
    assert "done" == changed.state


async def _decide_when_asked(handle: Handle, approver: str) -> None:
    """Approve once the review waits for sign-off (the pre-read went at its time)."""
    await stage(handle, "awaiting sign-off")
    await handle.execute_update(
        StrategyReviewWorkflow.decide,
        ApprovalDecision(approver=approver, decision="approve", channel="cli"),
    )
