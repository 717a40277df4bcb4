"""The configured database inside activities, where Temporal owns the retries.

``open_in_activity`` opens a store; ``DatabaseOutages``, a worker interceptor, turns a database
lost at any point of an activity (``DatabaseUnreachable``) into a one-line ``ApplicationError``
that Temporal retries until ``DATABASE_OUTAGE_ATTEMPTS``, and then fails for good.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from opsrhythm.platform.ledger_keys import default_database_url

if TYPE_CHECKING:
    from opsrhythm.platform.db.schema import DatabaseUnreachable

__all__ = ["DATABASE_OUTAGE_ATTEMPTS", "DatabaseOutages", "open_in_activity", "outage_failure"]

StoreT = TypeVar("StoreT")

DATABASE_OUTAGE_ATTEMPTS = 6
"""The attempt at which an activity that cannot reach the database fails for good.

The activities that open a store retry from 2 s, doubling, or faster: the report and approval
emails (10 attempts allowed), the owner notices (5), the feedback import (1 s, 5). By attempt 6
the waits between attempts add up to 2 + 4 + 8 + 16 + 32 = 62 s, and each attempt gives up
connecting after ``db.schema.CONNECT_TIMEOUT_SECONDS`` (5 s): an activity whose database is
down fails within 92 s, in one line naming the database. A run whose send ledger is down
fails within about 2.5 minutes: the send (at most 92 s), then the failure notice, whose own
5 attempts end first (at most 55 s), before the notice goes to the outbox and the webhook.
Activities whose policy has no attempt limit (the SLA watcher's sweep) mean to outlast an
outage: they keep retrying, one log line per attempt."""


def open_in_activity(open_store: Callable[[str], StoreT]) -> StoreT:
    """The store on ``OPSRHYTHM_DATABASE_URL``. A database that is down raises
    ``DatabaseUnreachable`` (``DatabaseOutages`` bounds its retries); a schema this OpsRhythm
    cannot use, or a bad URL, fails the activity at once with the one-line fix, since no retry
    can mend it."""
    from opsrhythm.platform.db.schema import DatabaseNotReady, DatabaseUnreachable

    try:
        return open_store(default_database_url())
    except DatabaseUnreachable:
        raise
    except DatabaseNotReady as error:
        raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from None


def outage_failure(error: DatabaseUnreachable) -> ApplicationError:
    """The activity's failure for an outage: retryable until ``DATABASE_OUTAGE_ATTEMPTS``."""
    info = activity.info()
    unlimited = info.retry_policy is not None and info.retry_policy.maximum_attempts == 0
    if unlimited or info.attempt < DATABASE_OUTAGE_ATTEMPTS:
        return ApplicationError(str(error), type=type(error).__name__)
    return ApplicationError(
        f"{error} (gave up after {info.attempt} attempts)",
        type=type(error).__name__,
        non_retryable=True,
    )


class DatabaseOutages(Interceptor):
    """Applies ``outage_failure`` to every activity of the worker it is given to."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _OutageInbound(next)


class _OutageInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await self.next.execute_activity(input)
        except Exception as error:
            # Imported here: the worker loads SQLAlchemy with the first store, not at start.
            from opsrhythm.platform.db.schema import DatabaseUnreachable

            if isinstance(error, DatabaseUnreachable):
                raise outage_failure(error) from None
            raise
