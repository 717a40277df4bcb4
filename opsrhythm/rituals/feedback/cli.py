"""``opsrhythm feedback ...``: feedback triage's commands, declared.

The handlers are in ``feedback.handlers`` (intake, views) and ``feedback.action_handlers``.
Only ``import`` (unless ``--in-process``), ``watch`` and ``resolve`` talk to Temporal; the rest
only use the database.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from opsrhythm.platform.cli import Command, Group
from opsrhythm.rituals.feedback.vocabulary import RESOLUTIONS, SOURCES, STATUSES

HANDLERS = "opsrhythm.rituals.feedback.handlers"
LIST_SORTS = ("created", "score", "due")
PRIORITIES = ("P1", "P2", "P3", "P4")
"""``queue.SORTS``, repeated so ``opsrhythm --help`` does not import SQLAlchemy."""
ACTIONS = "opsrhythm.rituals.feedback.action_handlers"


def _item_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=SOURCES, default="customer")
    parser.add_argument("--customer")
    parser.add_argument("--segment")
    parser.add_argument("--arr", type=float)
    parser.add_argument("--tag", action="append", default=[], dest="tags")


def _import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument(
        "--in-process", action="store_true", help="triage in this process, without Temporal"
    )


def _submit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", required=True)
    parser.add_argument("--from", dest="submitter", required=True, metavar="EMAIL")
    _item_fields(parser)


def _list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area")
    parser.add_argument("--status", choices=STATUSES)
    parser.add_argument("--breaching", action="store_true", help="past their SLA, not acked")
    parser.add_argument("--hide-duplicates", action="store_true", help="originals only")
    parser.add_argument(
        "--sort",
        choices=LIST_SORTS,
        default="created",
        help="created: oldest first (default); score: highest first; due: soonest deadline first",
    )
    parser.add_argument("--limit", type=_count, default=100, help="items per page (0: all)")
    parser.add_argument("--offset", type=_count, default=0, help="items to skip")
    parser.add_argument(
        "--csv", action="store_true", help="CSV on stdout, formula cells neutralised"
    )


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(text)


def _item(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("item_id", metavar="ID")


def _ack(parser: argparse.ArgumentParser) -> None:
    _item(parser)
    parser.add_argument("--as", dest="actor", required=True, metavar="EMAIL")


def _resolve(parser: argparse.ArgumentParser) -> None:
    _ack(parser)
    parser.add_argument("--status", required=True, choices=RESOLUTIONS)
    parser.add_argument("--note", required=True, metavar="TEXT")


def _reopen(parser: argparse.ArgumentParser) -> None:
    _ack(parser)
    parser.add_argument("--note", required=True, metavar="TEXT", help="told to the submitters")


def _assign(parser: argparse.ArgumentParser) -> None:
    _item(parser)
    parser.add_argument("--to", required=True, metavar="PERSON", help="a person id or email")


def _priority(parser: argparse.ArgumentParser) -> None:
    _item(parser)
    parser.add_argument("priority", choices=PRIORITIES, metavar="PRIORITY", help="P1 to P4")


def _comment(parser: argparse.ArgumentParser) -> None:
    _ack(parser)
    parser.add_argument("text", metavar="TEXT")


def _merge(parser: argparse.ArgumentParser) -> None:
    _item(parser)
    parser.add_argument("--into", required=True, metavar="ORIGINAL_ID")


def _rules_test(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", metavar="TEXT")
    _item_fields(parser)


COMMANDS = (
    Group("feedback", "Feedback intake, triage and views."),
    Group("feedback rules", "Routing rule tools."),
    Command(
        "feedback import",
        "Import and triage a CSV or JSON Lines file.",
        f"{HANDLERS}:import_file",
        _import,
    ),
    Command("feedback submit", "Submit one piece of feedback.", f"{HANDLERS}:submit", _submit),
    Command(
        "feedback list",
        "Show stored feedback as a table, a page at a time.",
        f"{HANDLERS}:list_items",
        _list,
        json=True,
    ),
    Command(
        "feedback history",
        "Show an item and every change to it: routing, actions, comments, emails.",
        f"{HANDLERS}:history",
        _item,
        json=True,
    ),
    Command("feedback ack", "Acknowledge an item (stops its SLA clock).", f"{ACTIONS}:ack", _ack),
    Command(
        "feedback resolve",
        "Resolve an item (or change its resolution) with a note for its submitters.",
        f"{ACTIONS}:resolve",
        _resolve,
    ),
    Command(
        "feedback reopen",
        "Reopen a resolved item (acknowledged again), with a note for its submitters.",
        f"{ACTIONS}:reopen",
        _reopen,
    ),
    Command("feedback assign", "Give an item to another person.", f"{ACTIONS}:assign", _assign),
    Command(
        "feedback priority",
        "Change an item's priority (an open item's SLA deadlines follow).",
        f"{ACTIONS}:priority",
        _priority,
    ),
    Command(
        "feedback comment",
        "Add a comment to an item's history (submitters are not told).",
        f"{ACTIONS}:comment",
        _comment,
    ),
    Command(
        "feedback merge", "Link an item to the original it duplicates.", f"{ACTIONS}:merge", _merge
    ),
    Command(
        "feedback unmerge",
        "Undo a duplicate link; the item gets its own routing back.",
        f"{ACTIONS}:unmerge",
        _item,
    ),
    Command(
        "feedback watch",
        "Start the SLA watcher on the Temporal server (or wake the running one).",
        f"{ACTIONS}:watch",
    ),
    Command(
        "feedback quarantine",
        "List the malformed rows that were quarantined, with the reason.",
        f"{HANDLERS}:quarantine",
        json=True,
    ),
    Command(
        "feedback rules test",
        "Show which rule matches a text, and why.",
        f"{HANDLERS}:rules_test",
        _rules_test,
    ),
)
