"""A participant's retro page behind their signed link (dev server, the real store): their own
items only, added, edited and deleted while collecting; dots while voting; refusals as pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from starlette.applications import Starlette
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform import resources
from opsrhythm.rituals.process_retro.links import RetroLinks
from opsrhythm.rituals.process_retro.pages import RetroPages
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.databases import sqlite_url
from tests.process_retro.retro_db import KEYS
from tests.process_retro.retro_fakes import ANA, EMMA, FARID, advance, stage
from tests.process_retro.retro_live import live_retro
from tests.strategy_review.review_site import BASE, SIGNER, post_form

LINKS = RetroLinks(SIGNER, BASE)


def link(workflow_id: str, email: str, run_id: str = "") -> str:
    return LINKS.form_url(workflow_id, run_id, email, datetime.now(UTC) + timedelta(days=3))


@asynccontextmanager
async def retro_site(client: Client, url: str) -> AsyncIterator[httpx.AsyncClient]:
    store = RetroStore.from_url(url)
    pages = RetroPages(
        client, SIGNER, resources.templates_dir(), lambda: store, lambda: KEYS, "Acme"
    )
    app = Starlette(routes=pages.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http
    store.close()


async def test_collecting_then_voting_through_the_page(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    client = dev_server_env.client
    async with live_retro(client, url) as handle, retro_site(client, url) as http:
        wf = handle.id
        emma, farid = link(wf, EMMA.email), link(wf, FARID.email)
        await stage(handle, "collecting")
        first = await post_form(http, emma, do="add", prompt="stop", text="Release notes late")
        signed = await post_form(
            http, emma, do="add", prompt="start", text="Pair on the changelog", sign="1"
        )
        edited = await post_form(http, emma, do="edit", item="I1", text="Release notes too late")
        hijack = await post_form(http, farid, do="edit", item="I1", text="mine now")
        deleted = await post_form(http, emma, do="delete", item="I2")
        bad_prompt = await post_form(http, farid, do="add", prompt="glad", text="x")
        vote_early = await post_form(http, farid, do="vote", **{"dots:G1": "1"})
        mine, his = await http.get(emma), await http.get(farid)
        outsider = await http.get(link(wf, ANA.email))
        forged = await http.get(emma.replace("token=", "token=x"))
        elsewhere = await http.get(emma.replace(f"/retros/{wf}", "/retros/process-retro-other"))

        assert [200, 200, 200, 200] == [r.status_code for r in (first, signed, edited, deleted)]
        assert "Added I1." in first.text and "Deleted I2." in deleted.text
        assert 400 == hijack.status_code and "I1 is not one of your items" in hijack.text
        assert (400, 409) == (bad_prompt.status_code, vote_early.status_code)
        assert "Release notes too late" in mine.text and "Pair on the changelog" not in mine.text
        assert "Release notes" not in his.text
        assert (403, 403, 403) == (outsider.status_code, forged.status_code, elsewhere.status_code)
        assert "no-store" == mine.headers["cache-control"]

        await advance(handle, "collecting")
        await stage(handle, "grouping")
        closed = await http.get(emma)
        await advance(handle, "grouping")
        await stage(handle, "voting")
        ballot = await http.get(farid)
        too_many = await post_form(http, farid, do="vote", **{"dots:G1": "4"})
        voted = await post_form(http, farid, do="vote", **{"dots:G1": "2"})
        late_item = await post_form(http, farid, do="add", prompt="stop", text="Late")
        again = await http.get(farid)

    assert 409 == closed.status_code and "Nothing to do here now" in closed.text
    assert "Release notes too late" in ballot.text and 'name="dots:G1"' in ballot.text
    assert (400, 200, 409) == (too_many.status_code, voted.status_code, late_item.status_code)
    assert "at most 3 dot(s) on one group" in too_many.text
    assert "Your 2 dot(s) are recorded" in voted.text and 'value="2"' in again.text
    store = RetroStore.from_url(url)
    assert {1: 2} == store.own_votes(wf, KEYS.author_key(wf, FARID.email))
    store.close()


async def test_an_expired_link_is_refused_as_a_page(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "opsrhythm.db")
    expired = LINKS.form_url(
        "process-retro-2026-W49", "", EMMA.email, datetime.now(UTC) - timedelta(hours=1)
    )
    async with retro_site(dev_server_env.client, url) as http:
        page = await http.get(expired)
    assert 410 == page.status_code and "This link expired" in page.text


async def test_the_database_down_is_a_page_asking_to_come_back(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """A 503 page, never a 500, while the store cannot be opened."""
    url = sqlite_url(tmp_path / "opsrhythm.db")
    client = dev_server_env.client

    def unreachable() -> RetroStore:
        return RetroStore.from_url("postgresql+psycopg://u@127.0.0.1:9/x")

    pages = RetroPages(client, SIGNER, resources.templates_dir(), unreachable, lambda: KEYS)
    app = Starlette(routes=pages.routes())
    transport = httpx.ASGITransport(app=app)
    async with (
        live_retro(client, url) as handle,
        httpx.AsyncClient(transport=transport, base_url=BASE) as http,
    ):
        await stage(handle, "collecting")
        emma = link(handle.id, EMMA.email)
        page = await http.get(emma)
    assert 503 == page.status_code and "Try again later" in page.text
