"""`opsrhythm worker` refuses a server without the Step search attribute: scheduled runs upsert
it, and on such a server each of their workflow tasks would fail."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import starter
from opsrhythm.platform import search_attributes
from opsrhythm.platform.cli import main_async
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.platform.ledger_keys import DATABASE_URL_ENV
from opsrhythm.platform.temporal_runtime import find_binary
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import sqlite_url


@pytest.mark.dev_server
async def test_worker_on_a_server_without_step_names_the_command_that_adds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, sqlite_url(tmp_path / "opsrhythm.db"))
    older = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=[search_attributes.RITUAL, search_attributes.PERIOD],
        dev_server_extra_args=["--headless"],
    )
    try:

        async def connect() -> Client:
            return older.client

        context = dataclasses.replace(starter.context(), connect=connect)
        code = await main_async(
            starter.commands(), ["worker", "--config", str(EXAMPLE_CONFIG)], context
        )
    finally:
        await older.shutdown()
    err = capsys.readouterr().err
    assert (
        1,
        "opsrhythm: search attributes Step are missing: temporal operator "
        "search-attribute create --name Step --type Keyword\n",
    ) == (code, err)
