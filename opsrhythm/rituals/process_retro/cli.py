"""``opsrhythm retro add|mine|edit|delete|groups|group|vote|action|advance``, declared (handlers
in ``handlers`` and ``facilitator``).

Items and votes are written to the retro store by the command itself, keyed by the author's
key, never sent to the workflow: its history would keep who wrote what. The workflow is only
asked which stage is open (a query, which history does not keep).
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command, Group

HANDLERS = "opsrhythm.rituals.process_retro.handlers"
FACILITATOR = "opsrhythm.rituals.process_retro.facilitator"
AS_HELP = (
    "your email, as configured; may be omitted when the config's approvals.cli_users maps "
    "your OS user to you, and must then be that person"
)
RETRO_HELP = "the retro's workflow id, e.g. process-retro-2026-W49"
MAPPED = " Only for an OS user approvals.cli_users maps to you; otherwise use your invite's link."


def _retro(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workflow_id", metavar="WORKFLOW_ID", help=RETRO_HELP)
    parser.add_argument("--as", dest="as_email", metavar="EMAIL", help=AS_HELP)


def _add(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--retro", dest="workflow_id", metavar="WORKFLOW_ID", required=True)
    parser.add_argument("--as", dest="as_email", metavar="EMAIL", help=AS_HELP)
    parser.add_argument("--prompt", required=True, metavar="ID", help="e.g. start, stop, continue")
    parser.add_argument("text", metavar="TEXT", help="the item, one line")
    parser.add_argument(
        "--sign", action="store_true", help="show your name with it (anonymous by default)"
    )


def _edit(parser: argparse.ArgumentParser) -> None:
    _retro(parser)
    parser.add_argument("item", metavar="ITEM", help="one of your items, e.g. I3")
    parser.add_argument("text", metavar="TEXT", help="its new text")


def _delete(parser: argparse.ArgumentParser) -> None:
    _retro(parser)
    parser.add_argument("item", metavar="ITEM", help="one of your items, e.g. I3")


def _groups(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workflow_id", metavar="WORKFLOW_ID", help=RETRO_HELP)


def _group(parser: argparse.ArgumentParser) -> None:
    _retro(parser)
    change = parser.add_mutually_exclusive_group(required=True)
    change.add_argument("--merge", nargs="+", metavar="GROUP", help="G1 G2...: all into G1")
    change.add_argument(
        "--split", nargs="+", metavar="ARG", help="G ITEM...: these items leave G for a new group"
    )


def _vote(parser: argparse.ArgumentParser) -> None:
    _retro(parser)
    parser.add_argument(
        "groups", nargs="+", metavar="GROUP", help="a dot each; repeat a group for more dots"
    )


def _action(parser: argparse.ArgumentParser) -> None:
    _retro(parser)
    parser.add_argument("--group", required=True, metavar="G", help="the theme it answers")
    parser.add_argument("--owner", required=True, metavar="PERSON", help="a person id or email")
    parser.add_argument("--due", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--title", required=True, metavar="TEXT", help="what is to be done")


COMMANDS = (
    Group("retro", "The process retrospective: items, themes, dot votes and actions."),
    Command(
        "retro add",
        "Add an item while collection is open (anonymous unless --sign).",
        f"{HANDLERS}:add",
        _add,
    ),
    Command("retro mine", f"Your items and votes in a retro.{MAPPED}", f"{HANDLERS}:mine", _retro),
    Command(
        "retro edit",
        f"Change one of your items while collection is open.{MAPPED}",
        f"{HANDLERS}:edit",
        _edit,
    ),
    Command(
        "retro delete",
        f"Delete one of your items while collection is open.{MAPPED}",
        f"{HANDLERS}:delete",
        _delete,
    ),
    Command("retro groups", "A retro's themes and their items.", f"{HANDLERS}:groups", _groups),
    Command(
        "retro vote",
        "Put your dots on themes while voting is open (replaces your earlier votes).",
        f"{HANDLERS}:vote",
        _vote,
    ),
    Command(
        "retro group",
        "As the facilitator: merge themes, or split items off one.",
        f"{FACILITATOR}:group",
        _group,
    ),
    Command(
        "retro action",
        "As the facilitator: record an action for a theme (the shared actions store).",
        f"{FACILITATOR}:action",
        _action,
    ),
    Command(
        "retro advance",
        "As the facilitator: close the current stage's window now.",
        f"{FACILITATOR}:advance",
        _retro,
    ),
)
