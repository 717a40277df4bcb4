"""``POST /feedback`` through a real HTTP server: token, bad JSON, oversized bodies, quarantine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from opsrhythm.config_loader import load_config
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.web import MAX_BODY_BYTES, FeedbackIntake
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url
from tests.web.live_server import live_server

TOKEN = "feedback-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GOOD = {
    "text": "We need SAML SSO before the renewal",
    "submitter": "hugo.novak@acme.example",
    "source": "sales",
    "customer": "Globex",
    "segment": "enterprise",
    "arr": 120000,
}


@pytest.fixture
def ledger(tmp_path: Path) -> FeedbackLedger:
    return FeedbackLedger.from_url(sqlite_url(tmp_path / "feedback.db"))


@pytest_asyncio.fixture
async def url(ledger: FeedbackLedger) -> AsyncIterator[str]:
    settings = load_config(EXAMPLE_CONFIG).feedback
    assert settings is not None
    app = Starlette(routes=FeedbackIntake(settings, ledger, TOKEN).routes())
    async with live_server(app) as base:
        yield f"{base}/feedback"


async def test_stores_and_routes_once(url: str, ledger: FeedbackLedger) -> None:
    """A valid item is stored and routed (201); the same body again stores nothing (200)."""
    async with httpx.AsyncClient() as http:
        first = await http.post(url, json=GOOD, headers=AUTH)
        again = await http.post(url, json=GOOD, headers=AUTH)
    assert (201, True) == (first.status_code, first.json()["stored"])
    assert (200, False) == (again.status_code, again.json()["stored"])
    item = ledger.get(first.json()["id"])
    assert item is not None
    assert (item.area, item.submitter) == (first.json()["area"], GOOD["submitter"])


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
async def test_refuses_without_the_token(
    url: str, ledger: FeedbackLedger, headers: dict[str, str]
) -> None:
    """No token, a wrong one or a bare one: 401, and nothing stored or quarantined."""
    async with httpx.AsyncClient() as http:
        response = await http.post(url, json=GOOD, headers=headers)
    assert 401 == response.status_code
    assert [] == ledger.quarantined()


async def test_bad_json_is_quarantined(url: str, ledger: FeedbackLedger) -> None:
    """A body that is not JSON gets a 400 and is kept in quarantine with the reason."""
    async with httpx.AsyncClient() as http:
        response = await http.post(url, content=b"{text: oops", headers=AUTH)
    assert (400, True) == (response.status_code, response.json()["quarantined"])
    [row] = ledger.quarantined()
    assert ("api", "{text: oops") == (row.origin, row.raw)
    assert row.reason.startswith("body is not JSON")


async def test_invalid_item_is_quarantined(url: str, ledger: FeedbackLedger) -> None:
    """Valid JSON that is not a valid item (no submitter) is a 422, quarantined with its reason."""
    async with httpx.AsyncClient() as http:
        response = await http.post(url, json={"text": "no one sent this"}, headers=AUTH)
    assert 422 == response.status_code
    [row] = ledger.quarantined()
    assert response.json()["error"] == row.reason


async def test_oversized_body_is_refused(url: str, ledger: FeedbackLedger) -> None:
    """A body over the limit is refused with 413 before it is read into the ledger."""
    huge = {**GOOD, "text": "x" * (MAX_BODY_BYTES + 1)}
    async with httpx.AsyncClient() as http:
        response = await http.post(url, json=huge, headers=AUTH)
    assert 413 == response.status_code
    assert [] == ledger.quarantined()
