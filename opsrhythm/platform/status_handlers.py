"""What ``status`` does, for any ritual kind: the step, a failure's cause, unknown outcomes,
the approval, and what the run's kind adds through its ``status_details``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.service import RPCError

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.ritual_kind import PeriodicKind, RitualKind, load
from opsrhythm.platform.run_handlers import needs_attention_line
from opsrhythm.platform.temporal_runtime import failure_message, query_status
from opsrhythm.platform.terminal import console, print_json


async def status(args: argparse.Namespace, context: CliContext) -> int:
    """Every running ritual; or, given a workflow id, that run's step and approval."""
    from opsrhythm.platform.approvals.handlers import approval_or_error
    from opsrhythm.platform.approvals.views import approval_json, print_approval
    from opsrhythm.platform.schedules import views

    client = await context.connect()
    if args.workflow_id is None:
        return await views.status(client, console(), as_json=args.json)
    answer = await query_status(client, args.workflow_id)
    step = str(answer["step"]) if "step" in answer else None
    unknown = int(str(answer.get("unknown_outcomes") or 0))
    failure = await _failure(client, args.workflow_id)
    if not args.json:
        if failure is not None:
            print(f"{args.workflow_id}: failed: {failure}")
        elif unknown:
            print(needs_attention_line(args.workflow_id, unknown))
        else:
            print(f"{args.workflow_id}: {step or '(step unavailable)'}")
    approval = await approval_or_error(client, args.workflow_id)
    lines, details = await _kind_details(client, context.kinds, args.workflow_id)
    if args.json:
        document = {
            "workflow_id": args.workflow_id,
            "step": step,
            "unknown_outcomes": unknown,
            "failure": failure,
        }
        print_json(document | details | {"approval": approval_json(approval)})
    else:
        for line in lines:
            print(line)
        print_approval(approval)
    return 0


async def _kind_details(
    client: Client, kinds: Sequence[RitualKind], workflow_id: str
) -> tuple[list[str], dict[str, Any]]:
    """What the run's kind shows beyond step and approval (its ``status_details``), if any."""
    try:
        workflow_type = (await client.get_workflow_handle(workflow_id).describe()).workflow_type
    except RPCError:
        return [], {}
    hook = next(
        (
            kind.status_details
            for kind in kinds
            if isinstance(kind, PeriodicKind) and kind.workflow == workflow_type
        ),
        None,
    )
    if hook is None:
        return [], {}
    found: tuple[list[str], dict[str, Any]] = await load(hook)(client, workflow_id)
    return found


async def _failure(client: Client, workflow_id: str) -> str | None:
    """Why the latest run failed, from the server (no worker needed); None unless it failed."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        described = await handle.describe()
        if described.status != WorkflowExecutionStatus.FAILED:
            return None
        await handle.result(follow_runs=False)
    except WorkflowFailureError as failure:
        return failure_message(failure)
    except RPCError:
        return None
    return None
