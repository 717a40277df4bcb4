"""The caller's identity reaches the Temporal client, for the configured server and the
embedded one alike: the server records it on every update, so the audit can name the caller."""

from __future__ import annotations

import pytest
from temporalio.testing import WorkflowEnvironment

from opsrhythm.platform import temporal_runtime


@pytest.mark.dev_server
async def test_connect_calls_as_the_given_identity(
    dev_server_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = dev_server_env.client.service_client.config.target_host
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)

    named = await temporal_runtime.connect(identity="opsrhythm-cli alice@ops-laptop")
    default = await temporal_runtime.connect()

    assert named.identity == "opsrhythm-cli alice@ops-laptop"
    assert default.identity != named.identity


@pytest.mark.dev_server
async def test_embedded_server_client_calls_as_the_given_identity() -> None:
    async with temporal_runtime.embedded_server(identity="opsrhythm-web") as server:
        assert server.client.identity == "opsrhythm-web"
