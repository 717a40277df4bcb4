"""``opsrhythm approve|reject|request-changes|redraft|pending``, declared.

Decisions go to the ritual's own workflow as the ``decide`` Update, and the owner's go-ahead
after a request for changes as the ``redraft`` Update, so the workflow, not this CLI, decides
who may do what. They take ``--config`` only for ``approvals.cli_users`` and work without a
config file. The handlers are in ``approvals.handlers``; ``status WORKFLOW_ID`` (a run's
approval) is one of the run commands.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from opsrhythm.platform.cli import Command

HANDLERS = "opsrhythm.platform.approvals.handlers"


AS_HELP = (
    "your email, as configured; may be omitted when the config's approvals.cli_users maps "
    "your OS user to you, and must then be that person"
)


REDRAFT_AS_HELP = (
    "your email, for the audit trail (default: the person approvals.cli_users maps your OS "
    "user to, else this command's Temporal identity)"
)


def _run_and_who(parser: argparse.ArgumentParser, who: str = AS_HELP) -> None:
    parser.add_argument(
        "workflow_id", metavar="WORKFLOW_ID", help="e.g. monthly-kpi-report-2026-10"
    )
    parser.add_argument("--as", dest="approver", metavar="EMAIL", help=who)


def _redraft(parser: argparse.ArgumentParser) -> None:
    _run_and_who(parser, REDRAFT_AS_HELP)


def _decision(text: str | None) -> Callable[[argparse.ArgumentParser], None]:
    """The arguments of a decision: whose, on which run, and its comment or reason."""

    def arguments(parser: argparse.ArgumentParser) -> None:
        _run_and_who(parser)
        if text is None:
            parser.add_argument("--comment", default="", help="optional note for the audit trail")
        else:
            parser.add_argument(f"--{text}", dest="comment", required=True, metavar="TEXT")

    return arguments


def _pending(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="approver", metavar="EMAIL", help="only those awaiting EMAIL")


COMMANDS = (
    Command("approve", "Approve a ritual's draft.", f"{HANDLERS}:approve", _decision(None)),
    Command(
        "reject",
        "Reject a ritual's draft; nothing is sent.",
        f"{HANDLERS}:reject",
        _decision("reason"),
    ),
    Command(
        "request-changes",
        "Ask for a new draft, saying what to change.",
        f"{HANDLERS}:request_changes",
        _decision("comment"),
    ),
    Command(
        "redraft",
        "After a request for changes, once they are made: draft the next round now.",
        f"{HANDLERS}:redraft",
        _redraft,
    ),
    Command(
        "pending",
        "Approvals waiting for a decision, across every ritual.",
        f"{HANDLERS}:pending",
        _pending,
        config=False,
        json=True,
    ),
)
