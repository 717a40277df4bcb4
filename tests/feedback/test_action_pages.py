"""Ack and resolve through the signed links in SLA emails, over a real HTTP server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.rituals.feedback.action_pages import FeedbackActionPages
from opsrhythm.rituals.feedback.actions import acknowledge
from opsrhythm.rituals.feedback.links import PURPOSE, ActionLinks, action_path
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.feedback.test_sla import Setup
from tests.web.live_server import live_server

SIGNER = LinkSigner("feedback-links-secret-0123456789")
FARID = "farid.haddad@acme.example"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    setup: Setup
    base: str
    http: httpx.AsyncClient
    item_id: str
    woken: list[bool] = field(default_factory=list)

    def link(self, action: str, actor: str = FARID, item_id: str | None = None) -> str:
        links = ActionLinks(SIGNER, self.base).for_item(item_id or self.item_id, actor)
        return links[action]

    async def form(self, link: str, **fields: str) -> dict[str, str]:
        """Open the link and fill in its page's form, as a browser would."""
        page = await self.http.get(link)
        match = _CSRF.search(page.text)
        assert match is not None, page.text
        return {"token": httpx.URL(link).params["token"], "csrf": match.group(1), **fields}

    async def submit(self, link: str, **fields: str) -> httpx.Response:
        return await self.http.post(link, data=await self.form(link, **fields))

    def status(self) -> str:
        item = self.setup.ledger.get(self.item_id)
        assert item is not None
        return item.status


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """A billing item (owner Farid, P2) and the pages for its links."""
    setup = Setup(tmp_path)
    item_id = setup.submit("Refund the <b>invoice</b> & credit note", datetime.now(UTC))
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    people = {p.email for p in setup.config.people}
    woken: list[bool] = []

    async def wake() -> None:
        woken.append(True)

    pages = FeedbackActionPages(
        setup.ledger, people, SIGNER, used, resources.templates_dir(), on_resolved=wake
    )
    async with live_server(Starlette(routes=pages.routes())) as base, httpx.AsyncClient() as http:
        yield Site(setup, base, http, item_id, woken)
    used.close()


async def test_get_shows_the_item_escaped_and_changes_nothing(site: Site) -> None:
    """Mail scanners open links: the page shows the item, its text escaped, and acts on nothing."""
    page = await site.http.get(site.link("ack"))
    assert (200, "new") == (page.status_code, site.status())
    assert ("&lt;b&gt;invoice&lt;/b&gt; &amp; credit" in page.text, "<b>" in page.text) == (
        True,
        False,
    )


async def test_ack_link_acknowledges_once_as_its_recipient(site: Site) -> None:
    """The button acknowledges as the email's recipient; the same form again gets a 410."""
    link = site.link("ack")
    form = await site.form(link)
    first = await site.http.post(link, data=form)
    again = await site.http.post(link, data=form)
    assert (200, "acknowledged", 410) == (first.status_code, site.status(), again.status_code)
    assert (FARID, "acknowledged") == site.setup.ledger.events(site.item_id)[-1][:2]


async def test_resolve_link_resolves_and_tells_the_submitter(site: Site) -> None:
    """Resolving records status and note, wakes the watcher, and the submitter is emailed."""
    done = await site.submit(site.link("resolve"), status="planned", note="Q1, with credit notes")
    sweep = SlaSweepInput(now=datetime.now(UTC) + timedelta(hours=1))
    ActivityEnvironment().run(site.setup.activities.sweep_sla, sweep)
    replies = [sent for sent in site.setup.transport.sent if "hugo.novak" in sent[1][0]]
    assert (200, "planned", [True], 1) == (
        done.status_code,
        site.status(),
        site.woken,
        len(replies),
    )


async def test_resolve_needs_a_status_and_a_note_and_keeps_the_link(site: Site) -> None:
    """A form without a note is refused (400) without spending the link; then it works."""
    link = site.link("resolve")
    missing_note = await site.submit(link, status="shipped", note="  ")
    bad_status = await site.submit(link, status="maybe", note="x")
    fixed = await site.submit(link, status="shipped", note="Out today")
    assert (400, 400, 200, "shipped") == (
        missing_note.status_code,
        bad_status.status_code,
        fixed.status_code,
        site.status(),
    )


async def test_a_link_works_only_for_its_item_and_action(site: Site) -> None:
    """An ack token on the resolve URL, or on another item's URL, is refused (403)."""
    ack = site.link("ack")
    token = httpx.URL(ack).params["token"]
    on_resolve = await site.http.get(
        f"{site.base}{action_path(site.item_id, 'resolve')}?token={token}"
    )
    on_other = await site.http.get(
        f"{site.base}{action_path('fb-000000000000', 'ack')}?token={token}"
    )
    assert (403, 403, "new") == (on_resolve.status_code, on_other.status_code, site.status())


async def test_forged_expired_and_approval_tokens_are_refused(site: Site) -> None:
    """Another secret: 403; past its expiry: 410; an approval link's token: 403."""
    path = f"{site.base}{action_path(site.item_id, 'ack')}"
    claims = {"i": site.item_id, "a": FARID, "x": "ack"}
    past = datetime.now(UTC) - timedelta(minutes=1)
    future = datetime.now(UTC) + timedelta(days=1)
    tokens = [
        LinkSigner("someone-elses-secret-0123456789").sign(PURPOSE, claims, future),
        SIGNER.sign(PURPOSE, claims, past),
        SIGNER.issue(site.item_id, 1, FARID, future),
    ]
    codes = [(await site.http.get(path, params={"token": t})).status_code for t in tokens]
    assert ([403, 410, 403], "new") == (codes, site.status())


async def test_odd_tokens_and_csrf_values_are_refused_not_crashes(site: Site) -> None:
    """Non-ASCII in a token or a CSRF value is a 403 page, never a server error."""
    link = site.link("ack")
    page = await site.http.get(link.split("?")[0], params={"token": "x.é"})
    form = await site.form(link) | {"csrf": "é"}
    post = await site.http.post(link, data=form)
    assert (403, 403, "new") == (page.status_code, post.status_code, site.status())


async def test_an_oversized_form_is_refused(site: Site) -> None:
    link = site.link("resolve")
    form = await site.form(link, status="shipped", note="x" * 70_000)
    post = await site.http.post(link, data=form)
    assert (413, "new") == (post.status_code, site.status())


async def test_two_clicks_at_once_act_once(site: Site) -> None:
    """Two POSTs of one link racing: one acts, the other is told the link was used."""
    link = site.link("ack")
    form = await site.form(link)
    first, second = await asyncio.gather(
        site.http.post(link, data=form), site.http.post(link, data=form)
    )
    acks = [e for e in site.setup.ledger.events(site.item_id) if e[1] == "acknowledged"]
    assert ([200, 410], 1) == (sorted([first.status_code, second.status_code]), len(acks))


async def test_a_database_failure_gives_the_link_back(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the ledger write fails the page says try again (503), and the same form then works."""
    import opsrhythm.rituals.feedback.action_pages as pages

    def broken(*args: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    link = site.link("ack")
    form = await site.form(link)
    with monkeypatch.context() as patch:
        patch.setattr(pages, "acknowledge", broken)
        failed = await site.http.post(link, data=form)
    retried = await site.http.post(link, data=form)
    assert (503, 200, "acknowledged") == (failed.status_code, retried.status_code, site.status())


async def test_a_post_without_the_page_csrf_value_changes_nothing(site: Site) -> None:
    """A form posted from elsewhere (no cookie, no CSRF value) is refused with 403."""
    link = site.link("ack")
    async with httpx.AsyncClient() as stranger:
        post = await stranger.post(link, data={"token": httpx.URL(link).params["token"]})
    assert (403, "new") == (post.status_code, site.status())


async def test_an_item_already_acknowledged_says_so(site: Site) -> None:
    """After an ack from the CLI the ack link shows 409 and the item's state."""
    acknowledge(site.setup.ledger, site.item_id, "kenji.ito@acme.example")
    page = await site.http.get(site.link("ack"))
    assert (409, True) == (page.status_code, "already acknowledged" in page.text)


async def test_a_person_no_longer_in_the_config_is_refused(site: Site) -> None:
    page = await site.http.get(site.link("ack", actor="left.company@acme.example"))
    assert (403, "new") == (page.status_code, site.status())


async def test_sla_warning_email_carries_working_links(site: Site) -> None:
    """The owner's warning lists each item with its ack and resolve links; they open the page."""
    site.setup.activities._links = ActionLinks(SIGNER, site.base)
    item = site.setup.ledger.get(site.item_id)
    assert item is not None and item.warn_at is not None
    ActivityEnvironment().run(
        site.setup.activities.sweep_sla, SlaSweepInput(now=item.warn_at + timedelta(minutes=1))
    )
    [text] = site.setup.transport.texts
    links = dict(re.findall(r"^  (Acknowledge|Resolve): (\S+)$", text, re.MULTILINE))
    pages = [(await site.http.get(links[word])).status_code for word in ("Acknowledge", "Resolve")]
    assert ([200, 200], "new") == (pages, site.status())


def test_web_app_serves_the_feedback_pages_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config with feedback: the ack/resolve pages; with the intake token too: POST /feedback."""
    from opsrhythm.config_loader import load_config
    from opsrhythm.web import feedback_routes

    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", sqlite_url(tmp_path / "web.db"))
    config = load_config(EXAMPLE_CONFIG)
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    client = cast(Client, object())  # only used to wake the watcher after a resolve
    without_token = {r.path for r in feedback_routes(config, client, SIGNER, used)}
    monkeypatch.setenv("OPSRHYTHM_FEEDBACK_TOKEN", "t0ken")
    with_token = {r.path for r in feedback_routes(config, client, SIGNER, used)}
    used.close()
    assert (
        {"/feedback/items/{item_id}/{action}"},
        {"/feedback/items/{item_id}/{action}", "/feedback"},
    ) == (
        without_token,
        with_token,
    )


def test_opsrhythm_web_takes_its_config_and_server_from_the_cli_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opsrhythm web` loads the config through `CliContext.configs` and connects through
    `CliContext.connect`, and their errors are the runner's one line with its exit code."""
    import dataclasses

    import starter
    from opsrhythm.platform import cli
    from opsrhythm.platform.cli_errors import ServerError
    from opsrhythm.platform.config import PlatformConfig
    from opsrhythm.platform.config_errors import ConfigError, ConfigProblem

    class RefusingConfigs:
        def path(self, explicit: str | None) -> Path:
            return Path(explicit or "opsrhythm.yaml")

        def load(self, explicit: str | None, *, check_calendars: bool = False) -> PlatformConfig:
            raise ConfigError(str(self.path(explicit)), [ConfigProblem("file", "refused")])

    async def connect() -> Client:
        raise ServerError("the context's connect was called")

    monkeypatch.chdir(tmp_path)  # no ./opsrhythm.yaml: approvals only, no config needed
    monkeypatch.delenv("OPSRHYTHM_CONFIG", raising=False)
    monkeypatch.setenv("OPSRHYTHM_SECRET", "a-long-enough-secret-for-links")
    monkeypatch.setenv("OPSRHYTHM_DATABASE_URL", sqlite_url(tmp_path / "web.db"))
    context = dataclasses.replace(starter.context(), configs=RefusingConfigs(), connect=connect)
    refused = cli.main(starter.commands(), ["web", "--config", "named.yaml"], context)
    refused_err = capsys.readouterr().err
    unreachable = cli.main(starter.commands(), ["web"], context)
    unreachable_err = capsys.readouterr().err
    assert (2, "named.yaml: file: refused\n") == (refused, refused_err)
    assert (1, "opsrhythm: the context's connect was called\n") == (unreachable, unreachable_err)


def test_opsrhythm_web_refuses_a_bad_config_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before anything starts: a missing --config or $OPSRHYTHM_CONFIG file: one line, exit 2."""
    import starter

    monkeypatch.setenv("OPSRHYTHM_SECRET", "a-long-enough-secret-for-links")
    code = starter.main(["web", "--config", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err
    monkeypatch.setenv("OPSRHYTHM_CONFIG", str(tmp_path / "gone.yaml"))
    from_env = starter.main(["web"])
    env_err = capsys.readouterr().err
    assert (2, 1, True) == (
        code,
        len(err.strip().splitlines()),
        "nope.yaml: file: not found" in err,
    )
    assert (2, True) == (from_env, "gone.yaml: file: not found" in env_err)
