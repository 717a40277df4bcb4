"""What ``opsrhythm ledger unknown`` and ``ledger resolve`` do.

``unknown`` reads the send ledger alone. ``resolve`` settles rows in the ledger and then tells
the run: a run of a kind that ``settles_outcomes`` waits, in step "needs attention", for the
``OUTCOMES_SETTLED_SIGNAL`` to send whoever was released and finish. Any other workflow (the
feedback SLA watcher) sends released rows on its own next pass, as a failed run does on its
re-run; a completed report run sends nothing any more, so ``--resend`` is refused for it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import CommandError, UsageError
from opsrhythm.platform.ledger import SendLedger, UnknownOutcome
from opsrhythm.platform.ledger_keys import default_database_url
from opsrhythm.platform.ritual_kind import OUTCOMES_SETTLED_SIGNAL, PeriodicKind
from opsrhythm.platform.terminal import print_json, utc_iso

if TYPE_CHECKING:
    from temporalio.client import WorkflowHandle

RESENT_NOTE = "outcome unknown; released by an operator to be sent again"
MARKED_NOTE = "outcome unknown; recorded as sent by an operator"


def unknown(args: argparse.Namespace, context: CliContext) -> int:
    ledger = SendLedger.from_url(args.database_url or default_database_url())
    try:
        rows = ledger.unknown()
    finally:
        ledger.close()
    if args.json:
        print_json({"unknown": [_row_json(row) for row in rows]})
        return 0
    for row in rows:
        key = row.key
        print(
            f"{key.workflow_id}  {key.audience_id}  {key.message_kind}  {key.email}  "
            f"since {utc_iso(row.since)}"
        )
    print(f"{len(rows)} recipient(s) with an unknown outcome")
    return 0


@dataclass(frozen=True)
class _Run:
    """What Temporal says of the workflow whose rows are settled."""

    waiting: WorkflowHandle[Any, Any] | None = None
    """Its handle, when it is an open run that waits to be settled."""
    completed: str | None = None
    """When a run that would have waited completed (it sends nothing any more)."""
    unreachable: str | None = None
    """Why Temporal could not be asked."""


async def resolve(args: argparse.Namespace, context: CliContext) -> int:
    ledger = SendLedger.from_url(args.database_url or default_database_url())
    try:
        held = {
            row.key.email for row in ledger.unknown() if row.key.workflow_id == args.workflow_id
        }
        if not held:
            raise CommandError(f"{args.workflow_id} has no recipient with an unknown outcome")
        emails = None if args.email is None else [email.strip().lower() for email in args.email]
        missing = sorted(set(emails or ()) - held)
        if missing:
            raise UsageError(
                f"{args.workflow_id} has no unknown outcome for {', '.join(missing)} "
                "(see: opsrhythm ledger unknown)"
            )
        run = await _the_run(context, args.workflow_id)
        if args.resend and run.completed is not None:
            raise CommandError(
                f"refused: {args.workflow_id} completed at {run.completed} and sends nothing "
                "any more, so released recipients would never get it; if SendGrid's activity "
                "feed shows they got it, use --mark-sent"
            )
        note = RESENT_NOTE if args.resend else MARKED_NOTE
        settled = ledger.resolve(args.workflow_id, emails, resend=args.resend, note=note)
    finally:
        ledger.close()
    verb = "released to be sent again" if args.resend else "recorded as sent"
    print(f"{args.workflow_id}: {len(settled)} recipient(s) {verb}")
    if run.waiting is not None:
        await run.waiting.signal(OUTCOMES_SETTLED_SIGNAL)
        what = "sends the released recipients and " if args.resend else ""
        print(f"{args.workflow_id}: told the run: it {what}finishes once no outcome is unknown")
    elif run.unreachable is not None:
        print(
            f"{args.workflow_id}: could not tell its run ({run.unreachable}); if it waits to be "
            f"settled, tell it once Temporal is up: temporal workflow signal --workflow-id "
            f"{args.workflow_id} --name {OUTCOMES_SETTLED_SIGNAL}",
            file=sys.stderr,
        )
    return 0


async def _the_run(context: CliContext, workflow_id: str) -> _Run:
    """Whether ``workflow_id`` is a run that waits to be settled, open or completed."""
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    from opsrhythm.platform.temporal_runtime import TemporalUnavailable

    try:
        handle = (await context.connect()).get_workflow_handle(workflow_id)
        described = await handle.describe()
    except TemporalUnavailable as error:
        return _Run(unreachable=str(error))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return _Run()  # not a run this server knows: only the ledger holds it
        return _Run(unreachable=f"the Temporal server refused: {error.message}")
    settling = {
        kind.workflow
        for kind in context.kinds
        if isinstance(kind, PeriodicKind) and kind.settles_outcomes
    }
    if described.workflow_type not in settling:
        return _Run()
    if described.status == WorkflowExecutionStatus.RUNNING:
        return _Run(waiting=handle)
    if described.status == WorkflowExecutionStatus.COMPLETED:
        return _Run(completed=utc_iso(described.close_time))
    return _Run()  # failed, cancelled, terminated: a re-run sends the released ones


def _row_json(row: UnknownOutcome) -> dict[str, str | None]:
    key = row.key
    return {
        "workflow_id": key.workflow_id,
        "audience_id": key.audience_id,
        "message_kind": key.message_kind,
        "email": key.email,
        "since": utc_iso(row.since),
    }
