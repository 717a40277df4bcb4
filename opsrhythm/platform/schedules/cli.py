"""``opsrhythm schedule sync|list|describe|pause|unpause|trigger|backfill``, declared.

The handlers are in ``schedules.handlers``; each checks its arguments against the config before
it connects, so a mistake needs no server to be reported.
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command, Group

HANDLERS = "opsrhythm.platform.schedules.handlers"


def _ritual(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ritual", help="ritual id from the config")


def _sync(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument(
        "--prune", action="store_true", help="delete OpsRhythm schedules not in the config"
    )


def _pause(parser: argparse.ArgumentParser) -> None:
    _ritual(parser)
    parser.add_argument("--note", required=True, help="why (shown in list and describe)")


def _trigger(parser: argparse.ArgumentParser) -> None:
    _ritual(parser)
    parser.add_argument("--wait", action="store_true", help="wait for the run and print it")


def _backfill(parser: argparse.ArgumentParser) -> None:
    _ritual(parser)
    parser.add_argument("--from", dest="first", required=True, help="first period, e.g. 2026-07")
    parser.add_argument("--to", dest="last", required=True, help="last period, e.g. 2026-09")
    parser.add_argument(
        "--no-wait", action="store_true", help="request the runs without following them"
    )


COMMANDS = (
    Group("schedule", "Manage the rituals' Temporal Schedules."),
    Command(
        "schedule sync",
        "Make the server's schedules match the config.",
        f"{HANDLERS}:sync",
        _sync,
    ),
    Command(
        "schedule list",
        "Next runs, last run and state of every ritual's schedule.",
        f"{HANDLERS}:list_schedules",
        json=True,
    ),
    Command(
        "schedule describe",
        "Everything about one ritual's schedule.",
        f"{HANDLERS}:describe",
        _ritual,
        json=True,
    ),
    Command("schedule pause", "Pause a ritual's schedule.", f"{HANDLERS}:pause", _pause),
    Command("schedule unpause", "Resume a paused schedule.", f"{HANDLERS}:unpause", _ritual),
    Command(
        "schedule trigger",
        "Run a ritual's schedule now (for the last complete period).",
        f"{HANDLERS}:trigger",
        _trigger,
    ),
    Command(
        "schedule backfill",
        "Run the scheduled runs of past periods, oldest first.",
        f"{HANDLERS}:backfill",
        _backfill,
    ),
)
