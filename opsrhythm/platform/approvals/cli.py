"""``opsrhythm approve|reject|request-changes|pending|web`` and ``opsrhythm status WORKFLOW_ID``.

Decisions go to the ritual's own workflow as the ``decide`` Update, so the workflow, not this
CLI, decides who may decide; its refusals come back as one line and exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from temporalio.client import Client

from opsrhythm.platform.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    DecisionRefused,
    approval_status,
    open_approvals,
    send_decision,
)
from opsrhythm.platform.approvals.models import ApprovalDecision, ApprovalStatus

COMMANDS = ("approve", "reject", "request-changes", "pending", "web")
DECISIONS = {"approve": "approve", "reject": "reject", "request-changes": "request_changes"}


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help)

    def decision(name: str, help: str, text: str | None) -> None:
        parser = command(name, help)
        parser.add_argument(
            "workflow_id", metavar="WORKFLOW_ID", help="e.g. monthly-kpi-report-2026-10"
        )
        parser.add_argument(
            "--as",
            dest="approver",
            required=True,
            metavar="EMAIL",
            help="your email, as configured",
        )
        if text is None:
            parser.add_argument("--comment", default="", help="optional note for the audit trail")
        else:
            parser.add_argument(f"--{text}", dest="comment", required=True, metavar="TEXT")

    decision("approve", "Approve a ritual's draft.", None)
    decision("reject", "Reject a ritual's draft; nothing is sent.", "reason")
    decision("request-changes", "Ask for a new draft, saying what to change.", "comment")
    pending = command("pending", "Approvals waiting for a decision, across every ritual.")
    pending.add_argument("--as", dest="approver", metavar="EMAIL", help="only those awaiting EMAIL")
    web = command(
        "web", "Serve the pages behind email links (binds to 127.0.0.1 unless --host is given)."
    )
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8080)
    web.add_argument(
        "--config", help="config file, for the feedback pages (default: $OPSRHYTHM_CONFIG)"
    )

    status = commands.choices.get("status")
    if status is None:
        status = command("status", "A run's step, pending approvals and who has decided.")
    status.add_argument(
        "workflow_id", nargs="?", metavar="WORKFLOW_ID", help="one run: its step and approvals"
    )


def handles(args: argparse.Namespace) -> bool:
    """Ours: the approval commands, and ``status`` when it names one workflow."""
    if args.command == "status":
        return getattr(args, "workflow_id", None) is not None
    return args.command in COMMANDS


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "web":
        from opsrhythm.web import serve

        return serve(args.host, args.port, args.config)
    return asyncio.run(_connected(args))


async def _connected(args: argparse.Namespace) -> int:
    from opsrhythm.platform.temporal_runtime import connect

    return await run(args, await connect())


async def run(args: argparse.Namespace, client: Client) -> int:
    """One command against a connected client; every failure is one line on stderr."""
    try:
        if args.command in DECISIONS:
            decision = ApprovalDecision(
                approver=args.approver,
                decision=DECISIONS[args.command],
                comment=args.comment,
                channel="cli",
            )
            after = await send_decision(client, args.workflow_id, decision)
            print(f"{args.command}: recorded for {args.workflow_id} as {args.approver}")
            print_approval(after)
        elif args.command == "pending":
            print_pending(await open_approvals(client, args.approver), args.approver)
        else:
            step = await _step(client, args.workflow_id)
            print(f"{args.workflow_id}: {step}")
            print_approval(await approval_status(client, args.workflow_id))
    except DecisionRefused as error:
        print(f"opsrhythm: refused: {error}", file=sys.stderr)
        return 1
    except (ApprovalNotFound, ApprovalUnavailable) as error:
        print(f"opsrhythm: {error}", file=sys.stderr)
        return 1
    return 0


async def _step(client: Client, workflow_id: str) -> str:
    """The ritual's own ``status`` query step, or the run's state once it has finished."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        answer: Any = await handle.query("status")
        return str(answer.get("step", "running")) if isinstance(answer, dict) else "running"
    except Exception:  # any failure here only costs the step line, never the command
        return "(step unavailable)"


def _when(status: ApprovalStatus) -> str:
    return f"{status.deadline:%Y-%m-%d %H:%M} UTC" if status.deadline else "no deadline"


def print_approval(status: ApprovalStatus) -> None:
    if status.state == "not_requested":
        print("Approval: not requested (yet)")
        return
    escalated = "; escalated" if status.escalated else ""
    print(
        f"Approval: {status.state} (round {status.round}), {status.policy}; "
        f"deadline {_when(status)}{escalated}"
    )
    if status.reason:
        print(f"  reason: {status.reason}")
    if status.pending:
        print("  waiting for: " + ", ".join(f"{p.name} <{p.email}>" for p in status.pending))
    for entry in status.audit:
        note = f'  "{entry.comment}"' if entry.comment else ""
        print(
            f"  {entry.at:%Y-%m-%d %H:%M} UTC  round {entry.round}  {entry.actor}  "
            f"{entry.action}  via {entry.channel}{note}"
        )


def print_pending(found: list[ApprovalStatus], approver: str | None) -> None:
    if not found:
        print("No approvals are waiting" + (f" for {approver}" if approver else "") + ".")
        return
    for status in found:
        waiting = ", ".join(p.email for p in status.pending)
        print(f"{status.workflow_id}  {status.title}  (round {status.round}, due {_when(status)})")
        print(f"  waiting for: {waiting}")
        print(f"  opsrhythm approve {status.workflow_id} --as EMAIL")
