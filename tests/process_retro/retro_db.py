"""The retro store on an upgraded SQLite file (and PostgreSQL schema when marked), and author keys
under a test secret, for the retro store, anonymity, CLI and page tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsrhythm.rituals.process_retro.keys import AuthorKeys
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.databases import postgres_schema, sqlite_url

SECRET = "retro-test-secret-0123456789"
KEYS = AuthorKeys(SECRET)
WORKFLOW_ID = "process-retro-2026-W49"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def retro_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "opsrhythm.db")
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def retro_store(retro_database_url: str) -> Iterator[RetroStore]:
    opened = RetroStore.from_url(retro_database_url)
    yield opened
    opened.close()


def key(email: str, workflow_id: str = WORKFLOW_ID) -> str:
    return KEYS.author_key(workflow_id, email)
