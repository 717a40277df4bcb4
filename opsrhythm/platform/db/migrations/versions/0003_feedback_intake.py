"""Revision 0003: feedback items keep the id the customer's own system gave them
(``external_id``, from an ``id`` column mapped in the feedback config's ``columns:``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("opsrhythm_feedback_items", sa.Column("external_id", sa.String(255)))


def downgrade() -> None:
    raise NotImplementedError("OpsRhythm migrations go forward only: restore a backup instead")
