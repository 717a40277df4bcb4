"""``opsrhythm run|status|worker``: the commands every ritual kind shares, declared.

The handlers are in ``run_handlers`` and ``status_handlers``, imported only when one of these
commands runs.
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command

HANDLERS = "opsrhythm.platform.run_handlers"


def _run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ritual", help="ritual id from the config, e.g. monthly-kpi-report")
    parser.add_argument("--period", help="e.g. 2026-10 (default: the last complete period)")
    parser.add_argument("--wait", action="store_true", help="wait for the result and print it")
    parser.add_argument(
        "--again",
        action="store_true",
        help="produce the period again after its run closed without delivering (a rejected "
        "draft, a failed run); whoever it reached is not emailed twice",
    )


def _worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rituals",
        metavar="KIND,KIND",
        help="register only these ritual kinds, by their tags, comma-separated (default: all)",
    )


def _status(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "workflow_id",
        nargs="?",
        metavar="WORKFLOW_ID",
        help="one run: its step and approval (default: every running ritual)",
    )
    # Accepted and ignored: scripts pass --config to every command; status only asks the server.
    parser.add_argument("--config", help=argparse.SUPPRESS)


COMMANDS = (
    Command(
        "worker",
        "Run the worker against the configured Temporal server.",
        f"{HANDLERS}:worker",
        _worker,
    ),
    Command("run", "Start a ritual run.", f"{HANDLERS}:run", _run),
    Command(
        "status",
        "Every running ritual and its current step, or one run's step and approval.",
        "opsrhythm.platform.status_handlers:status",
        _status,
        config=False,
        json=True,
    ),
)
