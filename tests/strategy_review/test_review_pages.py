"""The owner's review form behind a signed link, on a stand-in review run (dev server: the
submissions carry a wall-clock not_after)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from starlette.routing import Route
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform.approvals import client as approvals_client
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.web_pages import CSRF_COOKIE
from opsrhythm.rituals.strategy_review.client import review_status
from opsrhythm.rituals.strategy_review.links import ReviewLinks
from opsrhythm.web import create_app
from tests.strategy_review.review_fake import (
    ANA,
    BEN,
    review_worker,
    running_review,
    start_review,
)
from tests.strategy_review.review_site import BASE, SIGNER, link, post_form, review_site

pytestmark = pytest.mark.dev_server
FORM = {"rag": "amber", "confidence": "70", "narrative": "Pipeline slipped.", "risks": "Churn\n"}


async def test_form_shows_the_item_and_only_the_owners_actions(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """GET shows the item's title and the owner's own open action, never another owner's."""
    client = dev_server_env.client
    async with running_review(client) as handle, review_site(client) as http:
        url = link(handle.id, handle.result_run_id or "", "grow-arr", ANA.email)
        page = await http.get(url)
    assert (200, True, True) == (page.status_code, "Grow ARR" in page.text, "q3-1" in page.text)
    assert "q3-2" not in page.text and "secret plan" not in page.text
    assert "no-store" == page.headers["cache-control"]


async def test_submit_twice_keeps_both_versions_and_prefills_the_latest(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """The link is not spent: a second send is version 2, and the form shows it prefilled."""
    client = dev_server_env.client
    async with running_review(client) as handle, review_site(client) as http:
        url = link(handle.id, handle.result_run_id or "", "grow-arr", ANA.email)
        first = await post_form(http, url, **FORM, **{"action:q3-1": "done", "note:q3-1": "hired"})
        second = await post_form(http, url, **FORM | {"narrative": "Recovered in November."})
        page = await http.get(url)
        status = await review_status(client, handle.id)
    assert (200, 200) == (first.status_code, second.status_code)
    assert "version 2" in second.text
    assert [1, 2] == [entry.version for entry in status.submitted]
    assert ["web", "web"] == [entry.submission.channel for entry in status.submitted]
    first_update = status.submitted[0].submission
    assert (["Churn"], "done", "hired") == (
        first_update.risks,
        first_update.action_updates[0].state,
        first_update.action_updates[0].note,
    )
    assert "Recovered in November." in page.text and 'value="70"' in page.text


async def test_another_owners_update_never_shows(dev_server_env: WorkflowEnvironment) -> None:
    """Ben's own link never shows what Ana wrote on her item."""
    client = dev_server_env.client
    async with running_review(client) as handle, review_site(client) as http:
        run_id = handle.result_run_id or ""
        await post_form(http, link(handle.id, run_id, "grow-arr", ANA.email), **FORM)
        page = await http.get(link(handle.id, run_id, "self-serve", BEN.email))
    assert (200, False) == (page.status_code, "Pipeline slipped." in page.text)


async def test_post_without_the_pages_csrf_value_is_refused(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """A POST that did not come from the page (no cookie, wrong value) records nothing: 403."""
    client = dev_server_env.client
    async with running_review(client) as handle, review_site(client) as http:
        url = link(handle.id, handle.result_run_id or "", "grow-arr", ANA.email)
        token = url.split("token=", 1)[1]
        forged = await http.post(url, data={"token": token, "csrf": "guess"} | FORM)
        status = await review_status(client, handle.id)
    assert (403, []) == (forged.status_code, status.submitted)
    assert "did not come from that page" in forged.text


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("forged", 403, "not issued by OpsRhythm"),
        ("expired", 410, "expired"),
        ("other-run", 410, "earlier run"),
        ("other-item", 403, "not yours"),
        ("someone-elses", 403, "not yours"),
        ("approval-token", 403, "not issued by OpsRhythm"),
    ],
)
async def test_links_refused(
    dev_server_env: WorkflowEnvironment, case: str, code: int, words: str
) -> None:
    """Forged, expired, another run's, another item's, someone else's item, another purpose's
    token: each a 4xx page saying why, on GET and on POST, and nothing recorded."""
    client = dev_server_env.client
    async with running_review(client) as handle, review_site(client) as http:
        run_id = handle.result_run_id or ""
        url = {
            "forged": link(
                handle.id,
                run_id,
                "grow-arr",
                ANA.email,
                links=ReviewLinks(LinkSigner("another-secret-of-32-characters"), BASE),
            ),
            "expired": link(handle.id, run_id, "grow-arr", ANA.email, hours=-1),
            "other-run": link(
                handle.id, "0b5c3b1e-5a7e-4c55-9a5e-0d1f2a3b4c5d", "grow-arr", ANA.email
            ),
            "other-item": link(handle.id, run_id, "grow-arr", ANA.email).replace(
                "/items/grow-arr", "/items/self-serve"
            ),
            "someone-elses": link(handle.id, run_id, "self-serve", ANA.email),
            "approval-token": f"{BASE}/reviews/{handle.id}/items/grow-arr?token="
            + SIGNER.issue(handle.id, 1, ANA.email, datetime.now(UTC) + timedelta(days=1)),
        }[case]
        page = await http.get(url)
        token = url.split("token=", 1)[1]
        http.cookies.set(CSRF_COOKIE, "n")
        posted = await http.post(
            url,
            data={"token": token, "csrf": SIGNER.csrf_value(token, "n")} | FORM,
        )
        status = await review_status(client, handle.id)
    assert (code, code, []) == (page.status_code, posted.status_code, status.submitted)
    assert words in page.text and words in posted.text


async def test_closed_collection_refuses_the_form(dev_server_env: WorkflowEnvironment) -> None:
    """Once the pack is being built the form says updates are closed (409)."""
    client = dev_server_env.client
    async with running_review(client, stage="building pack") as handle, review_site(client) as http:
        page = await http.get(link(handle.id, handle.result_run_id or "", "grow-arr", ANA.email))
    assert (409, True) == (page.status_code, "Updates are closed" in page.text)


async def test_no_worker_says_try_again_later(
    dev_server_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no worker, the GET and the POST each answer 503 'try again later' within the
    bounded wait; the same link opens the form once a worker is back."""
    monkeypatch.setattr(approvals_client, "QUERY_TIMEOUT", timedelta(seconds=1))
    monkeypatch.setattr(approvals_client, "DECISION_WAIT", timedelta(seconds=2))
    client = dev_server_env.client
    task_queue = str(uuid.uuid4())
    handle = await start_review(client, task_queue)
    try:
        async with review_site(client) as http:
            url = link(handle.id, handle.result_run_id or "", "grow-arr", ANA.email)
            token = url.split("token=", 1)[1]
            page = await asyncio.wait_for(http.get(url), timeout=10)
            http.cookies.set(CSRF_COOKIE, "n")
            posted = await asyncio.wait_for(
                http.post(
                    url,
                    data={"token": token, "csrf": SIGNER.csrf_value(token, "n")} | FORM,
                ),
                timeout=10,
            )
            async with review_worker(client, task_queue):
                again = await http.get(url)
                status = await review_status(client, handle.id)
    finally:
        await handle.terminate()
    assert (503, 503, 200) == (page.status_code, posted.status_code, again.status_code)
    assert "Try again later" in page.text and "still works" in posted.text
    assert [] == status.submitted


def test_opsrhythm_web_serves_the_review_form() -> None:
    """`opsrhythm web` (create_app) answers the review links' path, GET and POST."""
    app = create_app(cast(Client, None), SIGNER, cast(UsedLinks, None))
    methods = {
        method
        for route in app.routes
        if isinstance(route, Route) and route.path == "/reviews/{workflow_id}/items/{item_id}"
        for method in route.methods or ()
    }
    assert {"GET", "POST"} <= methods
