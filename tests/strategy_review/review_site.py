"""The review form's pages on an in-process HTTP client, and the links to them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from starlette.applications import Starlette
from temporalio.client import Client

from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.rituals.strategy_review.links import ReviewLinks
from opsrhythm.rituals.strategy_review.pages import ReviewPages

SIGNER = LinkSigner("test-secret-of-32-characters-xx")
BASE = "http://reviews.test"
LINKS = ReviewLinks(SIGNER, BASE)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def link(
    workflow_id: str,
    run_id: str,
    item_id: str,
    owner: str,
    *,
    hours: float = 24,
    links: ReviewLinks = LINKS,
) -> str:
    expires = datetime.now(UTC) + timedelta(hours=hours)
    return links.submit_url(workflow_id, run_id, item_id, owner, expires)


@asynccontextmanager
async def review_site(client: Client) -> AsyncIterator[httpx.AsyncClient]:
    pages = ReviewPages(client, SIGNER, resources.templates_dir(), organization="Acme")
    app = Starlette(routes=pages.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http


async def post_form(http: httpx.AsyncClient, url: str, **fields: str) -> httpx.Response:
    """Open the link's page, then send its form with ``fields`` as a browser would."""
    page = await http.get(url)
    match = CSRF.search(page.text)
    assert match is not None, page.text
    token = url.split("token=", 1)[1]
    form = {"token": token, "csrf": match.group(1)} | fields
    return await http.post(url, data=form)
