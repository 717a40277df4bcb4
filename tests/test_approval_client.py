"""approvals.client on the dev server: bounded waits with no worker, runs pinned by id, and the
audit's caller read from history rather than from the payload."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from opsrhythm.platform.approvals.client import (
    ApprovalUnavailable,
    DecisionRefused,
    approval_status,
    send_decision,
)
from opsrhythm.platform.approvals.models import ApprovalDecision
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.workflows.approval_fakes import (
    DEV,
    ApprovalFakes,
    Handle,
    approval,
    approval_state,
    running_report,
)
from workflows.kpi_report import KpiReportWorkflow

pytestmark = pytest.mark.dev_server
WAIT = timedelta(seconds=2)


def decision(**changes: object) -> ApprovalDecision:
    return ApprovalDecision(approver=DEV.email, decision="approve").model_copy(update=changes)


@asynccontextmanager
async def worker_again(client: Client, handle: Handle, fakes: ApprovalFakes) -> AsyncIterator[None]:
    """A worker back on the run's task queue, with the same fakes."""
    task_queue = (await handle.describe()).task_queue
    async with Worker(
        client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        yield


async def test_decision_with_no_worker_fails_within_the_wait_and_is_not_applied_later(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """No worker: ApprovalUnavailable within the wait, and a worker coming back later refuses
    the decision instead of recording it behind the approver's back."""
    client = dev_server_env.client
    fakes = ApprovalFakes(approval())
    async with running_report(client, fakes) as handle:
        await approval_state(handle)
    started = time.monotonic()
    with pytest.raises(ApprovalUnavailable) as raised:
        await send_decision(client, handle.id, decision(), wait=WAIT)
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.5)  # the decision's not_after is now behind us
    async with worker_again(client, handle, fakes):
        await asyncio.sleep(1)  # the queued Update reaches the worker with the next task
        status = await approval_state(handle)
        await handle.terminate()
    assert (
        "no worker answered within 2 s; your decision was not recorded — try again later"
    ) == str(raised.value)
    assert elapsed < 4
    assert ("pending", []) == (status.state, status.audit)


async def test_a_decision_for_an_old_run_never_reaches_the_new_one(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """send_decision with the run id of a terminated run is refused; the new run under the same
    workflow id is untouched."""
    client = dev_server_env.client
    fakes = ApprovalFakes(approval())
    async with running_report(client, fakes) as old:
        await approval_state(old)
        old_run = (await old.describe()).run_id
        await old.terminate()
        new = await client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=old.id,
            task_queue=(await old.describe()).task_queue,
        )
        await approval_state(new)
        with pytest.raises(DecisionRefused) as raised:
            await send_decision(client, old.id, decision(), run_id=old_run, wait=WAIT)
        status = await approval_status(client, new.id, run_id=new.result_run_id)
        await new.terminate()
    assert f"{old.id} has already terminated: no decision can change it" == str(raised.value)
    assert ("pending", []) == (status.state, status.audit)


async def test_the_audit_names_the_client_that_called_not_the_channel_it_claims(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """A decision claiming 'email-link' from a client named 'mallory-script' is recorded with
    caller 'mallory-script': the identity Temporal saw."""
    address = dev_server_env.client.service_client.config.target_host
    mallory = await Client.connect(
        address, data_converter=DATA_CONVERTER, identity="mallory-script"
    )
    fakes = ApprovalFakes(approval())
    async with running_report(dev_server_env.client, fakes) as handle:
        await approval_state(handle)
        after = await send_decision(mallory, handle.id, decision(channel="email-link"))
        later = await approval_status(dev_server_env.client, handle.id)
        await handle.result()
    assert [("email-link", "mallory-script")] == [(e.channel, e.caller) for e in after.audit]
    assert after.audit == later.audit


async def test_cancelling_a_waiting_decision_is_a_cancellation(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """A caller that gives up itself (a closed web request) sees its cancellation, not an
    'unavailable' it would report to nobody."""
    client = dev_server_env.client
    async with running_report(client, ApprovalFakes(approval())) as handle:
        await approval_state(handle)
    waiting = asyncio.create_task(send_decision(client, handle.id, decision(), wait=WAIT))
    await asyncio.sleep(0.5)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await handle.terminate()
