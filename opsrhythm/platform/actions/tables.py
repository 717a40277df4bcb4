"""The actions store's tables, as revision 0002 makes them, and a row read back as an
``ActionItem``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from opsrhythm.platform.actions.models import ActionItem


def declare_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """(actions, history) on ``metadata``."""
    actions = sa.Table(
        "opsrhythm_actions",
        metadata,
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
    history = sa.Table(
        "opsrhythm_action_history",
        metadata,
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("action_id", sa.String(600), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    return actions, history


def action_item(row: sa.Row[Any]) -> ActionItem:
    return ActionItem(
        action_id=row.id,
        origin=row.origin,
        ritual_id=row.ritual_id,
        period=row.period,
        title=row.title,
        owner_email=row.owner_email,
        owner_name=row.owner_name,
        due=row.due,
        state=row.state,
        kind=row.kind,
        carried_from=row.carried_from,
        note=row.note,
        updated_at=aware(row.updated_at),
    )


def aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every value here was written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
