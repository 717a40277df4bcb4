"""Opening the configured database from inside an activity, where Temporal owns the retries."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from temporalio.exceptions import ApplicationError

from opsrhythm.platform.db.schema import DatabaseNotReady, DatabaseUnreachable
from opsrhythm.platform.ledger_keys import default_database_url

StoreT = TypeVar("StoreT")


def open_in_activity(open_store: Callable[[str], StoreT]) -> StoreT:
    """The store on ``OPSRHYTHM_DATABASE_URL``. A database that is down is retried like any
    outage; a schema this OpsRhythm cannot use, or a bad URL, fails the activity at once with
    the one-line fix, since no retry can mend it."""
    try:
        return open_store(default_database_url())
    except DatabaseUnreachable:
        raise
    except DatabaseNotReady as error:
        raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from None
