"""Shared fixtures: the two real Temporal servers, started once per session from local binaries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.config_loader import load_config
from opsrhythm.platform import search_attributes
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.platform.temporal_runtime import find_binary

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO / "examples" / "acme" / "opsrhythm.yaml"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=find_binary("temporal-test-server"),
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=search_attributes.ALL,
    )
    yield env
    await env.shutdown()


@pytest.fixture
def example_config() -> OpsRhythmConfig:
    return load_config(EXAMPLE_CONFIG)
