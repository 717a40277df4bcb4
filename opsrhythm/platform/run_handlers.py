"""What ``run``, ``status`` and ``worker`` do, for any ritual kind.

A run starts the kind's workflow by name with ``RitualRunInput``, under the id
``run_workflow_id`` gives, so a second start of one ritual and period joins or is refused.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from opsrhythm.platform import search_attributes
from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_args import chosen_kinds, known_ritual, period_argument
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.ledger_keys import (
    DATABASE_URL_ENV,
    configured_database_url,
    embedded_database_url,
)
from opsrhythm.platform.models import RitualRunInput
from opsrhythm.platform.ritual_kind import PENDING_RESULT_QUERY, PeriodicKind, load
from opsrhythm.platform.run_again import (
    completed_line,
    joined_line,
    previous_run,
    refuse_unless_undelivered,
)
from opsrhythm.platform.runs import run_workflow_id
from opsrhythm.platform.temporal_runtime import (
    TASK_QUEUE,
    TemporalUnavailable,
    check_search_attributes,
    client_with_worker,
    failure_message,
)

EXIT_NEEDS_ATTENTION = 3
"""``run --wait``: the run sent what it could, but recipients have an unknown outcome to settle
(it waits for that, or gave up waiting)."""
PENDING_POLL = timedelta(seconds=1)
"""How often ``run --wait`` asks a run of a settling kind whether it now waits to be settled."""


async def run(args: argparse.Namespace, context: CliContext) -> int:
    config = context.config(args)
    ritual = known_ritual(config, args.ritual)
    kind = ritual.ritual_kind
    period = str(period_argument(kind.period, args.period, config.organization.timezone))
    if not args.wait:
        client = await context.connect()
        await check_search_attributes(client)
        return await start_run(client, kind, ritual.id, period, wait=False, again=args.again)
    async with client_with_worker(
        config, context.worker_factory, context.connect, announce=print
    ) as client:
        await check_search_attributes(client)
        return await start_run(client, kind, ritual.id, period, wait=True, again=args.again)


async def start_run(
    client: Client,
    kind: PeriodicKind,
    ritual_id: str,
    period: str,
    *,
    wait: bool,
    task_queue: str = TASK_QUEUE,
    again: bool = False,
) -> int:
    """Start (or join) the run and, with ``wait``, print its result: 0, 1 if it failed, or
    the kind's ``show_result`` code (``EXIT_NEEDS_ATTENTION``). ``again`` starts a new run of
    a period whose run closed without delivering (``run_again``)."""
    workflow_id = run_workflow_id(ritual_id, period)
    reuse = WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
    if again:
        refuse_unless_undelivered(await previous_run(client, workflow_id), workflow_id)
        reuse = WorkflowIDReusePolicy.ALLOW_DUPLICATE
    try:
        handle = await client.start_workflow(
            kind.workflow,
            RitualRunInput(ritual_id=ritual_id, period=period),
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=reuse,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search_attributes.RITUAL, ritual_id),
                    SearchAttributePair(search_attributes.PERIOD, period),
                ]
            ),
        )
        print(f"Workflow id: {workflow_id}")
    except RPCError as error:
        raise TemporalUnavailable(f"could not start {workflow_id}: {error.message}") from None
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle(workflow_id)
        previous = await previous_run(client, workflow_id)
        if not wait:
            print(completed_line(previous, workflow_id, ritual_id, period))
            return 1
        print(joined_line(previous, workflow_id, ritual_id, period))
    if not wait:
        print(f"Follow it with: temporal workflow describe --workflow-id {workflow_id}")
        return 0
    try:
        result = await _result_or_pending(kind, handle)
    except WorkflowFailureError as failure:
        print(f"opsrhythm: {workflow_id} failed: {failure_message(failure)}", flush=True)
        return 1
    return _show_result(kind, workflow_id, result)


async def _result_or_pending(kind: PeriodicKind, handle: WorkflowHandle[Any, Any]) -> Any:
    """The run's result; for a kind whose runs wait to be settled, the result it would finish
    with as soon as it waits (it may wait for days)."""
    if not kind.settles_outcomes:
        return await handle.result()
    finished = asyncio.ensure_future(handle.result())
    try:
        while True:
            done, _ = await asyncio.wait({finished}, timeout=PENDING_POLL.total_seconds())
            if done:
                return finished.result()
            try:
                pending = await handle.query(PENDING_RESULT_QUERY, rpc_timeout=PENDING_POLL * 5)
            except (RPCError, WorkflowQueryFailedError):
                continue  # no worker yet, or the run just finished: its result tells
            if pending is not None:
                return pending
    finally:
        finished.cancel()


def _show_result(kind: PeriodicKind, workflow_id: str, result: Any) -> int:
    if kind.show_result is None:
        print(f"{workflow_id} completed")
        return 0
    # A kind's printer returns its exit code; one that returns nothing means success.
    return int(load(kind.show_result)(result) or 0)


def needs_attention_line(workflow_id: str, unknown: int) -> str:
    """One line a person can act on: the count, and the commands that settle it."""
    from opsrhythm.platform.runs import LIST_UNKNOWN_COMMAND, resolve_command

    return (
        f"{workflow_id}: needs attention: {unknown} recipient(s) with an unknown outcome; "
        f"list them with '{LIST_UNKNOWN_COMMAND}', then settle with "
        f"'{resolve_command(workflow_id)}' (or --resend)"
    )


async def worker(args: argparse.Namespace, context: CliContext) -> int:
    from opsrhythm.platform.db.startup import startup_check

    kinds = chosen_kinds(context.kinds, args.rituals)  # a bad tag fails before anything else
    config = context.config(args)
    refuse_the_implicit_database("worker", "a worker started elsewhere would send emails again")
    startup_check()  # an old schema is refused now, in one line, not at the first activity
    client = await context.connect()
    # Runs upsert Step wherever their starter set Ritual: on a server that lacks it, every
    # workflow task of a scheduled run would fail, so refuse here, with the command that adds it.
    await check_search_attributes(client)
    address = client.service_client.config.target_host
    names = ", ".join(kind.kind for kind in kinds)
    print(f"Worker polling task queue {TASK_QUEUE!r} on {address} for {names}", flush=True)
    await context.worker_factory(client, config, kinds=kinds).run()
    return 0


def refuse_the_implicit_database(command: str, why: str) -> None:
    """A worker, or the web pages, always serve a Temporal server they did not start, where
    runs outlive them: a database in ./.opsrhythm would be another database after a restart
    from another directory (or on another host). ``run --wait`` and ``demo`` without
    TEMPORAL_ADDRESS start their own server and die with it, so they keep the default."""
    if configured_database_url() is None:
        raise UsageError(
            f"{command}: set {DATABASE_URL_ENV} (a PostgreSQL URL, or an absolute SQLite path "
            f"such as {embedded_database_url()}): the default ./.opsrhythm/opsrhythm.db depends "
            f"on the directory {command} starts in, so {why}"
        )
