"""``POST /feedback`` with every kind of bad body (SQLite and PostgreSQL): a 4xx with the reason
and the body quarantined, never a 500; a database that is down is a 503."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from starlette.applications import Starlette

from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.web import FeedbackIntake
from tests.feedback.bad_rows import (
    AUTH,
    BAD_JSON,
    GOOD_JSON,
    TOKEN,
    UNREACHABLE,
    mapped_settings,
)
from tests.web.live_server import live_server


@pytest.fixture(scope="module")
def settings() -> FeedbackSettings:
    return mapped_settings()


@pytest_asyncio.fixture
async def intake_url(settings: FeedbackSettings, ledger: FeedbackLedger) -> AsyncIterator[str]:
    app = Starlette(routes=FeedbackIntake(settings, ledger, TOKEN).routes())
    async with live_server(app) as base:
        yield f"{base}/feedback"


async def test_post_answers_every_bad_body_with_a_4xx_and_quarantines_it(
    intake_url: str, ledger: FeedbackLedger
) -> None:
    """Never a 500: each bad body is a 400 or 422 with its reason, quarantined; the good ones
    are stored (201) with their external id, and an unknown field is named in the answer."""
    bodies = [body.encode() for body in BAD_JSON] + [
        b'{"text": "Excel \xe9", "submitter": "x@acme.example"}',
        json.dumps({"text": "n" * 20, "submitter": "y@acme.example", "segment": "s" * 65}).encode(),
    ]
    async with httpx.AsyncClient() as http:
        bad = [(await http.post(intake_url, content=b, headers=AUTH)) for b in bodies]
        good = [(await http.post(intake_url, json=b, headers=AUTH)) for b in GOOD_JSON]
    assert [True] * len(bodies) == [r.status_code in (400, 422) for r in bad]
    assert [True] * len(bodies) == [r.json()["quarantined"] for r in bad]
    reasons = [*BAD_JSON.values(), "body is not UTF-8", "segment: String should have at most 64"]
    assert [True] * len(bodies) == [
        reason.removeprefix("invalid JSON") in r.json()["error"]
        for reason, r in zip(reasons, bad, strict=True)
    ]
    assert [201, 201] == [r.status_code for r in good]
    assert ("1042", []) == (good[0].json()["external_id"], good[0].json()["unknown_fields"])
    assert len(bodies) == len(ledger.quarantined())
    assert 2 == len(ledger.find())


async def test_post_names_fields_it_does_not_read(intake_url: str, ledger: FeedbackLedger) -> None:
    """A field that fills nothing is not silently dropped: the answer names it."""
    body = {"text": "Dark mode", "submitter": "z@acme.example", "mood": "keen"}
    async with httpx.AsyncClient() as http:
        response = await http.post(intake_url, json=body, headers=AUTH)
    assert (201, ["mood"]) == (response.status_code, response.json()["unknown_fields"])


async def test_post_with_the_database_down_is_a_503_not_a_500(settings: FeedbackSettings) -> None:
    """The store refusing connections: 503 with Retry-After and one line, for the sender to
    retry; nothing is claimed stored."""
    down = FeedbackLedger(sa.create_engine(UNREACHABLE, poolclass=sa.NullPool))
    app = Starlette(routes=FeedbackIntake(settings, down, TOKEN).routes())
    async with live_server(app) as base, httpx.AsyncClient() as http:
        response = await http.post(f"{base}/feedback", json=GOOD_JSON[0], headers=AUTH)
    assert (503, "60", 1) == (
        response.status_code,
        response.headers.get("retry-after"),
        len(response.json()["error"].splitlines()),
    )
    assert response.json()["error"].startswith("feedback store unavailable: ")
