"""The feedback ledger on SQLite and, where marked, PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsrhythm.rituals.feedback.ledger import FeedbackLedger

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FeedbackLedger]:
    if request.param == "sqlite":
        ledger = FeedbackLedger.from_url(f"sqlite:///{tmp_path / 'feedback.db'}")
    else:
        prefix = f"feedback_test_{uuid.uuid4().hex[:12]}"
        ledger = FeedbackLedger.from_url(POSTGRES_URL, prefix=prefix)
    yield ledger
    ledger.metadata.drop_all(ledger.engine)
    ledger.close()
