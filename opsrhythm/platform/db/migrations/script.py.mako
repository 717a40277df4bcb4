"""Revision ${up_revision}: ${message}."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "${up_revision}"
down_revision = "${down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Declare the DDL here (op.add_column, op.create_table...): never import a store's tables.
    # On SQLite, alter columns inside `with op.batch_alter_table(name) as batch:`.
    ...


def downgrade() -> None:
    raise NotImplementedError("OpsRhythm migrations go forward only: restore a backup instead")
