"""Failures stay far inside Temporal's size limits, whatever the exception carries.

Issue 10 saw ~350 KB of failure reach the log and "Failure exceeds size limit" in the Web UI
during a database outage. Here an activity raises the worst case: a SQLAlchemy error with a
15 KB statement, chained under 20 wrappers of 100 KB each (about 2 MB of text).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from opsrhythm.platform.failures import (
    CHAIN_LIMIT,
    DATA_CONVERTER,
    MESSAGE_LIMIT,
    STACK_TRACE_LIMIT,
)
from opsrhythm.platform.temporal_runtime import failure_message

WRAPPERS = 20
ROOT_CAUSE = "no such table: missing_kpis"
# Each kept failure: its bounded message and stack trace, plus the notes and proto fields.
SIZE_BOUND = CHAIN_LIMIT * (MESSAGE_LIMIT + STACK_TRACE_LIMIT + 512)


class Blowup(BaseModel):
    pass


def _innermost_query() -> None:
    engine = sa.create_engine("sqlite://")
    ids = list(range(5000))
    with engine.connect() as conn:
        conn.execute(
            sa.text("SELECT * FROM missing_kpis WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )


def raise_huge_chain() -> None:
    try:
        _innermost_query()
    except sa.exc.OperationalError as error:
        cause: BaseException = error
    for level in range(WRAPPERS):
        try:
            raise RuntimeError(f"wrapper {level}: " + "x" * 100_000) from cause
        except RuntimeError as wrapper:
            cause = wrapper
    raise cause


@activity.defn
async def blow_up(_: Blowup) -> None:
    raise_huge_chain()


@workflow.defn(sandboxed=False)
class BlowupWorkflow:
    @workflow.run
    async def run(self, blowup: Blowup) -> None:
        await workflow.execute_activity(
            blow_up,
            blowup,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )


def _chain(failure: Failure) -> list[Failure]:
    links = [failure]
    while links[-1].HasField("cause"):
        links.append(links[-1].cause)
    return links


def _converted(converter_failure: Failure) -> Failure:
    with pytest.raises(RuntimeError) as raised:
        raise_huge_chain()
    DATA_CONVERTER.failure_converter.to_failure(
        raised.value, DATA_CONVERTER.payload_converter, converter_failure
    )
    return converter_failure


def test_the_default_converter_would_record_megabytes() -> None:
    """Why the bound is needed: the SDK's own conversion keeps all of it."""
    with pytest.raises(RuntimeError) as raised:
        raise_huge_chain()
    failure = Failure()
    pydantic_data_converter.failure_converter.to_failure(
        raised.value, pydantic_data_converter.payload_converter, failure
    )
    assert failure.ByteSize() > 2_000_000


def test_a_huge_chain_is_bounded_and_keeps_its_root_cause() -> None:
    failure = _converted(Failure())
    links = _chain(failure)
    assert failure.ByteSize() < SIZE_BOUND
    assert CHAIN_LIMIT == len(links)
    assert ROOT_CAUSE in links[-1].message
    # The wrappers, SQLAlchemy's error and, as the root, the driver's error under it.
    omitted = WRAPPERS + 2 - CHAIN_LIMIT
    assert f"[{omitted} intermediate causes omitted]" in links[-1].stack_trace
    # The tail of a stack is kept: the frame that raised is the last one named.
    assert "in do_execute" in links[-1].stack_trace.splitlines()[-2]
    assert all(len(link.message.encode()) < MESSAGE_LIMIT + 64 for link in links)


async def test_a_failure_in_history_is_bounded_and_the_cli_shows_its_root_cause(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    """On a real server: the activity's failure and the run's, as recorded in history."""
    client = Client(
        time_skipping_env.client.service_client,
        namespace=time_skipping_env.client.namespace,
        data_converter=DATA_CONVERTER,
    )
    task_queue = str(uuid.uuid4())
    async with Worker(
        client, task_queue=task_queue, workflows=[BlowupWorkflow], activities=[blow_up]
    ):
        handle = await client.start_workflow(
            BlowupWorkflow.run, Blowup(), id=str(uuid.uuid4()), task_queue=task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    sizes = {}
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            sizes["activity"] = event.activity_task_failed_event_attributes.failure.ByteSize()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            sizes["workflow"] = event.workflow_execution_failed_event_attributes.failure.ByteSize()
    assert {"activity", "workflow"} == set(sizes)
    assert max(sizes.values()) < SIZE_BOUND
    assert ROOT_CAUSE in failure_message(failed.value)
