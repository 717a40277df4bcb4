"""The registry, and a ritual kind plugged in the way a new one is: its own config entry, workflow
and period type, then scheduled and run by the platform's code without a change to it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from temporalio import activity
from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.workflow import _Definition

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.config import RitualBase
from opsrhythm.platform.periods import IsoWeek
from opsrhythm.platform.ritual_kind import PeriodicKind, WebContext, WorkerContext, WorkerParts
from opsrhythm.platform.schedules.config import Schedule
from opsrhythm.platform.schedules.models import ScheduledRunInput, ScheduledRunResult
from opsrhythm.platform.schedules.spec import SCHEDULED_RUN_WORKFLOW, desired_schedule
from opsrhythm.platform.schedules.times import period_for_run
from opsrhythm.registry import RITUAL_KINDS
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from opsrhythm.web import create_app
from tests.conftest import REPO
from tests.feedback.test_sla import RecordingTransport
from tests.platform.checkin_workflow import CheckinWorkflow
from workflows.scheduled_run import ScheduledRitualWorkflow

CHECKIN = PeriodicKind(
    kind="weekly_checkin",
    period=IsoWeek,
    workflow="CheckinWorkflow",
    worker="tests.platform.test_ritual_kinds:checkin_parts",
    config_model="tests.platform.test_ritual_kinds:CheckinRitual",
    web_routes="tests.platform.test_ritual_kinds:checkin_routes",
)


class CheckinRitual(RitualBase):
    ritual_kind: ClassVar[PeriodicKind] = CHECKIN
    kind: Literal["weekly_checkin"]


def checkin_parts(context: WorkerContext) -> WorkerParts:
    return WorkerParts(workflows=[CheckinWorkflow], activities=[])


def checkin_routes(context: WebContext) -> list[Route]:
    async def page(request: Request) -> Response:
        return PlainTextResponse(f"check-in for {context.organization}")

    return [Route("/checkins/{workflow_id}", page, methods=["GET"])]


async def test_web_serves_a_plugged_in_kinds_pages_by_its_web_routes() -> None:
    """`opsrhythm web` takes a kind's pages from its ``web_routes``, given what the app has;
    web.py names no kind with pages (the review's and the retro's come through their entries)."""
    web_kinds = ("strategy_review", "process_retro")
    app = create_app(
        cast(Client, None), LinkSigner("s" * 32), cast(UsedLinks, None),
        organization="Acme", kinds=[*RITUAL_KINDS, CHECKIN],
    )  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://web") as browser:
        answer = await browser.get("/checkins/team-checkin-2026-W49")
    paths = {getattr(route, "path", "") for route in app.routes}
    assert (200, "check-in for Acme") == (answer.status_code, answer.text)
    assert {"/reviews/{workflow_id}/items/{item_id}", "/retros/{workflow_id}"} <= paths
    web = (REPO / "opsrhythm" / "web.py").read_text()
    assert ("strategy_review", "process_retro") == tuple(k for k in web_kinds if k not in web)


def worker_context(config: OpsRhythmConfig, tmp_path: Path) -> WorkerContext:
    return WorkerContext(
        config=config,
        templates_dir=resources.templates_dir(),
        archive_dir=tmp_path,
        transport=RecordingTransport(),
        send_ledger=lambda: pytest.fail("no ledger is opened while wiring a worker"),
    )


def test_every_registered_kind_wires_its_workflow_and_unique_activities(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Each kind's declared workflow is among its parts, and no two kinds share a name."""
    context = worker_context(example_config, tmp_path)
    workflow_names: list[str] = []
    activity_names: list[str] = []
    for kind in RITUAL_KINDS:
        parts = kind.worker_parts(context)
        names = [_workflow_name(w) for w in parts.workflows]
        if isinstance(kind, PeriodicKind):
            assert kind.workflow in names, kind.kind
        workflow_names += names
        activity_names += [_activity_name(a) for a in parts.activities]
    assert sorted(set(workflow_names)) == sorted(workflow_names)
    assert sorted(set(activity_names)) == sorted(activity_names)


def test_every_kind_with_templates_has_them() -> None:
    for kind in RITUAL_KINDS:
        if isinstance(kind, PeriodicKind) and kind.templates is not None:
            assert any((resources.templates_dir() / kind.templates).glob("*.html")), kind.kind


def test_schedule_of_a_plugged_in_kind_starts_its_workflow_with_its_period(
    example_config: OpsRhythmConfig,
) -> None:
    ritual = CheckinRitual(
        id="team-checkin",
        kind="weekly_checkin",
        name="Team check-in",
        owner="ana",
        audiences=["leadership"],
        schedule=Schedule.model_validate({"every": "week", "weekday": "monday", "at": "10:00"}),
    )
    desired = desired_schedule(
        example_config, ritual, now=datetime(2026, 12, 1, tzinfo=UTC), task_queue="q"
    )
    action = desired.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert ("ScheduledRitualWorkflow", IsoWeek) == (action.workflow, desired.period_type)
    [payload] = action.args
    assert ScheduledRunInput(
        ritual_id="team-checkin",
        timezone=example_config.organization.timezone,
        workflow="CheckinWorkflow",
        period_kind="week",
    ) == ScheduledRunInput.model_validate(payload)


@pytest.mark.dev_server
async def test_scheduled_run_starts_a_plugged_in_kind_by_name(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """The scheduled-run workflow knows no kind: the input names the workflow and period type.
    (On the dev server: the run carries the Ritual and Period search attributes.)"""
    client = dev_server_env.client
    task_queue = str(uuid.uuid4())
    async with Worker(
        client, task_queue=task_queue, workflows=[ScheduledRitualWorkflow, CheckinWorkflow]
    ):
        result = await client.execute_workflow(
            ScheduledRitualWorkflow.run,
            ScheduledRunInput(
                ritual_id=f"checkin-{uuid.uuid4().hex[:8]}",
                timezone="Europe/London",
                workflow="CheckinWorkflow",
                period_kind="week",
            ),
            id=str(uuid.uuid4()),
            task_queue=task_queue,
        )
        assert isinstance(result, ScheduledRunResult)
        week = str(period_for_run(datetime.now(UTC), "Europe/London", IsoWeek))
        assert (week, f"{result.ritual_id}-{week}") == (result.period, result.report_workflow_id)
        child = client.get_workflow_handle(result.report_workflow_id)
        assert f"{result.ritual_id} for {week}" == await child.result()


def _workflow_name(cls: type) -> str:
    name = _Definition.must_from_class(cls).name
    assert name is not None
    return name


def _activity_name(function: Callable[..., Any]) -> str:
    name = activity._Definition.must_from_callable(function).name
    assert name is not None
    return name


def test_schedules_start_the_scheduled_run_workflow_by_its_registered_name() -> None:
    """The platform names the workflow a schedule starts without importing it: keep them equal."""
    assert SCHEDULED_RUN_WORKFLOW == _workflow_name(ScheduledRitualWorkflow)


def test_old_schedules_without_a_kind_still_run_the_monthly_kpi_report() -> None:
    """Schedules created before kinds existed carry only ritual_id and timezone."""
    old = ScheduledRunInput.model_validate({"ritual_id": "monthly-kpi-report", "timezone": "UTC"})
    assert (KPI_REPORT.workflow, KPI_REPORT.period.kind) == (old.workflow, old.period_kind)


def test_the_platform_names_no_kind_in_its_code_or_words() -> None:
    """What a kind needs of the platform comes through its registry entry: the platform's code
    and docstrings say 'a kind', never which (example ids like monthly-kpi-report-2026-10
    aside; a migration names the tables it makes)."""
    kind_words = re.compile(
        r"strategy[ _]review|retrospective|process[ _]retro|kpi[ _]report", re.I
    )
    named = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "opsrhythm" / "platform").rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if kind_words.search(line)
    ]
    assert [] == named
