"""A KPI report with approval and a feedback import, the worker SIGKILLed at each planned point.

The report is started, approved and joined through the ``opsrhythm`` CLI, and so is the import;
the worker is restarted after every kill. Each kill records where it actually landed (the
activities running, the requests SendGrid had not answered), since a timed point can miss its
step. Afterwards ``settle`` plays the operator: ``ledger unknown``, then ``ledger resolve
--mark-sent`` for whoever SendGrid's feed shows as delivered and ``--resend`` (and a re-run) for
the rest.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState, WorkflowExecutionStatus
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.service import RPCError

from opsrhythm.platform.runs import run_workflow_id
from opsrhythm.platform.temporal_runtime import query_status
from opsrhythm.rituals.feedback.workflow_models import import_workflow_id
from tests.reliability.kill_plan import KillPoint
from tests.reliability.kill_world import APPROVERS, PERIOD, RITUAL, World
from tests.reliability.sendgrid_gate import Hold

REPORT_ID = run_workflow_id(RITUAL, PERIOD)
STEP_SECONDS = 180.0
"""Any step taking longer, kills and heartbeat timeouts included, is a hang worth failing on."""
MAX_ATTEMPTS = {"gather_source": 3, "render_report": 3, "triage_feedback_chunk": 5}
ACTIVITY = {"gather": "gather_source", "render": "render_report"}


@dataclass(frozen=True)
class Kill:
    point: KillPoint
    landed: tuple[str, ...]
    in_flight: bool
    """A report or import run was open: a kill of an idle worker would prove nothing."""
    at_seconds: float
    unanswered: tuple[tuple[str, str, tuple[str, ...]], ...]
    """(audience, message, recipients) of every request SendGrid had not answered at the kill."""


@dataclass
class Outcome:
    kills: list[Kill] = field(default_factory=list)
    skipped: list[KillPoint] = field(default_factory=list)
    report_code: int = 0
    report_output: str = ""
    import_output: str = ""
    import_code: int = 0


class Scenario:
    def __init__(self, world: World, client: Client, import_id: str) -> None:
        self.world = world
        self.client = client
        self.import_id = import_id
        self.outcome = Outcome()
        self._lock = asyncio.Lock()
        self._began = time.monotonic()
        self._dead: set[tuple[str, str, int]] = set()
        """(workflow, activity id, attempt) of attempts killed: the server shows them running
        until their heartbeat times out."""

    async def kill(self, point: KillPoint) -> None:
        async with self._lock:
            running = [
                (workflow_id, a)
                for workflow_id in (REPORT_ID, self.import_id)
                for a in await self._alive(workflow_id)
            ]
            unanswered = self.world.gate.in_flight()
            in_flight = await self._open(REPORT_ID) or await self._open(self.import_id)
            self.world.worker.kill()
            self.world.gate.release()
            self._dead |= {(w, a.activity_id, a.attempt) for w, a in running}
            landed = [f"{a.activity_type.name}#{a.attempt}" for _, a in running]
            if not running and in_flight:
                landed.append("no activity running (a run waiting)")
            self.outcome.kills.append(
                Kill(
                    point,
                    tuple(landed),
                    in_flight,
                    round(time.monotonic() - self._began, 1),
                    tuple((r.audience, r.message, r.emails) for r in unanswered),
                )
            )
            await asyncio.to_thread(self.world.worker.start)

    async def report(
        self, points: Sequence[KillPoint], waiting: asyncio.Event, approve_when: asyncio.Event
    ) -> None:
        """Run, kill at the points before approval, approve, kill at the send points, join."""
        sends = [p for p in points if p.target in ("approval-send", "report-send")]
        asks = [(p, self._arm(p)) for p in sends if p.target == "approval-send"]
        await self._cli("run", RITUAL, "--period", PERIOD)
        for point in (p for p in points if p.target in ("gather", "render")):
            await self._timed(REPORT_ID, ACTIVITY[point.target], point)
        for point, hold in asks:
            await self._kill_when_held(point, hold)
        await self._until(self._awaiting_approval, "the report to await approval")
        # Only a decision moves it on: no need to ask again after a kill (and a query would wait
        # for the dead worker's sticky queue to time out).
        for point in (p for p in points if p.target == "awaiting-approval"):
            await asyncio.sleep(point.delay)
            await self.kill(point)
        waiting.set()
        await approve_when.wait()
        report_sends = [p for p in sends if p.target == "report-send"]
        # The first send's hold is armed before the approval starts the sends.
        armed = {0: self._arm(report_sends[0])} if report_sends else {}
        await self._cli("approve", REPORT_ID, "--as", APPROVERS["dev"])
        for index, point in enumerate(report_sends):
            await self._kill_when_held(point, armed.get(index) or self._arm(point))
        # Exit 3 when some outcomes are unknown: the run needs attention until they are settled.
        code, out, err = await self.world.cli("run", RITUAL, "--period", PERIOD, "--wait")
        self.outcome.report_code, self.outcome.report_output = code, (out + err).strip()

    async def feedback(self, points: Sequence[KillPoint], kills_done: asyncio.Event) -> None:
        """Import the file, killing at each chunk point, then wait for the import's result."""
        command = asyncio.ensure_future(
            # Each kill in a chunk costs its 20 s heartbeat timeout.
            self.world.cli(
                "feedback", "import", str(self.world.feedback), within=STEP_SECONDS * len(points)
            )
        )
        for point in points:
            if await self._until(functools.partial(self._chunk, point), f"chunk {point.nth}"):
                await asyncio.sleep(point.delay)
                await self.kill(point)
            else:
                self.outcome.skipped.append(point)
        kills_done.set()
        code, out, err = await command
        self.outcome.import_code, self.outcome.import_output = code, (out + err).strip()
        # The command can give up while the import goes on (see test_worker_kills): count after
        # the import itself has ended.
        await self._until(functools.partial(self._closed, self.import_id), "the import to end")

    async def _timed(self, workflow_id: str, activity: str, point: KillPoint) -> None:
        async def started() -> bool:
            return any(
                a.activity_type.name == activity and a.attempt < MAX_ATTEMPTS[activity]
                for a in await self._alive(workflow_id)
            )

        await self._until(started, f"{activity} to run")
        await asyncio.sleep(point.delay)
        await self.kill(point)

    def _arm(self, point: KillPoint) -> Hold:
        return self.world.gate.hold(point.audience, point.message, point.nth, deliver=point.deliver)

    async def _kill_when_held(self, point: KillPoint, hold: Hold) -> None:
        """Kill once the held request arrives; one that never comes skips the point."""
        if await asyncio.to_thread(hold.wait, STEP_SECONDS):
            await self.kill(point)
        else:
            self.world.gate.cancel(hold)
            self.outcome.skipped.append(point)

    async def _chunk(self, point: KillPoint) -> bool | None:
        """True once the point's chunk (or a later one) runs; None when the import is over."""
        for a in await self._alive(self.import_id):
            chunk = int(a.activity_id) - 1
            if a.activity_type.name == "triage_feedback_chunk" and chunk >= point.nth:
                spare = a.attempt < MAX_ATTEMPTS["triage_feedback_chunk"]
                if spare and (a.heartbeat_details.payloads or not point.after_heartbeat):
                    return True
        return None if await self._closed(self.import_id) else False

    async def _awaiting_approval(self) -> bool:
        status = await query_status(self.client, REPORT_ID)
        return status.get("step") == "awaiting approval" and not await self._running(REPORT_ID)

    async def _alive(self, workflow_id: str) -> list[PendingActivityInfo]:
        return [
            a
            for a in await self._running(workflow_id)
            if (workflow_id, a.activity_id, a.attempt) not in self._dead
        ]

    async def _running(self, workflow_id: str) -> list[PendingActivityInfo]:
        description = await self._describe(workflow_id)
        if description is None:
            return []
        return [
            a
            for a in description.raw_description.pending_activities
            if a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        ]

    async def _open(self, workflow_id: str) -> bool:
        description = await self._describe(workflow_id)
        running = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        return description is not None and (
            int(description.raw_description.workflow_execution_info.status) == running
        )

    async def _closed(self, workflow_id: str) -> bool:
        return await self._describe(workflow_id) is not None and not await self._open(workflow_id)

    async def _describe(self, workflow_id: str) -> WorkflowExecutionDescription | None:
        try:
            return await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError:
            return None  # not started yet

    async def _until(self, ready: Callable[[], Awaitable[bool | None]], what: str) -> bool:
        """Poll ``ready`` until True (returns True) or None (returns False); a hang raises."""
        deadline = time.monotonic() + STEP_SECONDS
        while time.monotonic() < deadline:
            answer = await ready()
            if answer is None or answer:
                return bool(answer)
            await asyncio.sleep(0.03)
        raise TimeoutError(f"stalled for {STEP_SECONDS:.0f} s waiting for {what}")

    async def _cli(self, *args: str) -> str:
        code, out, err = await self.world.cli(*args)
        if code != 0:
            raise RuntimeError(f"opsrhythm {' '.join(args)} exited {code}: {(out + err).strip()}")
        return out


async def run(world: World, points: Sequence[KillPoint], *, overlap: bool) -> Outcome:
    """The report and the import with kills at ``points``. With ``overlap`` the import starts
    once the report awaits approval and the approval waits for the import's kills, so that
    their heartbeat timeouts run at once (the suite's test); otherwise the import runs after
    the report, and no kill meant for one lands in the other (the soak)."""
    client = await world.client()
    digest = await asyncio.to_thread(lambda: hashlib.sha256(world.feedback.read_bytes()))
    scenario = Scenario(world, client, import_workflow_id(digest.hexdigest()))
    chunks = [p for p in points if p.target == "feedback-chunk"]
    waiting, feedback_kills_done = asyncio.Event(), asyncio.Event()
    approve_when = feedback_kills_done if overlap else waiting
    report = asyncio.ensure_future(scenario.report(points, waiting, approve_when))
    try:
        if overlap:
            await _first(waiting, report)
        else:
            await report
        await scenario.feedback(chunks, feedback_kills_done)
        await report
    finally:
        report.cancel()
    return scenario.outcome


async def _first(event: asyncio.Event, task: asyncio.Future[None]) -> None:
    """Wait for ``event``, or for ``task`` to fail first (raising its error)."""
    waiter: asyncio.Future[Any] = asyncio.ensure_future(event.wait())
    await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
