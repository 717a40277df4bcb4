"""``opsrhythm db upgrade``, declared; the handler is in ``db.handlers``, imported when it runs."""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command, Group


def _upgrade(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="the database to upgrade (default: $OPSRHYTHM_DATABASE_URL, else ./.opsrhythm)",
    )


COMMANDS = (
    Group("db", "The database's schema."),
    Command(
        "db upgrade",
        "Bring the database's tables to this version of OpsRhythm (safe to run again).",
        "opsrhythm.platform.db.handlers:upgrade",
        _upgrade,
        config=False,
    ),
)
