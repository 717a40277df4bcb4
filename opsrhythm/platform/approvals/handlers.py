"""What the approval commands do: send a decision or a redraft, list what is pending, show one
approval.

The workflow's refusals and Temporal's errors come back as ``ServerError``s, which the CLI
prints as one line with exit code 1; so does a run that could not be asked (no worker). Who a
decision is from is ``--as``, checked against ``approvals.cli_users`` when the config (found or
given) has it; Temporal records the CLI's own identity beside it (``approvals.identity``).
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
    request_redraft,
    send_decision,
)
from opsrhythm.platform.approvals.identity import acting_as, os_user
from opsrhythm.platform.approvals.models import (
    ApprovalDecision,
    ApprovalStatus,
    DecisionKind,
    RedraftRequest,
)
from opsrhythm.platform.approvals.pending import open_approvals
from opsrhythm.platform.approvals.views import approval_json, print_approval, print_pending
from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import ServerError
from opsrhythm.platform.terminal import print_json


@contextmanager
def as_server_errors() -> Iterator[None]:
    try:
        yield
    except DecisionRefused as error:
        raise ServerError(f"refused: {error}") from None
    except (ApprovalNotFound, ApprovalUnavailable) as error:
        raise ServerError(str(error)) from None


def cli_users_of(args: argparse.Namespace, context: CliContext) -> dict[str, str]:
    """``approvals.cli_users`` (OS user -> email) of the config given, or found by default;
    none without a config, so the commands work on a machine that has no config file."""
    if args.config is None and not context.configs.path(None).is_file():
        return {}
    return context.config(args).cli_users()


async def approve(args: argparse.Namespace, context: CliContext) -> int:
    return await _decide(args, context, "approve")


async def reject(args: argparse.Namespace, context: CliContext) -> int:
    return await _decide(args, context, "reject")


async def request_changes(args: argparse.Namespace, context: CliContext) -> int:
    return await _decide(args, context, "request_changes")


async def _decide(args: argparse.Namespace, context: CliContext, decision: DecisionKind) -> int:
    approver = acting_as(args.approver, cli_users_of(args, context), os_user())
    assert approver is not None  # required: acting_as raised instead
    # channel "cli" only keeps old histories' audit readable: the caller is the proof.
    sent = ApprovalDecision(
        approver=approver, decision=decision, comment=args.comment, channel="cli"
    )
    client = await context.connect()
    with as_server_errors():
        after = await send_decision(client, args.workflow_id, sent)
    verb = decision.replace("_", "-")
    print(f"{verb}: recorded for {args.workflow_id} as {approver}")
    print_approval(after)
    return 0


async def redraft(args: argparse.Namespace, context: CliContext) -> int:
    """The owner's go-ahead after a request for changes: draft the next round now."""
    asked = acting_as(args.approver, cli_users_of(args, context), os_user(), required=False)
    by = asked or context.identity
    client = await context.connect()
    with as_server_errors():
        after = await request_redraft(
            client, args.workflow_id, RedraftRequest(requested_by=by, channel="cli")
        )
    print(
        f"redraft: {args.workflow_id} asked to draft again by {by}; "
        f"approval now {after.state} (round {after.round})"
    )
    return 0


async def pending(args: argparse.Namespace, context: CliContext) -> int:
    client = await context.connect()
    with as_server_errors():
        found = await open_approvals(client, args.approver)
    if args.json:
        approvals = [approval_json(status) for status in found.approvals]
        print_json({"approvals": approvals, "unanswered": found.unanswered})
    else:
        print_pending(found.approvals, args.approver, complete=not found.unanswered)
    if found.unanswered:
        count = len(found.unanswered)
        raise ServerError(
            f"could not ask {count} run{'s' if count > 1 else ''} (no worker answering?): "
            + ", ".join(found.unanswered)
        )
    return 0


async def approval_or_error(client: Client, workflow_id: str) -> ApprovalStatus:
    """The run's approval, or a ``ServerError`` saying why there is none to show."""
    with as_server_errors():
        return await approval_status(client, workflow_id)
