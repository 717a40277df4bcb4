"""``python -m opsrhythm.platform.db revision MESSAGE``: a new revision after the head, to fill in.

A developer tool, run from a checkout: see ``opsrhythm.platform.db`` for what goes in it.
"""

from __future__ import annotations

import sys

from opsrhythm.platform.db.schema import MIGRATIONS, alembic_config, head_revision


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "revision" or not argv[1].strip():
        print('usage: python -m opsrhythm.platform.db revision "what it changes"', file=sys.stderr)
        return 2
    from alembic import command

    config = alembic_config(MIGRATIONS)
    # Numbered ids keep versions/ in order; doubled % because the config interpolates.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # Alembic prints the new file's path.
    command.revision(config, message=argv[1], rev_id=f"{int(head_revision()) + 1:04d}")
    print("Now write its upgrade(): test_head_matches_the_stores prints the ops it is missing.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
