"""A run's step where people look for it: the ``status`` query, the Web UI's current details
(``workflow.set_current_details``) and the ``Step`` search attribute, so that
``Step = 'awaiting approval'`` lists every run an approver is holding up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from opsrhythm.platform import search_attributes
    from workflows.approval import ApprovalGate

# Runs that started before the Step attribute replay without its upserts.
STEP_ATTRIBUTE_PATCH = "step-search-attribute"
AWAITING_APPROVAL = "awaiting approval"
AWAITING_REDRAFT = "awaiting redraft"


class RunSteps:
    """The step a ritual workflow is on, published on every change."""

    def __init__(self, gate: ApprovalGate) -> None:
        self._gate = gate
        self.current = "starting"
        self._searchable = False
        self._upserted: str | None = None

    def make_searchable(self) -> None:
        """Upsert ``Step`` from now on, if the starter set ``Ritual``: only that proves the server
        knows our attributes, and upserting an unknown one would stall every workflow task."""
        info = workflow.info()
        if info.typed_search_attributes.get(search_attributes.RITUAL) is None:
            return
        self._searchable = workflow.patched(STEP_ATTRIBUTE_PATCH)
        self._publish()

    def enter(self, step: str) -> None:
        self.current = step
        self._publish()

    @property
    def shown(self) -> str:
        """The step, told apart while the gate waits for the owner after a request for changes."""
        if self.current == AWAITING_APPROVAL and self._gate.round.settled == "changes_requested":
            return AWAITING_REDRAFT
        return self.current

    @contextmanager
    def awaiting_approval(self) -> Iterator[None]:
        """Around the gate: the step, then what decisions change as they arrive (in the gate's
        Update handler, where this cannot see them)."""
        self.enter(AWAITING_APPROVAL)
        following = asyncio.create_task(self._follow_approval())
        try:
            yield
        finally:
            following.cancel()

    async def _follow_approval(self) -> None:
        while True:
            self._publish()
            await workflow.wait_condition(partial(self._changed_from, self._details()))

    def _changed_from(self, seen: str) -> bool:
        return self._details() != seen

    def _details(self) -> str:
        step = self.shown
        if step not in (AWAITING_APPROVAL, AWAITING_REDRAFT) or self._gate.plan is None:
            return f"**{step}**"
        status = self._gate.status(workflow.info().workflow_id)
        if step == AWAITING_REDRAFT:
            return f"**{step}** · round {status.round}: changes requested, waiting for the owner"
        waiting = ", ".join(contact.name for contact in status.pending) or "nobody"
        escalated = " (escalated)" if status.escalated else ""
        return f"**{step}** · round {status.round}{escalated} · waiting for {waiting}"

    def _publish(self) -> None:
        workflow.set_current_details(self._details())
        step = self.shown
        if self._searchable and step != self._upserted:
            workflow.upsert_search_attributes([search_attributes.STEP.value_set(step)])
            self._upserted = step
