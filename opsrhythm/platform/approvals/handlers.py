"""What the approval commands do: send a decision, list what is pending, show one approval.

The workflow's refusals and Temporal's errors come back as ``ServerError``s, which the CLI
prints as one line with exit code 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.client import Client

from opsrhythm.platform.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    DecisionRefused,
    approval_status,
    open_approvals,
    send_decision,
)
from opsrhythm.platform.approvals.models import ApprovalDecision, ApprovalStatus, DecisionKind
from opsrhythm.platform.approvals.views import approval_json, print_approval, print_pending
from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import ServerError
from opsrhythm.platform.terminal import print_json


@contextmanager
def _as_server_errors() -> Iterator[None]:
    try:
        yield
    except DecisionRefused as error:
        raise ServerError(f"refused: {error}") from None
    except (ApprovalNotFound, ApprovalUnavailable) as error:
        raise ServerError(str(error)) from None


async def approve(args: argparse.Namespace, context: CliContext) -> int:
    return await _decide(args, context, "approve")


async def reject(args: argparse.Namespace, context: CliContext) -> int:
    return await _decide(args, context, "reject")


async def request_changes(args: argparse.Namespace, context: CliContext) -> int:
    return await _decide(args, context, "request_changes")


async def _decide(args: argparse.Namespace, context: CliContext, decision: DecisionKind) -> int:
    sent = ApprovalDecision(
        approver=args.approver, decision=decision, comment=args.comment, channel="cli"
    )
    client = await context.connect()
    with _as_server_errors():
        after = await send_decision(client, args.workflow_id, sent)
    verb = decision.replace("_", "-")
    print(f"{verb}: recorded for {args.workflow_id} as {args.approver}")
    print_approval(after)
    return 0


async def pending(args: argparse.Namespace, context: CliContext) -> int:
    client = await context.connect()
    with _as_server_errors():
        found = await open_approvals(client, args.approver)
    if args.json:
        print_json({"approvals": [approval_json(status) for status in found]})
    else:
        print_pending(found, args.approver)
    return 0


async def approval_or_error(client: Client, workflow_id: str) -> ApprovalStatus:
    """The run's approval, or a ``ServerError`` saying why there is none to show."""
    with _as_server_errors():
        return await approval_status(client, workflow_id)
