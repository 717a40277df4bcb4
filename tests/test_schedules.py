"""Schedules on the Temporal dev server: sync, trigger, backfill, failure, DST, list and status.

Schedules do not exist on the time-skipping server. Each test gets its own ritual ids (so its
own schedule ids) and task queue, and deletes its schedules afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from rich.console import Console
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleSpec,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform import search_attributes
from opsrhythm.platform.periods import Month
from opsrhythm.platform.runs import run_workflow_id
from opsrhythm.platform.schedules import commands as schedule_commands
from opsrhythm.platform.schedules.config import Schedule as ScheduleRule
from opsrhythm.platform.schedules.models import ScheduledRunResult
from opsrhythm.platform.schedules.spec import desired_schedule
from opsrhythm.platform.schedules.sync import describe_or_none
from opsrhythm.platform.schedules.times import fire_times_reporting, period_for_run, schedule_id
from opsrhythm.platform.schedules.views import list_schedules, status
from opsrhythm.rituals.kpi_report.models import KpiReportInput, PlanReportInput, ReportPlan
from tests.workflows.test_kpi_report import FakeActivities
from workflows.kpi_report import KpiReportWorkflow
from workflows.scheduled_run import ScheduledRitualWorkflow

pytestmark = pytest.mark.dev_server
# A lost run must fail the test, not hang the suite.
RUN_TIMEOUT = 60

MONTHLY = {
    "every": "month",
    "business_day": 2,
    "at": "09:00",
    "timezone": "Europe/London",
    "holidays": {"country": "GB", "subdivision": "ENG"},
}


def text_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200, markup=False, highlight=False), buffer


@dataclass
class Scenario:
    client: Client
    base: OpsRhythmConfig
    task_queue: str = field(default_factory=lambda: str(uuid.uuid4()))
    fakes: FakeActivities = field(default_factory=FakeActivities)
    ritual_ids: list[str] = field(default_factory=list)

    def config(self, *schedules: dict[str, object]) -> OpsRhythmConfig:
        """The example config with one ritual per schedule, under this test's ritual ids."""
        while len(self.ritual_ids) < len(schedules):
            self.ritual_ids.append(f"sched-{uuid.uuid4().hex[:10]}")
        template = self.base.rituals[0]
        rituals = [
            template.model_copy(
                update={"id": ritual_id, "schedule": ScheduleRule.model_validate(schedule)}
            )
            for ritual_id, schedule in zip(self.ritual_ids, schedules, strict=False)
        ]
        return self.base.model_copy(update={"rituals": rituals})

    def worker(self) -> Worker:
        return Worker(
            self.client,
            task_queue=self.task_queue,
            workflows=[ScheduledRitualWorkflow, KpiReportWorkflow],
            activities=self.fakes.all(),
        )

    async def sync(
        self,
        config: OpsRhythmConfig,
        *,
        dry_run: bool = False,
        prune: bool = False,
        now: datetime | None = None,
    ) -> str:
        out, buffer = text_console()
        await schedule_commands.sync(
            self.client,
            config,
            out,
            dry_run=dry_run,
            prune=prune,
            now=now,
            task_queue=self.task_queue,
        )
        return buffer.getvalue()

    async def trigger(self, ritual_id: str) -> tuple[int, str]:
        out, buffer = text_console()
        async with self.worker():
            code = await asyncio.wait_for(
                schedule_commands.trigger(self.client, ritual_id, out, wait=True), RUN_TIMEOUT
            )
        return code, buffer.getvalue()

    async def backfill(self, ritual_id: str, first: str, last: str) -> tuple[int, str]:
        out, buffer = text_console()
        async with self.worker():
            code = await asyncio.wait_for(
                schedule_commands.backfill(
                    self.client,
                    self.config(MONTHLY),
                    ritual_id,
                    Month.parse(first),
                    Month.parse(last),
                    out,
                    task_queue=self.task_queue,
                ),
                RUN_TIMEOUT,
            )
        return code, buffer.getvalue()


@pytest_asyncio.fixture(loop_scope="session")
async def scenario(
    dev_server_env: WorkflowEnvironment, example_config: OpsRhythmConfig
) -> AsyncIterator[Scenario]:
    scenario = Scenario(dev_server_env.client, example_config)
    yield scenario
    for ritual_id in scenario.ritual_ids:
        with contextlib.suppress(RPCError):
            await scenario.client.get_schedule_handle(schedule_id(ritual_id)).delete()


async def test_sync_creates_then_reports_no_changes(scenario: Scenario) -> None:
    """The first sync creates the schedule in its timezone; the second changes nothing."""
    config = scenario.config(MONTHLY)
    sid = schedule_id(scenario.ritual_ids[0])
    first = await scenario.sync(config)
    second = await scenario.sync(config)
    assert (
        f"create     {sid}  monthly on business day 2 at 09:00 Europe/London (holidays GB-ENG)"
    ) in first
    assert "Done: 1 created, 0 updated, 0 deleted." in first
    assert f"unchanged  {sid}" in second
    assert second.endswith("No changes: the server's schedules match the config.\n")
    description = await scenario.client.get_schedule_handle(sid).describe()
    assert "Europe/London" == description.schedule.spec.time_zone_name


async def test_dry_run_prints_the_plan_and_changes_nothing(scenario: Scenario) -> None:
    """--dry-run shows what would be created and leaves the server alone."""
    config = scenario.config(MONTHLY)
    sid = schedule_id(scenario.ritual_ids[0])
    output = await scenario.sync(config, dry_run=True)
    assert f"create     {sid}" in output
    assert "Dry run: 1 to create, 0 to update, 0 to delete; nothing was changed." in output
    assert await describe_or_none(scenario.client, sid) is None


async def test_changed_rule_is_updated_and_pause_survives(scenario: Scenario) -> None:
    """A new time of day updates the schedule's fire times without unpausing it."""
    sid = schedule_id((await _synced(scenario, MONTHLY))[0])
    await scenario.client.get_schedule_handle(sid).pause(note="quarter close")
    output = await scenario.sync(scenario.config({**MONTHLY, "at": "10:30"}))
    assert f"update     {sid}  the config's schedule changed" in output
    description = await scenario.client.get_schedule_handle(sid).describe()
    local_times = {
        t.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
        for t in description.info.next_action_times
    }
    assert ({"10:30"}, True, "quarter close") == (
        local_times,
        description.schedule.state.paused,
        description.schedule.state.note,
    )


async def test_moving_window_is_an_update(scenario: Scenario) -> None:
    """A month later the fire-time window moves on, and sync says so."""
    config = scenario.config(MONTHLY)
    now = datetime.now(UTC)
    await scenario.sync(config, now=now)
    output = await scenario.sync(config, now=now + timedelta(days=32))
    assert f"update     {schedule_id(scenario.ritual_ids[0])}  fire times move to the window" in (
        output
    )


async def test_prune_deletes_only_opsrhythm_schedules_not_in_config(scenario: Scenario) -> None:
    """Without --prune a removed ritual's schedule is kept; with it, deleted; others untouched."""
    kept, removed = await _synced(scenario, MONTHLY, {**MONTHLY, "business_day": 3})
    foreign = f"other-{uuid.uuid4().hex[:8]}"
    await scenario.client.create_schedule(
        foreign,
        Schedule(
            action=ScheduleActionStartWorkflow("Nothing", id=foreign, task_queue="nowhere"),
            spec=ScheduleSpec(cron_expressions=["0 9 1 1 *"]),
        ),
    )
    only_kept = scenario.config(MONTHLY)
    without_prune = await scenario.sync(only_kept)
    with_prune = await scenario.sync(only_kept, prune=True)
    assert f"keep       {schedule_id(removed)}  not in the config; --prune deletes it" in (
        without_prune
    )
    assert f"delete     {schedule_id(removed)}  not in the config" in with_prune
    assert foreign not in with_prune
    assert await describe_or_none(scenario.client, schedule_id(removed)) is None
    assert await describe_or_none(scenario.client, foreign) is not None
    assert await describe_or_none(scenario.client, schedule_id(kept)) is not None
    await scenario.client.get_schedule_handle(foreign).delete()


async def test_trigger_reports_the_last_complete_month(scenario: Scenario) -> None:
    """`schedule trigger --wait` runs the report now, for the month before today (London)."""
    ritual_id = (await _synced(scenario, MONTHLY))[0]
    code, output = await scenario.trigger(ritual_id)
    period = str(period_for_run(datetime.now(UTC), "Europe/London"))
    assert 0 == code
    assert f"{period}: {run_workflow_id(ritual_id, period)} reported\n" in output
    assert [period] == [r.plan.period for r in scenario.fakes.rendered]


async def test_trigger_after_manual_run_sends_nothing_twice(scenario: Scenario) -> None:
    """A period already reported by `opsrhythm run` is recorded as already ran, not re-sent."""
    ritual_id = (await _synced(scenario, MONTHLY))[0]
    period = str(period_for_run(datetime.now(UTC), "Europe/London"))
    async with scenario.worker():
        await scenario.client.execute_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id=ritual_id, period=period),
            id=run_workflow_id(ritual_id, period),
            task_queue=scenario.task_queue,
        )
    sent_by_manual_run = len(scenario.fakes.sent)
    _, output = await scenario.trigger(ritual_id)
    assert f"{run_workflow_id(ritual_id, period)} had already run; nothing sent again" in output
    assert sent_by_manual_run == len(scenario.fakes.sent)


async def test_scheduled_run_replays_deterministically(scenario: Scenario) -> None:
    """The history of a scheduled run replays without a non-determinism error."""
    ritual_id = (await _synced(scenario, MONTHLY))[0]
    await scenario.trigger(ritual_id)
    description = await scenario.client.get_schedule_handle(schedule_id(ritual_id)).describe()
    started = description.info.recent_actions[-1].action
    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
    history = await scenario.client.get_workflow_handle(started.workflow_id).fetch_history()
    replayer = Replayer(
        workflows=[ScheduledRitualWorkflow, KpiReportWorkflow],
        data_converter=pydantic_data_converter,
    )
    assert (
        await replayer.replay_workflow(history, raise_on_replay_failure=False)
    ).replay_failure is None


async def test_backfill_runs_each_period_at_its_fire_time(scenario: Scenario) -> None:
    """Backfilling two past months runs two reports, each for its own month."""
    ritual_id = (await _synced(scenario, MONTHLY))[0]
    first, second = _past_period(4), _past_period(3)
    code, output = await scenario.backfill(ritual_id, first, second)
    assert 0 == code
    assert [first, second] == sorted(r.plan.period for r in scenario.fakes.rendered)
    assert f"{second}: {run_workflow_id(ritual_id, second)} reported" in output


async def test_period_comes_from_the_scheduled_time(scenario: Scenario) -> None:
    """A run scheduled months ago reports the month before its scheduled time, not the clock's."""
    ritual_id = (await _synced(scenario, MONTHLY))[0]
    period = _past_period(4)
    await scenario.backfill(ritual_id, period, period)
    [fire_time] = fire_times_reporting(_fire_times(scenario), Month.parse(period))
    run_id = f"{schedule_id(ritual_id)}-{fire_time.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    handle = scenario.client.get_workflow_handle(run_id, result_type=ScheduledRunResult)
    assert period == (await handle.result()).period


async def test_failed_run_tells_owner_fails_and_pauses(scenario: Scenario) -> None:
    """A failing scheduled report emails the owner the re-run command and pauses the schedule."""
    ritual_id = (await _synced(scenario, {**MONTHLY, "pause_on_failure": True}))[0]
    scenario.fakes = FakeActivities(failing_sources=["warehouse", "survey"])
    code, output = await scenario.trigger(ritual_id)
    period = str(period_for_run(datetime.now(UTC), "Europe/London"))
    assert 1 == code
    assert "every data source failed" in output
    assert [f"opsrhythm run monthly-kpi-report --period {period} --wait"] == [
        n.rerun_command for n in scenario.fakes.notices
    ]
    assert await _eventually_paused(scenario.client, schedule_id(ritual_id))


async def test_dst_change_fires_once_at_the_same_local_time(scenario: Scenario) -> None:
    """Weekly at 09:00 London across late October: 08:00 UTC before, 09:00 UTC after."""
    change = _next_autumn_change()
    weekly = {"every": "week", "weekday": "friday", "at": "09:00", "timezone": "Europe/London"}
    window = {"start": str(change - timedelta(days=14)), "end": str(change + timedelta(days=14))}
    ritual_id = (await _synced(scenario, {**weekly, **window}))[0]
    description = await scenario.client.get_schedule_handle(schedule_id(ritual_id)).describe()
    times = description.info.next_action_times
    assert ["09:00"] * 4 == [t.astimezone(LONDON).strftime("%H:%M") for t in times]
    assert ["08:00", "08:00", "09:00", "09:00"] == [t.strftime("%H:%M") for t in times]


async def test_repeated_local_hour_fires_once(scenario: Scenario) -> None:
    """01:30 on the night the clocks go back happens twice in London; the schedule fires once."""
    change = _next_autumn_change()
    weekly = {"every": "week", "weekday": "sunday", "at": "01:30", "timezone": "Europe/London"}
    window = {"start": str(change - timedelta(days=7)), "end": str(change + timedelta(days=3))}
    ritual_id = (await _synced(scenario, {**weekly, **window}))[0]
    description = await scenario.client.get_schedule_handle(schedule_id(ritual_id)).describe()
    days = [t.astimezone(LONDON).date() for t in description.info.next_action_times]
    assert [change - timedelta(days=7), change] == days


async def test_list_shows_next_runs_last_run_and_state(scenario: Scenario) -> None:
    """The table has the next runs in London and UTC, the last run's outcome and paused state."""
    ritual_id = (await _synced(scenario, MONTHLY))[0]
    await scenario.trigger(ritual_id)
    out, buffer = text_console()
    await list_schedules(
        scenario.client, scenario.config(MONTHLY), out, task_queue=scenario.task_queue
    )
    lines = buffer.getvalue().splitlines()
    first_row = lines[lines.index(next(line for line in lines if ritual_id in line)) :][:3]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in first_row]
    period = str(period_for_run(datetime.now(UTC), "Europe/London"))
    now = datetime.now(UTC)
    upcoming = [t for t in _fire_times(scenario) if t > now][:3]
    assert [t.strftime("%Y-%m-%d %H:%M %Z") for t in upcoming] == [row[2] for row in cells]
    assert [t.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") for t in upcoming] == [
        row[3] for row in cells
    ]
    assert f"{period} reported" == cells[1][4]
    assert "no" == cells[0][5]


async def test_status_shows_running_ritual_and_step(scenario: Scenario) -> None:
    """`opsrhythm status` lists a running report with the step its status query gives."""
    release = asyncio.Event()
    activities = scenario.fakes.all()

    @activity.defn(name="plan_report")
    async def slow_plan(input: PlanReportInput) -> ReportPlan:
        await release.wait()
        plan: ReportPlan = await activities[0](input)
        return plan

    ritual_id = f"status-{uuid.uuid4().hex[:8]}"
    workflow_id = run_workflow_id(ritual_id, "2026-10")
    async with Worker(
        scenario.client,
        task_queue=scenario.task_queue,
        workflows=[KpiReportWorkflow],
        activities=[slow_plan, *activities[1:]],
    ):
        handle = await scenario.client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id=ritual_id, period="2026-10"),
            id=workflow_id,
            task_queue=scenario.task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search_attributes.RITUAL, ritual_id),
                    SearchAttributePair(search_attributes.PERIOD, "2026-10"),
                ]
            ),
        )
        text = await _status_until(scenario.client, workflow_id)
        release.set()
        await handle.result()
    row = next(line for line in text.splitlines() if workflow_id in line)
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert [workflow_id, ritual_id, "2026-10", "planning", "manual"] == cells[:4] + cells[5:]


LONDON = ZoneInfo("Europe/London")


async def _synced(scenario: Scenario, *schedules: dict[str, object]) -> list[str]:
    await scenario.sync(scenario.config(*schedules))
    return scenario.ritual_ids[: len(schedules)]


def _fire_times(scenario: Scenario) -> list[datetime]:
    config = scenario.config(MONTHLY)
    desired = desired_schedule(
        config, config.rituals[0], now=datetime.now(UTC), task_queue=scenario.task_queue
    )
    return desired.fire_times


def _past_period(months_ago: int) -> str:
    """A complete month well inside the schedule's window, whatever today is."""
    return str(Month.containing(datetime.now(LONDON)).shift(-months_ago))


def _next_autumn_change() -> date:
    """The next last Sunday of October (London's change to GMT) at least a month away."""
    year = datetime.now(UTC).year
    while True:
        last_day = date(year, 10, 31)
        change = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
        if change > datetime.now(UTC).date() + timedelta(days=30):
            return change
        year += 1


async def _eventually_paused(client: Client, sid: str) -> bool:
    for _ in range(50):
        if (await client.get_schedule_handle(sid).describe()).schedule.state.paused:
            return True
        await asyncio.sleep(0.2)
    return False


async def _status_until(client: Client, workflow_id: str) -> str:
    """Visibility is eventually consistent: ask until the run shows up in the list."""
    text = ""
    for _ in range(50):
        out, buffer = text_console()
        await status(client, out)
        text = buffer.getvalue()
        if workflow_id in text:
            break
        await asyncio.sleep(0.2)
    return text
