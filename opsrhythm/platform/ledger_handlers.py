"""What ``opsrhythm ledger unknown`` and ``ledger resolve`` do, on the send ledger alone."""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import CommandError, UsageError
from opsrhythm.platform.ledger import SendLedger, UnknownOutcome
from opsrhythm.platform.ledger_keys import default_database_url
from opsrhythm.platform.terminal import print_json, utc_iso

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


def resolve(args: argparse.Namespace, context: CliContext) -> int:
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
        note = RESENT_NOTE if args.resend else MARKED_NOTE
        settled = ledger.resolve(args.workflow_id, emails, resend=args.resend, note=note)
    finally:
        ledger.close()
    verb = "released to be sent by a re-run" if args.resend else "recorded as sent"
    print(f"{args.workflow_id}: {len(settled)} recipient(s) {verb}")
    return 0


def _row_json(row: UnknownOutcome) -> dict[str, str | None]:
    key = row.key
    return {
        "workflow_id": key.workflow_id,
        "audience_id": key.audience_id,
        "message_kind": key.message_kind,
        "email": key.email,
        "since": utc_iso(row.since),
    }
