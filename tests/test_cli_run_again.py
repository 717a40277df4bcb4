"""``run --again``: a period whose run closed without delivering is produced again under the same
workflow id; a delivered one is refused; and nobody gets a period's report twice."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Literal

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.cli_errors import CommandError
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.mail.contract import MessageTags
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.run_handlers import start_run
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from tests.databases import sqlite_url
from tests.workflows.approval_fakes import DEV, ApprovalFakes, approval, approval_state, decide
from worker import build_worker
from workflows.kpi_report import KpiReportWorkflow

PERIOD = "2026-10"


@pytest.mark.dev_server
async def test_a_rejected_month_is_produced_again_only_with_again(
    dev_server_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rejected month: `run` names `--again`; `--again` starts a new run of the same id,
    whose approval delivers; then `--again` is refused because the month was delivered."""
    client = dev_server_env.client
    ritual_id = f"again-{uuid.uuid4().hex[:8]}"
    workflow_id = f"{ritual_id}-{PERIOD}"
    fakes = ApprovalFakes(approval(approvers=[DEV]))
    queue = str(uuid.uuid4())
    async with Worker(
        client, task_queue=queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        assert 0 == await start_run(
            client, KPI_REPORT, ritual_id, PERIOD, wait=False, task_queue=queue
        )
        first = client.get_workflow_handle_for(KpiReportWorkflow.run, workflow_id)
        await approval_state(first)
        await decide(first, DEV, "reject", "numbers look off")
        assert "rejected" == (await first.result()).approval.outcome  # type: ignore[union-attr]
        first_run = (await first.describe()).run_id
        capsys.readouterr()

        refused = await start_run(
            client, KPI_REPORT, ritual_id, PERIOD, wait=False, task_queue=queue
        )
        assert (
            1,
            f"refused: {workflow_id} was rejected for {PERIOD} and sent no report; "
            f"produce it again with: opsrhythm run {ritual_id} --period {PERIOD} --again\n",
        ) == (refused, capsys.readouterr().out)

        assert 0 == await start_run(
            client, KPI_REPORT, ritual_id, PERIOD, wait=False, task_queue=queue, again=True
        )
        second = client.get_workflow_handle_for(KpiReportWorkflow.run, workflow_id)
        await approval_state(second)
        await decide(second, DEV)
        result = await second.result()
        described = await second.describe()

        with pytest.raises(CommandError) as delivered:
            await start_run(
                client, KPI_REPORT, ritual_id, PERIOD, wait=False, task_queue=queue, again=True
            )
    assert described.run_id != first_run
    assert ["leadership", "squad"] == sorted(a.audience_id for a in result.deliveries)
    assert described.close_time is not None
    assert (
        f"refused: {workflow_id} was delivered on {described.close_time:%Y-%m-%d}; "
        "the ledger would send nothing again"
    ) == str(delivered.value)


class SalesDownTransport:
    """Records who got the report; refuses Hugo (Sales) while ``down``."""

    def __init__(self) -> None:
        self.down = True
        self.reached: list[str] = []

    @property
    def name(self) -> Literal["outbox", "sendgrid"]:
        return "outbox"

    def send(self, message: RenderedEmail, recipients: list[Recipient], tags: MessageTags) -> None:
        emails = [r.email for r in recipients]
        if self.down and "hugo.novak@acme.example" in emails:
            raise ApplicationError("SendGrid refused the email (400)", non_retryable=True)
        if tags.custom_args.get("message") == "report":
            self.reached += emails


@pytest.mark.dev_server
async def test_again_after_a_failed_send_emails_only_whom_the_first_run_missed(
    dev_server_env: WorkflowEnvironment, example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """The first run reached every audience but Sales and failed; `--again` sends to Sales
    alone: the ledger keeps everyone the first run reached from a second copy."""
    client = dev_server_env.client
    ritual_id = f"again-{uuid.uuid4().hex[:8]}"
    renamed = example_config.rituals[0].model_copy(update={"id": ritual_id})
    config = example_config.model_copy(update={"rituals": [renamed]})
    transport = SalesDownTransport()
    ledger = SendLedger.from_url(sqlite_url(tmp_path / "ledger.db"))
    queue = str(uuid.uuid4())
    worker = build_worker(
        client,
        config,
        task_queue=queue,
        transport=transport,
        ledger=ledger,
        archive_dir=tmp_path / "archive",
    )
    async with worker:
        assert 1 == await start_run(
            client, KPI_REPORT, ritual_id, PERIOD, wait=True, task_queue=queue
        )
        first = sorted(transport.reached)
        transport.down, transport.reached = False, []
        assert 0 == await start_run(
            client, KPI_REPORT, ritual_id, PERIOD, wait=True, task_queue=queue, again=True
        )
    people = {p.email for p in example_config.people if p.id not in {"ana", "kenji"}}
    assert "hugo.novak@acme.example" not in first
    assert people - {"hugo.novak@acme.example"} == set(first)
    assert ["hugo.novak@acme.example"] == transport.reached
