"""What ``opsrhythm db upgrade`` does: one line on stdout, or one on stderr from the runner."""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.db import migrate
from opsrhythm.platform.ledger_keys import default_database_url


def upgrade(args: argparse.Namespace, context: CliContext) -> int:
    print(migrate.upgrade(args.database_url or default_database_url()))
    return 0
