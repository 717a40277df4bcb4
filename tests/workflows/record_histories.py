"""Record the workflow histories that ``test_replay.py`` replays against today's code.

Run from the repository root: ``python -m tests.workflows.record_histories [NAME ...]`` (no
name: all of them). Each scenario runs the current workflow code on its own Temporal server,
with fake activities (a history records activity results, so replay never calls them), and
writes ``tests/workflows/histories/<workflow id>.json``. The file name is the workflow id.

Re-record a history only for a change that is meant to break it, once no run of the old
code is left in flight; ``docs/reliability.md`` says how to change a workflow safely instead.
``monthly-kpi-report-2026-10.json`` is older than this script and is never re-recorded: it
is the proof that runs started by older code still replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from temporalio import activity
from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    WorkflowContinuedAsNewError,
    WorkflowHistory,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from opsrhythm.config_loader import load_config
from opsrhythm.platform import search_attributes
from opsrhythm.platform.actions.follow_up import (
    ACTIONS_CHANGED_SIGNAL,
    PLAN_ACTION_NOTICES,
    RENDER_ACTION_NOTICE,
    ActionFollowUpInput,
    ActionNotice,
    ActionNoticePlan,
    NoticeKind,
    PlanActionNoticesInput,
    RenderActionNoticeInput,
)
from opsrhythm.platform.approvals.models import ApprovalPlan
from opsrhythm.platform.models import (
    SEND_EMAIL,
    SEND_UNDELIVERED_NOTICE,
    DeliveryResult,
    Recipient,
    SendEmailInput,
    UndeliveredNoticeInput,
)
from opsrhythm.platform.schedules import commands as schedule_commands
from opsrhythm.platform.schedules.times import schedule_id
from opsrhythm.platform.temporal_runtime import find_binary
from opsrhythm.rituals.feedback.sla_models import SlaSweepInput, SlaSweepResult, SlaWatchInput
from opsrhythm.rituals.feedback.workflow_models import (
    FeedbackImportInput,
    ImportCounts,
    ImportPlan,
    PlanImportInput,
    TriageChunkInput,
)
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.conftest import EXAMPLE_CONFIG
from tests.process_retro.retro_cycles import every_stage
from tests.reliability.test_needs_attention import (
    UnknownOutcomeFakes,
    settled_on_the_second_signal,
)
from tests.strategy_review.review_history import full_quarter
from tests.workflows.approval_fakes import (
    BEN,
    DEV,
    GRACE,
    ApprovalFakes,
    Handle,
    approval,
    approval_state,
    decide,
    redraft,
)
from tests.workflows.test_kpi_report import FakeActivities
from workflows.action_follow_up import ActionFollowUpWorkflow
from workflows.feedback_sla import FeedbackSlaWorkflow
from workflows.feedback_triage import FeedbackTriageWorkflow
from workflows.kpi_report import KpiReportWorkflow
from workflows.scheduled_run import ScheduledRitualWorkflow

HISTORIES = Path(__file__).parent / "histories"
# Every scenario must finish well within this; a stuck one fails the recording, never hangs it.
SCENARIO_TIMEOUT = 120


@dataclass(frozen=True)
class Servers:
    time_skipping: WorkflowEnvironment
    dev: WorkflowEnvironment


Steps = Callable[[WorkflowEnvironment, Handle], Awaitable[None]]


async def _approved_report(
    servers: Servers,
    workflow_id: str,
    plan: ApprovalPlan,
    steps: Steps,
    searchable: bool = False,
) -> WorkflowHistory:
    """``searchable``: on the dev server, started with Ritual and Period as a scheduled run is,
    so the run upserts its Step (the time-skipping server has no search attributes)."""
    env = servers.dev if searchable else servers.time_skipping
    attributes = TypedSearchAttributes(
        [
            SearchAttributePair(search_attributes.RITUAL, "monthly-kpi-report"),
            SearchAttributePair(search_attributes.PERIOD, "2026-10"),
        ]
        if searchable
        else []
    )
    fakes = ApprovalFakes(plan)
    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        handle: Handle = await env.client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=workflow_id,
            task_queue=task_queue,
            search_attributes=attributes,
            execution_timeout=timedelta(days=30),
        )
        await approval_state(handle)
        await steps(env, handle)
        await handle.result()
    return await handle.fetch_history()


async def _approve(env: WorkflowEnvironment, handle: Handle) -> None:
    await decide(handle, DEV, comment="Looks right")


async def _request_changes_then_approve(env: WorkflowEnvironment, handle: Handle) -> None:
    await decide(handle, DEV, "request_changes", "Use the restated churn")
    await approval_state(handle, round=2)
    await decide(handle, DEV, comment="Better")


async def _request_changes_redraft_then_approve(env: WorkflowEnvironment, handle: Handle) -> None:
    await decide(handle, DEV, "request_changes", "Use the restated churn")
    await approval_state(handle, "redrafting")
    await redraft(handle)
    await approval_state(handle, round=2)
    await decide(handle, DEV, comment="Better")


async def _backup_approves_before_the_deadline(env: WorkflowEnvironment, handle: Handle) -> None:
    # The backup's approval alone does not settle "all"; at the deadline it counts.
    await decide(handle, BEN, comment="Fine by me")


async def _escalate_at_the_deadline(env: WorkflowEnvironment, handle: Handle) -> None:
    # The plan's deadline is three days, with a reminder at two: both timers fire.
    await env.sleep(timedelta(days=3, minutes=1))
    await approval_state(handle, escalated=True)
    await decide(handle, GRACE, comment="Approved on Dev's behalf")


async def kpi_report_approved(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """The KPI report with an approval step, approved in its first round."""
    return await _approved_report(servers, workflow_id, approval(approvers=[DEV]), _approve)


async def kpi_report_changes_requested(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """A request for changes (redraft, second round), then approval."""
    plan = approval(approvers=[DEV])
    return await _approved_report(servers, workflow_id, plan, _request_changes_then_approve)


async def kpi_report_escalated(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """Nobody decides: a reminder, the deadline, escalation to the backup, who approves."""
    plan = approval(approvers=[DEV], on_timeout="escalate", backup=GRACE)
    return await _approved_report(servers, workflow_id, plan, _escalate_at_the_deadline)


async def kpi_report_redraft(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """A request for changes that waits for the owner's redraft Update, round 2, approval, the
    'settled' email to the approvers who did not decide; the run upserts its Step."""
    plan = approval()
    return await _approved_report(
        servers, workflow_id, plan, _request_changes_redraft_then_approve, searchable=True
    )


async def kpi_report_escalated_backup_decided(
    servers: Servers, workflow_id: str
) -> WorkflowHistory:
    """Everyone must approve; only the backup (an approver) does before the deadline, whose
    escalation counts that earlier approval and settles it approved without asking again."""
    plan = approval(policy="all", required=3, on_timeout="escalate", backup=BEN)
    return await _approved_report(servers, workflow_id, plan, _backup_approves_before_the_deadline)


async def kpi_report_needs_attention(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """The report without approval whose squad email ends with an unknown outcome: the
    needs-attention patch marker, the owner's notice, the wait (its timer) cut short by the
    ``outcomes_settled`` signal, a resend still in doubt, a second signal and a resend that
    settles it."""
    fakes = UnknownOutcomeFakes(unknown_sends=2)
    handle = await settled_on_the_second_signal(servers.time_skipping, fakes, workflow_id)
    return await handle.fetch_history()


async def scheduled_run(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """The example ritual's Temporal Schedule, triggered: ScheduledRitualWorkflow and its child
    report (the child's history is not kept: the no-approval report has its own)."""
    client = servers.dev.client
    config = load_config(EXAMPLE_CONFIG)
    ritual_id = config.rituals[0].id
    task_queue = str(uuid.uuid4())
    printed = io.StringIO()
    out = Console(file=printed)
    await schedule_commands.sync(client, config, out, task_queue=task_queue)
    handle = client.get_schedule_handle(schedule_id(ritual_id))
    try:
        async with Worker(
            client,
            task_queue=task_queue,
            workflows=[ScheduledRitualWorkflow, KpiReportWorkflow],
            activities=FakeActivities().all(),
        ):
            code = await schedule_commands.trigger(client, ritual_id, out, wait=True)
        assert 0 == code, printed.getvalue()
        action = (await handle.describe()).info.recent_actions[-1].action
    finally:
        await handle.delete()
    assert isinstance(action, ScheduleActionExecutionStartWorkflow)
    return await client.get_workflow_handle(action.workflow_id).fetch_history()


async def feedback_import(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """A five-row file imported in chunks of two: a plan, then three chunk activities."""
    env = servers.time_skipping

    @activity.defn(name="plan_feedback_import")
    async def plan(input: PlanImportInput) -> ImportPlan:
        return ImportPlan(rows=5, sha256="0" * 64)

    @activity.defn(name="triage_feedback_chunk")
    async def chunk(input: TriageChunkInput) -> ImportCounts:
        rows = input.stop - input.start
        return ImportCounts(rows=rows, imported=rows - 1, duplicates=1)

    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[FeedbackTriageWorkflow],
        activities=[plan, chunk],
    ):
        handle = await env.client.start_workflow(
            FeedbackTriageWorkflow.run,
            FeedbackImportInput(path="/data/feedback.csv", origin="feedback.csv", chunk_size=2),
            id=workflow_id,
            task_queue=task_queue,
        )
        await handle.result()
    return await handle.fetch_history()


async def feedback_sla_sweep(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """One run of the SLA watcher, to its continue-as-new: a sweep that names the next deadline
    and is cut short by a poke, a sweep that finds nothing (the idle timer fires), a last one."""
    env = servers.time_skipping
    sweeps: list[SlaSweepInput] = []
    swept = asyncio.Event()

    @activity.defn(name="sweep_sla")
    async def sweep(input: SlaSweepInput) -> SlaSweepResult:
        sweeps.append(input)
        swept.set()
        if len(sweeps) == 1:
            return SlaSweepResult(warned=1, next_at=input.now + timedelta(minutes=30))
        return SlaSweepResult(escalated=len(sweeps) - 2)

    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client, task_queue=task_queue, workflows=[FeedbackSlaWorkflow], activities=[sweep]
    ):
        handle = await env.client.start_workflow(
            FeedbackSlaWorkflow.run,
            SlaWatchInput(max_idle_seconds=3600, sweeps_per_run=3),
            id=workflow_id,
            task_queue=task_queue,
        )
        await swept.wait()
        await handle.signal(FeedbackSlaWorkflow.poke)
        with contextlib.suppress(WorkflowContinuedAsNewError):
            await handle.result(follow_runs=False)
        # The started handle follows the chain: ask for the first run's history by its id.
        first = env.client.get_workflow_handle(workflow_id, run_id=handle.first_execution_run_id)
        history = await first.fetch_history()
        await env.client.get_workflow_handle(workflow_id).terminate("recorded")
    return history


async def strategy_review(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """A quarter's review: reminders, an escalation, a late update, changes requested, a
    resubmission, the owner's redraft, approval, three audiences' summaries."""
    return (await full_quarter(servers.time_skipping, workflow_id)).history


async def process_retro(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """A retro through every stage: an earlier action carried, items, the reminder, grouping
    and actions closed by the facilitator, voting to its end, the summary."""
    return await every_stage(servers.time_skipping, workflow_id)


async def action_follow_up(servers: Servers, workflow_id: str) -> WorkflowHistory:
    """An origin's follow-up, signalled with start: the 3-day reminder refused for good (given
    up, the ritual's owner told once), the 1-day reminder, the overdue notice, and the end with
    nothing left to send."""
    env = servers.time_skipping
    plans: list[PlanActionNoticesInput] = []
    sends: list[SendEmailInput] = []
    lead = Recipient(name="Ana Silva", email="ana.silva@acme.example")
    kinds: list[NoticeKind] = ["reminder-3d", "reminder-1d", "overdue"]

    def notice(kind: NoticeKind) -> ActionNotice:
        owner = Recipient(name="Emma Larsen", email="emma.larsen@acme.example")
        return ActionNotice(
            action_id="monthly-kpi-report-2026-10-1",
            ritual_id="monthly-kpi-report",
            period="2026-10",
            kind=kind,
            recipients=[owner],
        )

    @activity.defn(name=PLAN_ACTION_NOTICES.name)
    async def plan(input: PlanActionNoticesInput) -> ActionNoticePlan:
        plans.append(input)
        later = input.now + timedelta(days=2) if len(plans) < 3 else None
        return ActionNoticePlan(
            due=[notice(kinds[min(len(plans), 3) - 1])],
            next_at=later,
            open_actions=1,
            ritual_name="Monthly KPI report",
            ritual_owner=lead,
        )

    @activity.defn(name=SEND_UNDELIVERED_NOTICE.name)
    async def tell_owner(input: UndeliveredNoticeInput) -> DeliveryResult:
        return DeliveryResult(audience_id="owner", message_kind="undelivered", sent=[lead.email])

    @activity.defn(name=RENDER_ACTION_NOTICE.name)
    async def render(input: RenderActionNoticeInput) -> str:
        return f"/archive/{input.workflow_id}/actions/{input.notice.kind}.json"

    @activity.defn(name=SEND_EMAIL.name)
    async def send(input: SendEmailInput) -> DeliveryResult:
        sends.append(input)
        if len(sends) == 1:
            raise ApplicationError("400 Bad Request: refused", non_retryable=True)
        sent = [r.email for r in input.recipients]
        return DeliveryResult(audience_id=input.audience_id, message_kind="x", sent=sent)

    task_queue = str(uuid.uuid4())
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[ActionFollowUpWorkflow],
        activities=[plan, render, send, tell_owner],
    ):
        handle = await env.client.start_workflow(
            ActionFollowUpWorkflow.run,
            ActionFollowUpInput(origin="monthly-kpi-report-2026-10"),
            id=workflow_id,
            task_queue=task_queue,
            start_signal=ACTIONS_CHANGED_SIGNAL,
        )
        await handle.result()
    return await handle.fetch_history()


Scenario = Callable[[Servers, str], Awaitable[WorkflowHistory]]
SCENARIOS: dict[str, Scenario] = {
    "kpi-report-approved": kpi_report_approved,
    "kpi-report-changes-requested": kpi_report_changes_requested,
    "kpi-report-escalated": kpi_report_escalated,
    "kpi-report-redraft": kpi_report_redraft,
    "kpi-report-escalated-backup-decided": kpi_report_escalated_backup_decided,
    "kpi-report-needs-attention": kpi_report_needs_attention,
    "scheduled-run": scheduled_run,
    "feedback-import": feedback_import,
    "feedback-sla-sweep": feedback_sla_sweep,
    "strategy-review": strategy_review,
    "action-follow-up": action_follow_up,
    "process-retro": process_retro,
}


async def record(names: list[str], out_dir: Path = HISTORIES) -> list[Path]:
    """Run the named scenarios (all, given none) and write their histories to ``out_dir``."""
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"unknown scenario {', '.join(unknown)} (known: {', '.join(SCENARIOS)})")
    time_skipping = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=find_binary("temporal-test-server"),
    )
    dev = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=["--headless"],
    )
    written = []
    try:
        servers = Servers(time_skipping, dev)
        for name in names or list(SCENARIOS):
            history = await asyncio.wait_for(SCENARIOS[name](servers, name), SCENARIO_TIMEOUT)
            path = out_dir / f"{name}.json"
            path.write_text(json.dumps(history.to_json_dict(), indent=2) + "\n")
            written.append(path)
            print(f"{path}: {len(history.events)} events", flush=True)
    finally:
        await dev.shutdown()
        await time_skipping.shutdown()
    return written


def main(argv: list[str]) -> None:
    asyncio.run(record(argv))
    # A client process can abort at exit in the SDK's teardown (sdk-python #300) after its
    # work is done; the histories are written, so leave without the teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
