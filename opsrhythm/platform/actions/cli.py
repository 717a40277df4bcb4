"""``opsrhythm actions list|add|done|drop|carry|follow-up``, declared; handlers in ``handlers``.

``list`` only reads the store and never imports temporalio. The others write the store first,
then start (or signal) the origin's follow-up workflow, which reminds owners before due dates:
an action is recorded even with Temporal down (the command then exits 3, naming the
``follow-up`` command that schedules its reminders later).
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command, Group

HANDLERS = "opsrhythm.platform.actions.handlers"
DATABASE_HELP = "the actions' database (default: $OPSRHYTHM_DATABASE_URL, else ./.opsrhythm)"
STATES = ("open", "done", "dropped", "carried")


def _database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", metavar="URL", help=DATABASE_HELP)


def _list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--owner", metavar="EMAIL", help="only this owner's actions")
    parser.add_argument("--ritual", metavar="ID", help="only this ritual's actions")
    parser.add_argument("--state", choices=STATES, help="only actions in this state")
    parser.add_argument(
        "--overdue",
        action="store_true",
        help="only open actions (not decisions) due before today (UTC)",
    )
    _database(parser)


def _add(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--origin",
        metavar="WORKFLOW_ID",
        required=True,
        help="the workflow id of the run that decided it: <ritual>-<period>",
    )
    parser.add_argument(
        "--owner", metavar="PERSON", required=True, help="a person's id or email from the config"
    )
    parser.add_argument(
        "--due", metavar="YYYY-MM-DD", help="its due date (required, except for a --decision)"
    )
    parser.add_argument(
        "--decision",
        action="store_true",
        help="record a decision taken, not work to do: no due date, never reminded or overdue",
    )
    parser.add_argument("--title", metavar="TEXT", required=True, help="what is to be done")
    parser.add_argument(
        "--ritual", metavar="ID", help="its ritual, when --origin is not <ritual>-<period>"
    )
    parser.add_argument(
        "--period", metavar="P", help="its period, when --origin is not <ritual>-<period>"
    )
    _database(parser)


def _done(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action_id", metavar="ID", help="the action (see: opsrhythm actions list)")
    parser.add_argument("--note", metavar="TEXT", default="", help="what came of it")
    _database(parser)


def _drop(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action_id", metavar="ID", help="the action (see: opsrhythm actions list)")
    parser.add_argument("--reason", metavar="TEXT", required=True, help="why it is dropped")
    _database(parser)


def _carry(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action_id", metavar="ID", nargs="?", help="one action, carried to the new --due date"
    )
    parser.add_argument("--due", metavar="YYYY-MM-DD", help="with ID: its new due date")
    parser.add_argument("--ritual", metavar="ID", help="without ID: the ritual")
    parser.add_argument(
        "--from", dest="from_period", metavar="PERIOD", help="without ID: e.g. 2026-Q3"
    )
    parser.add_argument("--to", dest="to_period", metavar="PERIOD", help="without ID: e.g. 2026-Q4")
    _database(parser)


def _follow_up(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("origin", metavar="WORKFLOW_ID", help="the origin whose actions to follow")


COMMANDS = (
    Group("actions", "Actions rituals record: owners, due dates, reminders, carrying over."),
    Command(
        "actions list",
        "List actions (every one, or those the filters select).",
        f"{HANDLERS}:list_actions",
        _list,
        config=False,
        json=True,
    ),
    Command(
        "actions add",
        "Record an action of a run, owned by a person in the config; reminders follow.",
        f"{HANDLERS}:add",
        _add,
        json=True,
    ),
    Command(
        "actions done",
        "Mark an open action done.",
        f"{HANDLERS}:done",
        _done,
        config=False,
    ),
    Command(
        "actions drop",
        "Drop an open action, saying why.",
        f"{HANDLERS}:drop",
        _drop,
        config=False,
    ),
    Command(
        "actions carry",
        "Carry one open action to a new due date (ID --due), or a ritual's open actions of one "
        "period into the next (--ritual --from --to); the old ones: 'carried'.",
        f"{HANDLERS}:carry",
        _carry,
        config=False,
        json=True,
    ),
    Command(
        "actions follow-up",
        "Start (or wake) the reminders of an origin's actions, e.g. after Temporal was down.",
        f"{HANDLERS}:follow_up",
        _follow_up,
        config=False,
    ),
)
