"""Revision 0005: the process retrospective's items and dot votes
(``opsrhythm.rituals.process_retro.store``), keyed by pseudonymous author keys, never emails."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opsrhythm_retro_items",
        sa.Column("workflow_id", sa.String(512), primary_key=True),
        sa.Column("item_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("prompt_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_key", sa.String(64), nullable=False, index=True),
        sa.Column("signed_name", sa.String(255)),
        sa.Column("group_no", sa.Integer()),
    )
    op.create_table(
        "opsrhythm_retro_votes",
        sa.Column("workflow_id", sa.String(512), primary_key=True),
        sa.Column("voter_key", sa.String(64), primary_key=True),
        sa.Column("group_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("dots", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("OpsRhythm migrations go forward only: restore a backup instead")
