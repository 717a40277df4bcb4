"""End to end in headless Chromium: from the approval email in the outbox to the sent report."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.approvals.config import Approval
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.outbox import OutboxTransport
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from opsrhythm.web import create_app
from tests.browser.cdp import CHROMIUM, Page, chromium_page
from tests.databases import sqlite_url
from tests.web.live_server import live_server
from worker import build_worker
from workflows.kpi_report import KpiReportWorkflow

pytestmark = [
    pytest.mark.browser,
    pytest.mark.dev_server,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: apt-get install chromium"
    ),
]
SECRET = "browser-test-secret-0123456789abcdef"


def request_to_dev(outbox: Path) -> EmailMessage | None:
    found = sorted(outbox.glob("*approval-request-r1*dev.patel@acme.example*.eml"))
    if not found:
        return None
    message = BytesParser(policy=policy.default).parsebytes(found[0].read_bytes())
    assert isinstance(message, EmailMessage)
    return message


async def approval_email(outbox: Path) -> EmailMessage:
    """The request email to Dev, once the worker has written it (30 s at most)."""
    for _ in range(600):
        message = request_to_dev(outbox)
        if message is not None:
            return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"no approval request in {outbox}")


@dataclass
class Draft:
    title: str
    charts: list[bool] = field(default_factory=list)


async def visit(page: Page, url: str) -> None:
    """Navigate and wait for that page (goto alone may see the previous page complete)."""
    await page.send("Page.navigate", url=url)
    await page.wait_for(
        f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
    )


async def read_full_draft(page: Page, email_text: str) -> Draft:
    """Follow the email's 'Full draft' link, then each audience's page: the archived draft's
    title, and per page whether each chart loaded through the approver's link."""
    found = re.search(r"Full draft: (\S+)", email_text)
    assert found is not None, email_text
    await visit(page, found.group(1))
    header = await page.wait_for("document.querySelector('p')?.textContent")
    heading = await page.wait_for("document.querySelector('h1')?.textContent")
    draft = Draft(title=f"{header.split(' ·')[0].strip()}: {heading.strip()}")
    pages = await page.evaluate("Array.from(document.querySelectorAll('li a')).map(a => a.href)")
    for url in pages:
        await visit(page, url)
        draft.charts += await page.evaluate(
            "Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)"
        )
    return draft


async def test_approve_from_the_email_link_sends_the_report(
    dev_server_env: WorkflowEnvironment,
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read the full draft from the email's link (its pages and charts load), then open the
    Approve link, press Approve, and the report goes to everyone."""
    ritual = example_config.rituals[0]
    example_config.rituals[0] = ritual.model_copy(update={"approval": Approval(approvers=["dev"])})
    client = dev_server_env.client
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    archive = tmp_path / "archive"
    app = create_app(client, LinkSigner(SECRET), used, archive_dir=archive)
    outbox, task_queue = tmp_path / "outbox", str(uuid.uuid4())
    async with live_server(app) as base:
        monkeypatch.setenv("OPSRHYTHM_SECRET", SECRET)
        monkeypatch.setenv("OPSRHYTHM_PUBLIC_URL", base)
        worker = build_worker(
            client,
            example_config,
            task_queue=task_queue,
            transport=OutboxTransport(outbox, example_config.email),
            ledger=SendLedger.from_url(sqlite_url(tmp_path / "ledger.db")),
            archive_dir=archive,
        )
        async with worker:
            handle = await client.start_workflow(
                KpiReportWorkflow.run,
                KpiReportInput(ritual_id=ritual.id, period="2026-10"),
                id=f"{ritual.id}-2026-10-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
            body = (await approval_email(outbox)).get_body(preferencelist=("plain",))
            assert body is not None
            match = re.search(r"Approve: (\S+)", body.get_content())
            assert match is not None
            async with chromium_page(tmp_path / "chromium") as page:
                draft = await read_full_draft(page, body.get_content())
                await page.goto(match.group(1))
                await page.click("#approve")
                title = await page.wait_for(
                    "document.getElementById('title')?.textContent", seconds=20
                )
            result = await asyncio.wait_for(handle.result(), timeout=60)
    used.close()
    assert "Thank you: your decision was recorded" == title
    assert f"{example_config.organization.name}: {ritual.name}: October 2026" == draft.title
    assert [True] * len(draft.charts) == draft.charts and draft.charts
    assert result.approval is not None
    assert ("approved", ["email-link"]) == (
        result.approval.outcome,
        [e.channel for e in result.approval.audit],
    )
    assert {a for a in ritual.audiences} == {d.audience_id for d in result.deliveries if d.sent}
