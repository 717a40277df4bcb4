"""The approval web app through a real HTTP server, deciding on a real (time-skipping) workflow."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.approvals.links import LinkSigner, decision_link
from opsrhythm.platform.approvals.models import ApprovalStatus, Contact
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.web import CSRF_COOKIE, create_app
from tests.databases import sqlite_url
from tests.web.live_server import live_server
from tests.workflows.approval_fakes import (
    ANA,
    BEN,
    CHLOE,
    DEV,
    GRACE,
    ApprovalFakes,
    Handle,
    approval,
    approval_state,
    decide,
    redraft,
    running_report,
)
from workflows.kpi_report import KpiReportWorkflow

pytestmark = pytest.mark.dev_server
EARLIER_RUN = "0b5c3b1e-5a7e-4c55-9a5e-0d1f2a3b4c5d"
SIGNER = LinkSigner("test-secret-of-32-characters-xx")
REDRAFT = {"purpose": "redraft"}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    base: str
    handle: Handle
    http: httpx.AsyncClient

    def token(self, who: Contact, round: int = 1, run_id: str = "", **options: Any) -> str:
        expires = datetime.now(UTC) + timedelta(hours=options.pop("hours", 24))
        signer = options.pop("signer", SIGNER)
        return str(signer.issue(self.handle.id, round, who.email, expires, run_id, **options))

    def link(self, who: Contact, *, round: int = 1, run_id: str = "", **options: Any) -> str:
        token = self.token(who, round, run_id, **options)
        return decision_link(self.base, token, self.handle.id, who.email, "approve")

    async def run_id(self) -> str:
        return str((await self.handle.describe()).run_id)

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
async def site(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Site]:
    """A report awaiting Dev, Chloé and Ben (all must approve), and the pages for its links.

    On the dev server: a decision carries a wall-clock not_after, which the time-skipping
    server's clock, days ahead after earlier tests, would call late.
    """
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    fakes = ApprovalFakes(approval(policy="all", required=3))
    client = dev_server_env.client
    async with (
        running_report(client, fakes) as handle,
        live_server(create_app(client, SIGNER, used, archive_dir=tmp_path)) as base,
        httpx.AsyncClient() as http,
    ):
        await approval_state(handle)
        yield Site(base, handle, http)
        with contextlib.suppress(RPCError):  # already over where a test settled it
            await handle.terminate("test over")
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


async def test_link_of_the_current_run_opens(site: Site) -> None:
    """A link naming the run that asked shows its page."""
    page = await site.http.get(site.link(DEV, run_id=await site.run_id()))
    assert 200 == page.status_code


async def test_link_of_an_earlier_run_is_refused(site: Site) -> None:
    """A link naming another run of the same id is refused, saying so, and decides nothing."""
    link = site.link(DEV, run_id=EARLIER_RUN)
    page = await site.http.get(link)
    site.http.cookies.set(CSRF_COOKIE, "browser-1", path="/approvals")
    token = httpx.URL(link).params["token"]
    form = {"token": token, "csrf": SIGNER.csrf_value(token, "browser-1"), "decision": "approve"}
    post = await site.http.post(link, data=form)
    expected = f"This link belongs to an earlier run of {site.handle.id}; use the newest email."
    assert (410, True) == (page.status_code, expected in page.text)
    assert (410, []) == (post.status_code, (await site.approval()).audit)


async def test_old_round_link_says_which_round_replaced_it(site: Site) -> None:
    """Round 1's link after a redraft names round 2, never 'no longer open: it is pending'."""
    await decide(site.handle, DEV, "request_changes", "MRR is wrong")
    during = await site.http.get(site.link(CHLOE))
    await redraft(site.handle)
    await approval_state(site.handle, round=2)
    after = await site.http.get(site.link(CHLOE))
    assert (409, True) == (during.status_code, "asked again in round 2" in during.text)
    assert (409, True, False) == (
        after.status_code,
        "This request was replaced by round 2" in after.text,
        "pending" in after.text,
    )


async def test_settled_request_link_gives_the_outcome(site: Site) -> None:
    """Once everyone approved, a link says it was settled and how, not a bare state."""
    for who in (DEV, CHLOE, BEN):
        await decide(site.handle, who)
    page = await site.http.get(site.link(DEV))
    assert (409, True) == (page.status_code, "This request was settled: approved" in page.text)


async def test_confirm_page_links_the_draft_and_shows_local_deadline(site: Site) -> None:
    """The page links the draft behind the same token and gives the deadline with its zone."""
    link = site.link(DEV)
    page = await site.http.get(link)
    token = httpx.URL(link).params["token"]
    assert f"/draft/{token}/" in page.text
    assert re.search(r"decide by \w{3} \d\d \w{3} \d{4} \d\d:\d\d UTC", page.text) is not None


async def test_draft_outside_the_archive_is_refused(site: Site) -> None:
    """The fake draft lives at /archive/x, outside this server's archive: 404, never read."""
    token = site.token(DEV)
    page = await site.http.get(f"{site.base}/approvals/{site.handle.id}/{DEV.email}/draft/{token}/")
    assert (404, True) == (page.status_code, "not in this server&#39;s archive" in page.text)


async def test_draft_needs_a_genuine_token_for_the_url(site: Site) -> None:
    """A forged token, or Dev's token under Chloé's address, reads nothing."""
    forged = site.token(DEV, signer=LinkSigner("someone-elses-secret-0123456789"))
    draft = f"{site.base}/approvals/{site.handle.id}/{{}}/draft/{{}}/report.html"
    pages = [
        await site.http.get(draft.format(DEV.email, forged)),
        await site.http.get(draft.format(CHLOE.email, site.token(DEV))),
        await site.http.get(draft.format(DEV.email, site.token(DEV, run_id=EARLIER_RUN))),
    ]
    assert [403, 403, 410] == [page.status_code for page in pages]


async def owner_redraft_page(site: Site, token: str) -> httpx.Response:
    return await site.http.get(
        f"{site.base}/approvals/{site.handle.id}/{ANA.email}/redraft", params={"token": token}
    )


async def test_owner_redraft_link_starts_round_two(site: Site) -> None:
    """The owner's link shows what was asked; its button sends the redraft to the run."""
    await decide(site.handle, DEV, "request_changes", "MRR is wrong")
    token = site.token(ANA, 1, await site.run_id(), purpose="redraft")
    page = await owner_redraft_page(site, token)
    match = _CSRF.search(page.text)
    assert match is not None, page.text
    assert "MRR is wrong" in page.text
    url = f"{site.base}/approvals/{site.handle.id}/{ANA.email}/redraft"
    done = await site.http.post(url, data={"token": token, "csrf": match.group(1)})
    status = await approval_state(site.handle, round=2)
    again = await owner_redraft_page(site, token)
    assert (200, 2, ["email-link"]) == (
        done.status_code,
        status.round,
        [e.channel for e in status.audit if e.action == "redraft"],
    )
    assert 410 == again.status_code


async def test_redraft_link_needs_the_owners_redraft_token(site: Site) -> None:
    """An approval token cannot redraft, and no redraft is open before changes are asked."""
    await_nothing = await owner_redraft_page(
        site, site.token(ANA, 1, await site.run_id(), purpose="redraft")
    )
    approval_token = await owner_redraft_page(site, site.token(ANA, 1, await site.run_id()))
    assert (409, 403) == (await_nothing.status_code, approval_token.status_code)


async def test_redraft_page_shows_the_automatic_redraft_in_the_owners_zone(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The owner in Tokyo reads when the run redrafts on its own in Tokyo time, not UTC."""
    owner = ANA.model_copy(update={"timezone": "Asia/Tokyo"})
    fakes = ApprovalFakes(approval(owner=owner, requester=owner, redraft_after_seconds=2 * 86_400))
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    client = dev_server_env.client
    async with (
        running_report(client, fakes) as handle,
        live_server(create_app(client, SIGNER, used, archive_dir=tmp_path)) as base,
        httpx.AsyncClient() as http,
    ):
        await approval_state(handle)
        site = Site(base, handle, http)
        await decide(handle, DEV, "request_changes", "MRR is wrong")
        page = await owner_redraft_page(site, site.token(ANA, 1, await site.run_id(), **REDRAFT))
        await handle.terminate("test over")
    used.close()
    assert (200, True, False) == (page.status_code, "Asia/Tokyo" in page.text, " UTC" in page.text)
