"""An upgraded database for each actions test: a SQLite file, or a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsrhythm.platform.actions.store import ActionStore
from tests.databases import postgres_schema, sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "opsrhythm.db")
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[ActionStore]:
    opened = ActionStore.from_url(database_url)
    yield opened
    opened.close()
