"""A ledger database that goes away: retried while it may come back, then one line naming it.

PostgreSQL is reached through ``tests.tcp_proxy`` so a test can cut it mid-run. The URL carries
a password (trust auth ignores it) that must appear in no message.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from opsrhythm.platform.db.schema import CONNECT_TIMEOUT_SECONDS, DatabaseUnreachable
from opsrhythm.platform.failures import DATA_CONVERTER
from opsrhythm.platform.ledger import SendLedger
from opsrhythm.platform.ledger_keys import DATABASE_URL_ENV
from opsrhythm.platform.stores import (
    DATABASE_OUTAGE_ATTEMPTS,
    DatabaseOutages,
    open_in_activity,
    outage_failure,
)
from opsrhythm.platform.temporal_runtime import failure_message
from tests.conftest import EXAMPLE_CONFIG
from tests.databases import postgres_schema
from tests.tcp_proxy import TcpProxy, tcp_proxy
from workflows.activity_options import SEND_RETRY

pytestmark = pytest.mark.postgres
SECRET = "s3cret-pw"
# The send policy with its intervals scaled down: the test server does not skip retry backoff.
FAST_SEND_RETRY = dataclasses.replace(SEND_RETRY, initial_interval=timedelta(milliseconds=100))


@pytest.fixture
def proxied_url() -> Iterator[tuple[str, TcpProxy]]:
    """An upgraded PostgreSQL schema, reached through a proxy, with a password in its URL."""
    with postgres_schema() as direct, tcp_proxy("127.0.0.1", 5432) as proxy:
        url = sa.make_url(direct).set(port=proxy.port, password=SECRET)
        yield url.render_as_string(hide_password=False), proxy


def _count_unknown() -> int:
    """What an activity using the ledger does: open it, then query it."""
    return len(open_in_activity(SendLedger.from_url).unknown())


def _attempt(number: int) -> ActivityEnvironment:
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, attempt=number)
    return environment


def _lost_midway(proxy: TcpProxy) -> DatabaseUnreachable:
    """Open the ledger and use it, then lose the database and use it again."""
    ledger = open_in_activity(SendLedger.from_url)
    ledger.unknown()
    proxy.cut()
    with pytest.raises(DatabaseUnreachable) as lost:
        ledger.unknown()
    return lost.value


def test_a_database_lost_midway_is_an_outage_not_a_bug(
    proxied_url: tuple[str, TcpProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLAlchemy's OperationalError after the store was opened is reported as
    DatabaseUnreachable naming the host and port, never the password."""
    url, proxy = proxied_url
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    message = str(_lost_midway(proxy))
    assert f"127.0.0.1:{proxy.port}" in message
    assert SECRET not in message
    assert 1 == len(message.splitlines())


@pytest.mark.parametrize("attempt", [1, DATABASE_OUTAGE_ATTEMPTS - 1])
def test_before_the_bound_an_outage_is_retried(
    attempt: int, proxied_url: tuple[str, TcpProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, proxy = proxied_url
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    lost = _lost_midway(proxy)
    failure = _attempt(attempt).run(outage_failure, lost)
    assert (False, "DatabaseUnreachable") == (failure.non_retryable, failure.type)


def test_at_the_bound_an_outage_fails_for_good_in_one_line(
    proxied_url: tuple[str, TcpProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, proxy = proxied_url
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    lost = _lost_midway(proxy)
    failure = _attempt(DATABASE_OUTAGE_ATTEMPTS).run(outage_failure, lost)
    assert failure.non_retryable
    assert f"127.0.0.1:{proxy.port}" in failure.message
    assert SECRET not in failure.message
    assert 1 == len(failure.message.splitlines())


def test_a_policy_without_an_attempt_limit_keeps_retrying(
    proxied_url: tuple[str, TcpProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SLA watcher's sweep retries forever on purpose: an outage must not end the watcher."""
    from workflows.feedback_sla import SWEEP_RETRY

    url, proxy = proxied_url
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    lost = _lost_midway(proxy)
    environment = _attempt(DATABASE_OUTAGE_ATTEMPTS + 10)
    environment.info = dataclasses.replace(environment.info, retry_policy=SWEEP_RETRY)
    assert not environment.run(outage_failure, lost).non_retryable


def test_a_silent_server_fails_the_connection_within_the_connect_timeout(
    proxied_url: tuple[str, TcpProxy],
) -> None:
    """A server behind a dropped link does not hold an attempt for the TCP timeout (minutes)."""
    url, proxy = proxied_url
    proxy.silence()
    began = time.monotonic()
    with pytest.raises(DatabaseUnreachable):
        SendLedger.from_url(url + "&application_name=silent")  # a URL not yet checked
    assert time.monotonic() - began < CONNECT_TIMEOUT_SECONDS + 10


class LedgerProbe(BaseModel):
    pass


@activity.defn
def count_unknown(_: LedgerProbe) -> int:
    return _count_unknown()


@workflow.defn(sandboxed=False)
class LedgerProbeWorkflow:
    @workflow.run
    async def run(self, probe: LedgerProbe) -> int:
        return await workflow.execute_activity(
            count_unknown,
            probe,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=FAST_SEND_RETRY,
        )


async def test_a_run_whose_database_is_down_fails_at_the_bound_naming_it(
    time_skipping_env: WorkflowEnvironment,
    proxied_url: tuple[str, TcpProxy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end with the send policy's attempts: the worker's interceptor stops the retries at
    DATABASE_OUTAGE_ATTEMPTS, and the run's failure names the database in one line."""
    url, proxy = proxied_url
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    _lost_midway(proxy)  # this process has checked the schema: the outage comes mid-run
    client = Client(
        time_skipping_env.client.service_client,
        namespace=time_skipping_env.client.namespace,
        data_converter=DATA_CONVERTER,
    )
    task_queue = str(uuid.uuid4())
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[LedgerProbeWorkflow],
        activities=[count_unknown],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=2),
        interceptors=[DatabaseOutages()],
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(
                LedgerProbeWorkflow.run, LedgerProbe(), id=str(uuid.uuid4()), task_queue=task_queue
            )
    activity_error = failed.value.cause
    assert isinstance(activity_error, ActivityError)
    assert isinstance(activity_error.cause, ApplicationError)
    assert activity_error.cause.non_retryable
    message = failure_message(failed.value)
    assert f"gave up after {DATABASE_OUTAGE_ATTEMPTS} attempts" in message
    assert f"127.0.0.1:{proxy.port}" in message
    assert SECRET not in message


def test_a_worker_facing_a_down_database_exits_at_once_in_one_line() -> None:
    """`opsrhythm worker` checks the database before it polls: one line naming the host, no
    password, no traceback, a non-zero exit."""
    environment = dict(os.environ)
    environment[DATABASE_URL_ENV] = f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/test"
    environment["OPSRHYTHM_CONFIG"] = str(EXAMPLE_CONFIG)
    done = subprocess.run(
        [sys.executable, "-c", "import sys, starter; sys.exit(starter.main(['worker']))"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert 0 != done.returncode
    [line] = done.stderr.splitlines()
    assert "127.0.0.1:1" in line
    assert SECRET not in line
