"""The run's step is visible where Temporal users look: a ``Step`` search attribute to list runs
by, and the current details the Web UI shows (the ``__temporal_workflow_metadata`` query)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from opsrhythm.platform import search_attributes
from opsrhythm.rituals.kpi_report.models import KpiReportInput
from tests.workflows.approval_fakes import (
    CHLOE,
    DEV,
    ApprovalFakes,
    Handle,
    approval,
    approval_state,
    decide,
)
from workflows.kpi_report import KpiReportWorkflow


async def listed(client: Client, query: str) -> list[str]:
    """The ids the query lists once visibility catches up (it is eventually consistent)."""
    ids: list[str] = []
    for _ in range(100):
        ids = [execution.id async for execution in client.list_workflows(query)]
        if ids:
            return ids
        await asyncio.sleep(0.1)
    return ids


async def current_details(handle: Handle) -> str:
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return str(metadata.current_details)


@pytest.mark.dev_server
async def test_a_run_awaiting_approval_is_found_by_step_and_shows_who_is_waiting(
    dev_server_env: WorkflowEnvironment,
) -> None:
    """`Step = 'awaiting approval'` lists the run, whose current details name the round and the
    approvers still to decide; once approved and sent it is listed under `Step = 'done'`."""
    client = dev_server_env.client
    fakes = ApprovalFakes(approval(policy="all", required=2, approvers=[DEV, CHLOE]))
    task_queue = str(uuid.uuid4())
    workflow_id = f"monthly-kpi-report-{uuid.uuid4()}"
    attributes = TypedSearchAttributes(
        [
            SearchAttributePair(search_attributes.RITUAL, "monthly-kpi-report"),
            SearchAttributePair(search_attributes.PERIOD, "2026-10"),
        ]
    )
    async with Worker(
        client, task_queue=task_queue, workflows=[KpiReportWorkflow], activities=fakes.all()
    ):
        handle: Handle = await client.start_workflow(
            KpiReportWorkflow.run,
            KpiReportInput(ritual_id="monthly-kpi-report", period="2026-10"),
            id=workflow_id,
            task_queue=task_queue,
            search_attributes=attributes,
            execution_timeout=timedelta(days=30),
        )
        await approval_state(handle)
        waiting = f"WorkflowId = '{workflow_id}' AND Step = 'awaiting approval'"

        assert [workflow_id] == await listed(client, waiting)
        assert "**awaiting approval** · round 1 · waiting for Dev Patel, Chloé Dubois" == (
            await current_details(handle)
        )

        await decide(handle, DEV)
        assert "**awaiting approval** · round 1 · waiting for Chloé Dubois" == (
            await current_details(handle)
        )

        await decide(handle, CHLOE)
        await handle.result()
        assert [workflow_id] == await listed(
            client, f"WorkflowId = '{workflow_id}' AND Step = 'done'"
        )
        assert "**done**" == await current_details(handle)
