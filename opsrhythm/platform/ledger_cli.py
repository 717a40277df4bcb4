"""``opsrhythm ledger unknown`` and ``ledger resolve``, declared; handlers in ``ledger_handlers``.

They read and write the send ledger; ``resolve`` then tells the run, if Temporal has it open
(``ledger_handlers``). Only ``resolve`` imports the Temporal client.
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command, Group

HANDLERS = "opsrhythm.platform.ledger_handlers"
DATABASE_HELP = "the ledger's database (default: $OPSRHYTHM_DATABASE_URL, else ./.opsrhythm)"


def _unknown(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", metavar="URL", help=DATABASE_HELP)


def _resolve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workflow_id", metavar="WORKFLOW_ID", help="the run whose rows to settle")
    parser.add_argument(
        "--email",
        metavar="E",
        nargs="+",
        action="extend",
        help="only these recipients (default: every unknown one of the run)",
    )
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--resend",
        action="store_true",
        help="send them again: a run waiting to be settled does it now, a failed one on its re-run",
    )
    how.add_argument(
        "--mark-sent",
        action="store_true",
        help="record them as sent (the provider's activity feed shows they got it)",
    )
    parser.add_argument("--database-url", metavar="URL", help=DATABASE_HELP)


COMMANDS = (
    Group("ledger", "The send ledger: recipients whose email's outcome is unknown."),
    Command(
        "ledger unknown",
        "List recipients left 'sending' by an attempt that stopped mid-request.",
        f"{HANDLERS}:unknown",
        _unknown,
        config=False,
        json=True,
    ),
    Command(
        "ledger resolve",
        "Settle a run's unknown outcomes (--resend or --mark-sent) and tell a run waiting for it.",
        f"{HANDLERS}:resolve",
        _resolve,
        config=False,
    ),
)
