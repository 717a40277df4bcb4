"""End to end in headless Chromium: from the owner's SLA warning to the submitter's reply."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from temporalio.testing import ActivityEnvironment

from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.rituals.feedback.action_pages import FeedbackActionPages
from opsrhythm.rituals.feedback.links import ActionLinks
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput
from tests.browser.cdp import CHROMIUM, chromium_page
from tests.databases import sqlite_url
from tests.feedback.test_sla import Setup
from tests.web.live_server import live_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: apt-get install chromium"
    ),
]


async def test_resolve_from_the_warning_email_tells_the_submitter(tmp_path: Path) -> None:
    """Open Resolve from the warning, pick 'planned', type a note, press the button."""
    setup = Setup(tmp_path)
    item_id = setup.submit("Refund the invoice twice", datetime.now(UTC))
    signer = LinkSigner("browser-feedback-secret-0123456789")
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    people = {p.email for p in setup.config.people}
    pages = FeedbackActionPages(setup.ledger, people, signer, used, resources.templates_dir())
    async with live_server(Starlette(routes=pages.routes())) as base:
        setup.activities._links = ActionLinks(signer, base)
        item = setup.ledger.get(item_id)
        assert item is not None and item.warn_at is not None
        sweep = SlaSweepInput(now=item.warn_at + timedelta(minutes=1))
        ActivityEnvironment().run(setup.activities.sweep_sla, sweep)
        match = re.search(r"^  Resolve: (\S+)$", setup.transport.texts[0], re.MULTILINE)
        assert match is not None, setup.transport.texts
        async with chromium_page(tmp_path / "chromium") as page:
            await page.goto(match.group(1))
            await page.evaluate("document.getElementById('status').value = 'planned'")
            await page.click("#note")
            await page.send("Input.insertText", text="Planned for Q1, with credit notes.")
            await page.click("#resolve")
            state = await page.wait_for("document.getElementById('state')?.textContent", seconds=20)
    used.close()
    reply_sweep = SlaSweepInput(now=datetime.now(UTC) + timedelta(hours=1))
    ActivityEnvironment().run(setup.activities.sweep_sla, reply_sweep)
    assert ("planned", ("farid.haddad@acme.example", "resolved")) == (
        state,
        setup.ledger.events(item_id)[-2][:2],
    )
    assert ["hugo.novak@acme.example"] == setup.transport.sent[-1][1]
    assert "Planned for Q1, with credit notes." in setup.transport.texts[-1]
