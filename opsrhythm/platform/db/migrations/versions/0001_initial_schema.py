"""Revision 0001: the seven tables exactly as the stores' ``create_all`` made them before.

Databases from before migrations hold any subset of these tables, because each store created
its own on first use. So a table is created only where it is missing, and one that exists is
adopted with its rows once it has the columns below; a table by that name with other columns
stops the upgrade rather than be taken for ours.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[tuple[str, list[sa.Column[object]]]]:
    # Built afresh on each call: a Column belongs to the one table it is created with.
    return [
        (
            "opsrhythm_send_ledger",
            [
                sa.Column("workflow_id", sa.String(512), primary_key=True),
                sa.Column("audience_id", sa.String(255), primary_key=True),
                sa.Column("message_kind", sa.String(64), primary_key=True),
                sa.Column("email", sa.String(320), primary_key=True),
                sa.Column("status", sa.String(16), nullable=False),
                sa.Column("transport", sa.String(16), nullable=False),
                sa.Column("claim_id", sa.String(32), nullable=False),
                sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("detail", sa.Text(), nullable=False),
            ],
        ),
        (
            "opsrhythm_approval_links",
            [
                sa.Column("nonce", sa.String(64), primary_key=True),
                sa.Column("workflow_id", sa.String(512), nullable=False),
                sa.Column("approver", sa.String(320), nullable=False),
                sa.Column("action", sa.String(32), nullable=False),
                sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
            ],
        ),
        (
            "opsrhythm_feedback_items",
            [
                sa.Column("id", sa.String(32), primary_key=True),
                sa.Column("text", sa.Text(), nullable=False),
                sa.Column("submitter", sa.String(320), nullable=False),
                sa.Column("source", sa.String(16), nullable=False),
                sa.Column("customer", sa.String(255)),
                sa.Column("segment", sa.String(64)),
                sa.Column("arr", sa.Float()),
                sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("tags", sa.Text(), nullable=False),
                sa.Column("status", sa.String(16), nullable=False),
                sa.Column("area", sa.String(64), nullable=False),
                sa.Column("owner_team", sa.String(64), nullable=False),
                sa.Column("assignee", sa.String(64), nullable=False),
                sa.Column("priority", sa.String(4), nullable=False),
                sa.Column("score", sa.Float(), nullable=False),
                sa.Column("rule", sa.String(64)),
                sa.Column("duplicate_of", sa.String(32)),
                sa.Column("due_at", sa.DateTime(timezone=True)),
                sa.Column("warn_at", sa.DateTime(timezone=True)),
                sa.Column("warned_at", sa.DateTime(timezone=True)),
                sa.Column("escalated_at", sa.DateTime(timezone=True)),
            ],
        ),
        (
            "opsrhythm_feedback_submitters",
            [
                sa.Column("item_id", sa.String(32), primary_key=True),
                sa.Column("email", sa.String(320), primary_key=True),
            ],
        ),
        (
            "opsrhythm_feedback_history",
            [
                sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
                sa.Column("item_id", sa.String(32), nullable=False, index=True),
                sa.Column("at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("actor", sa.String(320), nullable=False),
                sa.Column("event", sa.String(32), nullable=False),
                sa.Column("detail", sa.Text(), nullable=False),
            ],
        ),
        (
            "opsrhythm_feedback_replies",
            [
                sa.Column("item_id", sa.String(32), primary_key=True),
                sa.Column("email", sa.String(320), primary_key=True),
                sa.Column("status", sa.String(16), nullable=False),
                sa.Column("note", sa.Text(), nullable=False),
                sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("sent_at", sa.DateTime(timezone=True)),
            ],
        ),
        (
            "opsrhythm_feedback_quarantine",
            [
                sa.Column("hash", sa.String(64), primary_key=True),
                sa.Column("origin", sa.String(1024), nullable=False),
                sa.Column("line", sa.Integer(), nullable=False),
                sa.Column("raw", sa.Text(), nullable=False),
                sa.Column("reason", sa.Text(), nullable=False),
                sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            ],
        ),
    ]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, columns in _tables():
        if name not in existing:
            # `index=True` columns get create_all's ix_<table>_<column> index with the table.
            op.create_table(name, *columns)
            continue
        found = {column["name"] for column in inspector.get_columns(name)}
        wanted = {column.name for column in columns}
        if found != wanted:
            raise CommandError(
                f"table {name} exists with other columns than OpsRhythm's "
                f"(missing: {', '.join(sorted(wanted - found)) or 'none'}; "
                f"extra: {', '.join(sorted(found - wanted)) or 'none'}); "
                "rename or drop it, then upgrade again"
            )


def downgrade() -> None:
    raise NotImplementedError("OpsRhythm migrations go forward only: restore a backup instead")
