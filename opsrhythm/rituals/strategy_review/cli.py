"""``opsrhythm review submit|close|status``, declared (handlers in ``submit_handlers``).

An owner's update goes to the review's own workflow as the ``submit_status`` Update, so the
workflow, not this CLI, decides whose item it is and whether updates are still taken.
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command, Group

HANDLERS = "opsrhythm.rituals.strategy_review.submit_handlers"
AS_HELP = (
    "your email, as configured; may be omitted when the config's approvals.cli_users maps "
    "your OS user to you, and must then be that person"
)


def _submit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", help="the quarter, YYYY-Qn (default: the last complete one)")
    parser.add_argument("--as", dest="owner", metavar="EMAIL", help=AS_HELP)
    parser.add_argument("--item", metavar="ID", help="objective or initiative id (default: yours)")
    parser.add_argument("--status", required=True, choices=("green", "amber", "red"))
    parser.add_argument("--confidence", required=True, metavar="N", help="0 to 100 (percent)")
    parser.add_argument("--narrative-file", required=True, metavar="FILE")
    parser.add_argument("--risk", action="append", default=[], metavar="TEXT")
    parser.add_argument("--ask", action="append", default=[], metavar="TEXT")
    parser.add_argument(
        "--action",
        action="append",
        default=[],
        metavar="ID=done|dropped|open[:note]",
        help="an update to one of your actions (repeatable)",
    )
    parser.add_argument(
        "--ritual", metavar="ID", help="default: the config's only strategy_review ritual"
    )


def _which_review(parser: argparse.ArgumentParser) -> None:
    """The run: its workflow id, or ``--period`` (and ``--ritual``) as ``review submit``."""
    parser.add_argument(
        "workflow_id",
        nargs="?",
        metavar="WORKFLOW_ID",
        help="e.g. quarterly-strategy-review-2026-Q4 (or give --period)",
    )
    parser.add_argument("--period", help="the quarter, YYYY-Qn (default: the last complete one)")
    parser.add_argument(
        "--ritual", metavar="ID", help="default: the config's only strategy_review ritual"
    )


def _close(parser: argparse.ArgumentParser) -> None:
    _which_review(parser)
    parser.add_argument("--as", dest="owner", metavar="EMAIL", help=AS_HELP)
    parser.add_argument(
        "--send-now",
        action="store_true",
        help="send the pre-read as soon as the pack is built, not at its planned time",
    )


def _status(parser: argparse.ArgumentParser) -> None:
    _which_review(parser)


COMMANDS = (
    Group("review", "The quarterly strategy review: owners' updates, closing collection."),
    Command(
        "review submit",
        "Send (or replace) your status update on an objective or initiative.",
        f"{HANDLERS}:submit",
        _submit,
    ),
    Command(
        "review close",
        "As the ritual's owner: stop collecting and build the pack now.",
        f"{HANDLERS}:close",
        _close,
    ),
    Command(
        "review status",
        "A review's stage, who has submitted, who is late, what is pending.",
        f"{HANDLERS}:status",
        _status,
        json=True,
    ),
)
