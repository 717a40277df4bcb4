"""Grouping a retro's items into themes by how alike they read.

Reuses the feedback intake's word-set similarity (``feedback.dedupe``): each new item joins the
group of the most alike earlier item of the same prompt, or starts a group of its own. Items
already grouped keep their group, so running it again after the facilitator merged or split
only places the items added since. Items of different prompts never share a group: 'stop long
stand-ups' and 'continue short stand-ups' read alike but mean opposite things.
"""

from __future__ import annotations

from collections.abc import Sequence

from opsrhythm.rituals.feedback.config import Dedupe
from opsrhythm.rituals.feedback.dedupe import DuplicateIndex
from opsrhythm.rituals.process_retro.tables import RetroItem

SIMILARITY = 0.3
"""Retro items are a line each: three words shared of eight are already one theme."""


def assign_groups(items: Sequence[RetroItem], similarity: float = SIMILARITY) -> dict[int, int]:
    """Item number -> group number for every item not yet grouped (in ``items``' order)."""
    rules = Dedupe(same_customer=similarity, any_customer=similarity)
    indexes: dict[str, DuplicateIndex] = {}
    group_of = {item.item_no: item.group_no for item in items if item.group_no is not None}
    next_group = max(group_of.values(), default=0) + 1
    placed: dict[int, int] = {}
    for item in sorted(items, key=lambda i: (i.group_no is None, i.item_no)):
        index = indexes.setdefault(item.prompt_id, DuplicateIndex(rules))
        if item.group_no is None:
            original = index.original_of(item.text, None)
            if original is None:
                group_of[item.item_no], next_group = next_group, next_group + 1
            else:
                group_of[item.item_no] = group_of[int(original)]
            placed[item.item_no] = group_of[item.item_no]
        index.add(str(item.item_no), item.text, None)
    return placed
