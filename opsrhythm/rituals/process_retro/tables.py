"""The retro store's tables, as revision 0005 makes them, and rows read back.

No column holds an email, and no item or vote has a timestamp: when something was written
would let whoever saw people at their keyboards tell who wrote it. Items are numbered per retro
in the order they came, which is all the pages need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

TEXT_LIMIT = 1000
ITEMS = "opsrhythm_retro_items"
VOTES = "opsrhythm_retro_votes"


class RetroRefused(ValueError):
    """A change the store does not allow (not your item, regrouping after votes...)."""


def declare_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """(items, votes) on ``metadata``."""
    items = sa.Table(
        ITEMS,
        metadata,
        sa.Column("workflow_id", sa.String(512), primary_key=True),
        sa.Column("item_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("prompt_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_key", sa.String(64), nullable=False, index=True),
        sa.Column("signed_name", sa.String(255)),
        sa.Column("group_no", sa.Integer()),
    )
    votes = sa.Table(
        VOTES,
        metadata,
        sa.Column("workflow_id", sa.String(512), primary_key=True),
        sa.Column("voter_key", sa.String(64), primary_key=True),
        sa.Column("group_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("dots", sa.Integer(), nullable=False),
    )
    return items, votes


@dataclass(frozen=True)
class RetroItem:
    """An item as its author, the grouping and the summary see it: never its author key."""

    item_no: int
    prompt_id: str
    text: str
    signed_name: str | None
    group_no: int | None

    @property
    def item_id(self) -> str:
        return item_label(self.item_no)

    @property
    def group_id(self) -> str | None:
        return None if self.group_no is None else group_label(self.group_no)


@dataclass(frozen=True)
class RankedGroup:
    """A theme: its items and its dots, for the voting form and the summary."""

    group_no: int
    votes: int
    items: tuple[RetroItem, ...]

    @property
    def group_id(self) -> str:
        return group_label(self.group_no)

    @property
    def title(self) -> str:
        """The theme's name: its first item's text."""
        return self.items[0].text if self.items else ""


def retro_item(row: sa.Row[Any]) -> RetroItem:
    return RetroItem(row.item_no, row.prompt_id, row.text, row.signed_name, row.group_no)


def item_label(number: int) -> str:
    return f"I{number}"


def group_label(number: int) -> str:
    return f"G{number}"


def parse_label(prefix: str, text: str) -> int:
    """'G3', 'g3' or '3' for prefix 'G': 3; ValueError otherwise."""
    digits = text.strip().upper().removeprefix(prefix)
    if not digits.isdigit() or int(digits) < 1:
        raise ValueError(f"{text!r} is not {prefix}<number>")
    return int(digits)


def item_text(text: str) -> str:
    """An item's text on one line; refused when empty or too long."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > TEXT_LIMIT:
        raise RetroRefused(f"an item is 1 to {TEXT_LIMIT} characters")
    return cleaned
