"""The feedback ledger on SQLite and, where marked, PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from tests.databases import postgres_schema, sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FeedbackLedger]:
    if request.param == "sqlite":
        ledger = FeedbackLedger.from_url(sqlite_url(tmp_path / "feedback.db"))
        yield ledger
        ledger.close()
        return
    with postgres_schema() as url:
        ledger = FeedbackLedger.from_url(url)
        yield ledger
        ledger.close()
