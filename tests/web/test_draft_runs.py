"""``run --again`` under the same workflow id: the rejected run's archived draft stays on disk,
and the full-draft page serves the new run's own files to its token."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.reporting import ReportingActivities
from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from opsrhythm.rituals.kpi_report.rendering import ReportRenderer
from opsrhythm.web import create_app
from tests.databases import sqlite_url
from tests.web.live_server import live_server
from tests.workflows.approval_fakes import DEV, ApprovalFakes, Handle, approval, approval_state
from tests.workflows.approval_fakes import decide as decide_as
from workflows.kpi_report import KpiReportWorkflow

pytestmark = pytest.mark.dev_server
SIGNER = LinkSigner("test-secret-of-32-characters-xx")


async def start(client: Client, workflow_id: str, task_queue: str) -> Handle:
    handle: Handle = await client.start_workflow(
        KpiReportWorkflow.run,
        KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
        id=workflow_id,
        task_queue=task_queue,
        execution_timeout=timedelta(days=30),
    )
    await approval_state(handle)
    return handle


def files(folder: str | Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}


def draft_url(base: str, workflow_id: str, run_id: str, name: str) -> str:
    expires = datetime.now(UTC) + timedelta(hours=1)
    token = SIGNER.issue(workflow_id, 1, DEV.email, expires, run_id)
    return f"{base}/approvals/{workflow_id}/{DEV.email}/draft/{token}/{name}"


async def test_the_rejected_runs_draft_survives_and_each_token_reads_its_own_run(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Run 1 is rejected, run 2 of the same id renders its own round 1 (the figures were
    restated between the two): run 1's files are all still there, unchanged; run 2's token
    reads run 2's pages; run 1's token is refused as an earlier run's."""
    client = dev_server_env.client
    archive = tmp_path / "archive"
    fakes = ApprovalFakes(approval(approvers=[DEV]), restated=frozenset({"mrr", "churn", "nps"}))
    renderer = ReportingActivities(ReportRenderer(resources.templates_dir(), archive))
    activities = [f for f in fakes.all() if getattr(f, "__name__", "") != "render_report"]
    workflow_id = f"monthly-kpi-report-{uuid.uuid4()}"
    task_queue = str(uuid.uuid4())
    used = UsedLinks.from_url(sqlite_url(tmp_path / "links.db"))
    executor = ThreadPoolExecutor(2)
    async with (
        Worker(
            client,
            task_queue=task_queue,
            workflows=[KpiReportWorkflow],
            activities=[*activities, renderer.render_report],
            activity_executor=executor,
        ),
        live_server(create_app(client, SIGNER, used, archive_dir=archive)) as base,
        httpx.AsyncClient() as http,
    ):
        first = await start(client, workflow_id, task_queue)
        await decide_as(first, DEV, "reject", "numbers look off")
        rejected = await first.result()
        first_run = (await first.describe()).run_id
        first_files = files(rejected.archive_location)

        second = await start(client, workflow_id, task_queue)
        second_run = (await second.describe()).run_id
        second_location = Path((await second.query(KpiReportWorkflow.approval)).location).parent
        pages = [
            await http.get(draft_url(base, workflow_id, second_run or "", name))
            for name in ("", "leadership.html")
        ]
        earlier = await http.get(draft_url(base, workflow_id, first_run or "", "leadership.html"))
        await decide_as(second, DEV)
        await second.result()
    used.close()
    executor.shutdown()

    kept, served = files(rejected.archive_location), files(second_location)
    assert first_files == {name: kept[name] for name in first_files}
    assert Path(rejected.archive_location) / f"run-{second_run}" == second_location
    assert [200, 200, 410] == [page.status_code for page in (*pages, earlier)]
    assert [served["report.html"], served["leadership.html"]] == [p.content for p in pages]
    assert first_files["leadership.html"] != pages[1].content
