"""Revision 0002: the shared actions store (``opsrhythm.platform.actions.store``) and the
history of every change to an action."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `index=True` columns get create_all's ix_<table>_<column> index with the table.
    op.create_table(
        "opsrhythm_actions",
        sa.Column("id", sa.String(600), primary_key=True),
        sa.Column("origin", sa.String(512), nullable=False, index=True),
        sa.Column("ritual_id", sa.String(255), nullable=False, index=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("owner_email", sa.String(320), nullable=False, index=True),
        sa.Column("owner_name", sa.String(255), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="action"),
        sa.Column("carried_from", sa.String(600)),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "opsrhythm_action_history",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("action_id", sa.String(600), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("OpsRhythm migrations go forward only: restore a backup instead")
