"""The approval web app through a real HTTP server, deciding on a real (time-skipping) workflow."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.approvals.links import LinkSigner, decision_link
from opsrhythm.platform.approvals.models import ApprovalStatus, Contact
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.web import CSRF_COOKIE, create_app
from tests.databases import sqlite_url
from tests.web.live_server import live_server
from tests.workflows.approval_fakes import (
    CHLOE,
    DEV,
    GRACE,
    ApprovalFakes,
    Handle,
    approval,
    approval_state,
    running_report,
)
from workflows.kpi_report import KpiReportWorkflow

SIGNER = LinkSigner("test-secret-of-32-characters-xx")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    base: str
    handle: Handle
    http: httpx.AsyncClient

    def link(self, who: Contact, *, signer: LinkSigner = SIGNER, hours: float = 24) -> str:
        expires = datetime.now(UTC) + timedelta(hours=hours)
        token = signer.issue(self.handle.id, 1, who.email, expires)
        return decision_link(self.base, token, self.handle.id, who.email, "approve")

    async def approval(self) -> ApprovalStatus:
        return await self.handle.query(KpiReportWorkflow.approval)

    async def form(self, link: str, decision: str = "approve", comment: str = "") -> dict[str, str]:
        """Open the link and fill in its page's form, as a browser would."""
        page = await self.http.get(link)
        match = _CSRF.search(page.text)
        assert match is not None, page.text
        token = httpx.URL(link).params["token"]
        return {"token": token, "csrf": match.group(1), "decision": decision, "comment": comment}

    async def confirm(
        self, link: str, decision: str = "approve", comment: str = ""
    ) -> httpx.Response:
        """Open the link, then press a button on the page."""
        return await self.http.post(link, data=await self.form(link, decision, comment))


@pytest_asyncio.fixture(loop_scope="session")
async def site(time_skipping_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Site]:
    """A report awaiting Dev, Chloé and Ben (all must approve), and the pages for its links."""
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    fakes = ApprovalFakes(approval(policy="all", required=3))
    client = time_skipping_env.client
    async with (
        running_report(client, fakes) as handle,
        live_server(create_app(client, SIGNER, used)) as base,
        httpx.AsyncClient() as http,
    ):
        await approval_state(handle)
        yield Site(base, handle, http)
        # Ends at the deadline, skipped to at once. Not terminate(): on the time-skipping
        # server, terminating a run that was queried can leave the clock locked for later tests.
        await handle.result()
    used.close()


async def test_get_shows_the_draft_and_decides_nothing(site: Site) -> None:
    """Opening a link (as a mail scanner would) shows the page and records no decision."""
    page = await site.http.get(site.link(DEV))
    assert (200, True) == (page.status_code, "Monthly KPI report for October 2026" in page.text)
    assert [] == (await site.approval()).audit


async def test_post_decides_exactly_once(site: Site) -> None:
    """The page's button records one email-link decision; the same POST again is refused."""
    link = site.link(DEV)
    form = await site.form(link)
    first = await site.http.post(link, data=form)
    second = await site.http.post(link, data=form)
    audit = (await site.approval()).audit
    assert (200, 410) == (first.status_code, second.status_code)
    assert [(DEV.email, "approve", "email-link")] == [(e.actor, e.action, e.channel) for e in audit]


async def test_reused_link_is_refused(site: Site) -> None:
    """A link that has decided once shows 'already used' and cannot decide again."""
    link = site.link(DEV)
    await site.confirm(link)
    again = await site.http.get(link)
    assert (410, 1) == (again.status_code, len((await site.approval()).audit))


async def test_forged_link_is_refused(site: Site) -> None:
    """A token signed with another secret gets a 403 page and changes nothing."""
    link = site.link(DEV, signer=LinkSigner("someone-elses-secret-0123456789"))
    page = await site.http.get(link)
    post = await site.http.post(link, data={"token": httpx.URL(link).params["token"]})
    assert (403, 403, []) == (page.status_code, post.status_code, (await site.approval()).audit)


async def test_expired_link_is_refused(site: Site) -> None:
    """A link past its expiry gets a 410 page saying so."""
    page = await site.http.get(site.link(DEV, hours=-1))
    assert (410, True) == (page.status_code, "expired" in page.text)


async def test_link_for_another_approver_is_refused(site: Site) -> None:
    """Dev's token under Chloé's address is refused, and no decision is made for either."""
    dev_link = site.link(DEV)
    chloe_path = site.link(CHLOE).split("?")[0]
    crossed = f"{chloe_path}?{dev_link.split('?')[1]}"
    page = await site.http.get(crossed)
    assert (403, []) == (page.status_code, (await site.approval()).audit)


async def test_genuine_link_for_a_non_approver_shows_refusal(site: Site) -> None:
    """A validly signed link for someone not configured gets a 403 page instead of buttons."""
    page = await site.http.get(site.link(GRACE))
    assert (403, False) == (page.status_code, 'name="csrf"' in page.text)


async def test_genuine_link_for_a_non_approver_is_refused_by_the_workflow(site: Site) -> None:
    """Even a well-formed POST for someone not configured is refused by the workflow itself."""
    link = site.link(GRACE)
    token = httpx.URL(link).params["token"]
    site.http.cookies.set(CSRF_COOKIE, "browser-1", path="/approvals")
    form = {"token": token, "csrf": SIGNER.csrf_value(token, "browser-1"), "decision": "approve"}
    response = await site.http.post(link, data=form)
    assert (409, True, []) == (
        response.status_code,
        "is not an approver of this request" in response.text,
        (await site.approval()).audit,
    )


async def test_post_without_csrf_value_is_refused(site: Site) -> None:
    """A POST without the page's CSRF value (a cross-site form) is refused with 403."""
    link = site.link(DEV)
    await site.http.get(link)
    token = httpx.URL(link).params["token"]
    response = await site.http.post(link, data={"token": token, "decision": "approve"})
    assert (403, []) == (response.status_code, (await site.approval()).audit)


async def test_post_with_another_pages_csrf_value_is_refused(site: Site) -> None:
    """Chloé's page's CSRF value cannot carry Dev's token: the value is bound to one link."""
    chloe = await site.http.get(site.link(CHLOE))
    match = _CSRF.search(chloe.text)
    assert match is not None
    dev_link = site.link(DEV)
    token = httpx.URL(dev_link).params["token"]
    response = await site.http.post(
        dev_link, data={"token": token, "csrf": match.group(1), "decision": "approve"}
    )
    assert (403, []) == (response.status_code, (await site.approval()).audit)


async def test_reject_needs_a_reason(site: Site) -> None:
    """Rejecting without a reason is refused with 400 before the link is spent."""
    link = site.link(DEV)
    response = await site.confirm(link, "reject")
    retry = await site.confirm(link, "reject", "MRR is wrong")
    assert (400, 200) == (response.status_code, retry.status_code)
