"""End to end in headless Chromium: from the kick-off email in the outbox, through the owner's
form (filled and sent as a person would), to the update in the real review run."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import uuid
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.rituals.strategy_review.client import review_status
from opsrhythm.web import create_app
from tests.browser.cdp import CHROMIUM, chromium_page
from tests.databases import sqlite_url
from tests.web.live_server import live_server
from worker import build_worker
from workflows.strategy_review import StrategyReviewWorkflow

pytestmark = [
    pytest.mark.browser,
    pytest.mark.dev_server,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: apt-get install chromium"
    ),
]
SECRET = "browser-test-secret-for-review-forms"
CHLOE = "chloe.dubois@acme.example"


def form_link_now(outbox: Path) -> str | None:
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        found = re.search(r"Form: (\S+)", str(body.get_content()) if body else "")
        if CHLOE in str(message["To"]) and found:
            return found.group(1)
    return None


async def form_link(outbox: Path) -> str:
    """The form link in Chloé's kick-off email, once the worker has written it (30 s at most)."""
    for _ in range(600):
        found = form_link_now(outbox)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no kick-off email with a form link to {CHLOE} in {outbox}")


def fill(field: str, value: str) -> str:
    return f"document.querySelector({json.dumps(field)}).value = {json.dumps(value)}"


async def test_owner_sends_the_update_from_the_email_link(
    dev_server_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chloé opens her kick-off email's form link, sees her open action, fills in the form,
    marks the action done and presses Send: the run records version 1 from the web."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", url)
    action = ActionStore.from_url(url).add(
        origin="quarterly-strategy-review-2026-Q3",
        ritual_id="quarterly-strategy-review",
        period="2026-Q3",
        title="Price the Insights add-on",
        owner_email=CHLOE,
        owner_name="Chloé Dubois",
        due=date(2026, 12, 15),
        actor="ana",
    )
    client = dev_server_env.client
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    archive, outbox = tmp_path / "archive", tmp_path / "outbox"
    app = create_app(client, LinkSigner(SECRET), used, archive_dir=archive)
    async with live_server(app) as base:
        monkeypatch.setenv("OPSRHYTHM_SECRET", SECRET)
        monkeypatch.setenv("OPSRHYTHM_PUBLIC_URL", base)
        task_queue = str(uuid.uuid4())
        worker = build_worker(
            client,
            example_config,
            task_queue=task_queue,
            transport=OutboxTransport(outbox, example_config.email),
            ledger=SendLedger.from_url(url),
            archive_dir=archive,
        )
        async with worker:
            handle = await client.start_workflow(
                StrategyReviewWorkflow.run,
                RitualRunInput(ritual_id="quarterly-strategy-review", period="2026-Q4"),
                id=f"quarterly-strategy-review-2026-Q4-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
            try:
                link = await form_link(outbox)
                async with chromium_page(tmp_path / "chromium") as page:
                    await page.goto(link)
                    shown = await page.wait_for("document.getElementById('title')?.textContent")
                    listed = await page.evaluate("document.getElementById('actions')?.innerText")
                    await page.evaluate(fill("#rag", "amber"))
                    await page.evaluate(fill("#confidence", "75"))
                    await page.evaluate(fill("#narrative", "Two deals slipped to January."))
                    await page.evaluate(fill(f"[name='action:{action.action_id}']", "done"))
                    await page.click("#submit")
                    done = await page.wait_for(
                        "document.getElementById('title')?.textContent === 'Thank you: your "
                        "update is recorded' && document.getElementById('message').textContent",
                        seconds=20,
                    )
                status = await review_status(client, handle.id)
            finally:
                await handle.terminate()
    used.close()
    assert ("Grow MRR to £520k", True) == (shown, "Price the Insights add-on" in listed)
    assert done.startswith("grow-revenue, version 1")
    [stored] = status.submitted
    assert ("amber", 75, "web") == (
        stored.submission.rag,
        stored.submission.confidence,
        stored.submission.channel,
    )
    assert [(action.action_id, "done")] == [
        (u.action_id, u.state) for u in stored.submission.action_updates
    ]
