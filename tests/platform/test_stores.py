"""Opening the database in an activity: what no retry can mend fails at once; an outage retries."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.db.schema import DatabaseUnreachable
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.ledger_keys import DATABASE_URL_ENV
from opsrhythm.platform.stores import open_in_activity
from tests.databases import sqlite_url


def test_a_database_never_upgraded_fails_the_activity_without_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'never-upgraded.db'}")
    with pytest.raises(ApplicationError) as error:
        open_in_activity(SendLedger.from_url)
    assert (True, "SchemaBehind") == (error.value.non_retryable, error.value.type)
    assert "opsrhythm db upgrade" in str(error.value)


def test_an_unreachable_database_is_left_to_temporal_to_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing listens on port 1: like a database that is down for a while."""
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql+psycopg://postgres@127.0.0.1:1/test")
    with pytest.raises(DatabaseUnreachable):
        open_in_activity(SendLedger.from_url)


def test_an_upgraded_database_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, sqlite_url(tmp_path / "upgraded.db"))
    assert isinstance(open_in_activity(SendLedger.from_url), SendLedger)
