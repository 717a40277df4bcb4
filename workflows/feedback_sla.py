"""``FeedbackSlaWorkflow``: one watcher for every open item's SLA, on durable timers.

It asks the ledger what is due, has it sent, and sleeps until the next warning or breach (or
until an import pokes it about new items), instead of one workflow per item. It continues as
new every ``sweeps_per_run`` sweeps so its history stays short.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from opsrhythm.rituals.feedback.sla_models import SWEEP_SLA, SlaSweepInput, SlaWatchInput

SWEEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5)
)


@workflow.defn
class FeedbackSlaWorkflow:
    def __init__(self) -> None:
        self._poked = False

    @workflow.signal
    def poke(self) -> None:
        """New items were stored: look again now rather than at the next deadline."""
        self._poked = True

    @workflow.run
    async def run(self, input: SlaWatchInput) -> None:
        for _ in range(input.sweeps_per_run):
            self._poked = False
            now = workflow.now()
            result = await SWEEP_SLA.execute(
                SlaSweepInput(now=now, workflow_id=workflow.info().workflow_id),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=SWEEP_RETRY,
            )
            wait = timedelta(seconds=input.max_idle_seconds)
            if result.next_at is not None:
                wait = min(wait, max(result.next_at - workflow.now(), timedelta(seconds=1)))
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._poked, timeout=wait)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(input)
