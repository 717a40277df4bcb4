"""A run's wait for an operator to settle its unknown outcomes; deterministic only.

A run whose deliveries hold unknown outcomes stays open, in step "needs attention", until
``opsrhythm ledger resolve`` signals it (``OUTCOMES_SETTLED_SIGNAL``): a signal, so it is
recorded even while no worker is up. Each signal is one more try at the recipients the
operator released. The wait is bounded by ``SETTLE_WAIT``, a durable timer, so that a run
nobody settles still finishes (as needing attention) and never holds its ritual's next period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

SETTLE_WAIT = timedelta(days=7)
"""How long a run waits to be settled: a week of an operator's attention. Keep it well under
the shortest period of a kind that settles (a month): a scheduled run's wrapper waits for its
report, and the schedule's default overlap policy (skip) would drop the next fire meanwhile."""


class Settling:
    """Counts the signals a run was given and those it acted on; the run owns the handler."""

    def __init__(self) -> None:
        self.until: datetime | None = None
        """When the wait ends unsettled; None before it begins."""
        self._told = 0
        self._acted = 0
        self._waiting = False

    def told(self) -> None:
        self._told += 1

    @property
    def waiting(self) -> bool:
        """Waiting for a signal: not acting on one (its resend may settle everything)."""
        return self._waiting and self._told == self._acted

    def begin(self) -> datetime:
        self.until = workflow.now() + SETTLE_WAIT
        return self.until

    async def told_in_time(self) -> bool:
        """Wait for the next signal (one that came earlier counts); False once the wait ends."""
        assert self.until is not None, "begin() first"
        left = self.until - workflow.now()
        if left <= timedelta(0):
            return False
        self._waiting = True
        try:
            await workflow.wait_condition(lambda: self._told > self._acted, timeout=left)
        except TimeoutError:
            return False
        finally:
            self._waiting = False
        self._acted = self._told
        return True
