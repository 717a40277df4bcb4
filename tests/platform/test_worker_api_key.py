"""`opsrhythm worker` on a server it did not start, reached as Temporal Cloud is: address,
namespace and API key from the environment, through temporalio.envconfig."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform import search_attributes
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.platform.temporal_runtime import TASK_QUEUE, find_binary
from tests.conftest import EXAMPLE_CONFIG, REPO
from tests.databases import sqlite_url

WORKER = [sys.executable, "-c", "import sys, starter; sys.exit(starter.main())", "worker"]


@pytest_asyncio.fixture
async def cloud_like_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server in a namespace of its own, as a Cloud account's is."""
    env = await WorkflowEnvironment.start_local(
        namespace=f"acme-{uuid.uuid4().hex[:8]}",
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=search_attributes.ALL,
    )
    try:
        yield env
    finally:
        await env.shutdown()


def api_key_environment(env: WorkflowEnvironment, tmp_path: Path) -> dict[str, str]:
    unset = {"TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "PYTHONPATH"}
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment |= {
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": env.client.namespace,
        "TEMPORAL_API_KEY": "acme-test-api-key",
        "TEMPORAL_CONFIG_FILE": str(tmp_path / "no-temporal.toml"),
        "OPSRHYTHM_CONFIG": str(EXAMPLE_CONFIG),
        "OPSRHYTHM_DATABASE_URL": sqlite_url(tmp_path / "opsrhythm.db"),
        "OPSRHYTHM_OUTBOX": str(tmp_path / "outbox"),
    }
    return environment


async def pollers(env: WorkflowEnvironment) -> list[str]:
    answer = await env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=env.client.namespace,
            task_queue=TaskQueue(name=TASK_QUEUE),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return [poller.identity for poller in answer.pollers]


@pytest.mark.dev_server
async def test_worker_polls_with_address_namespace_and_api_key(
    cloud_like_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    environment = api_key_environment(cloud_like_server, tmp_path)
    # The dev server speaks plaintext; with an API key the SDK would otherwise use TLS.
    environment["TEMPORAL_TLS"] = "false"
    worker = await asyncio.to_thread(
        subprocess.Popen, WORKER, cwd=REPO, env=environment, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None
    try:
        started = await asyncio.to_thread(worker.stdout.readline)
        assert started.startswith(f"Worker polling task queue '{TASK_QUEUE}'"), started
        found: list[str] = []
        for _ in range(100):
            if found := await pollers(cloud_like_server):
                break
            await asyncio.sleep(0.2)
        assert 1 == len(found), found
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.dev_server
def test_api_key_without_tls_setting_tries_tls_and_says_so_in_one_line(
    cloud_like_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The API key is read: with it the SDK speaks TLS, which the plaintext dev server refuses."""
    done = subprocess.run(
        WORKER,
        cwd=REPO,
        env=api_key_environment(cloud_like_server, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 1 == done.returncode, done.stderr
    address = cloud_like_server.client.service_client.config.target_host
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"opsrhythm: cannot reach Temporal at {address} ("), line
