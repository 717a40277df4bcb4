"""Grouping by word-set similarity: alike items of one prompt share a theme, other prompts never
do, and items already placed (by an earlier run or the facilitator) stay where they are."""

from __future__ import annotations

from opsrhythm.rituals.process_retro.grouping import assign_groups
from opsrhythm.rituals.process_retro.tables import RetroItem


def item(number: int, prompt: str, text: str, group: int | None = None) -> RetroItem:
    return RetroItem(number, prompt, text, None, group)


def test_alike_items_of_one_prompt_share_a_group() -> None:
    items = [
        item(1, "stop", "Release notes go out late"),
        item(2, "start", "Release notes go out early"),
        item(3, "stop", "release notes late again"),
        item(4, "stop", "Too many meetings"),
    ]
    assert {1: 1, 2: 2, 3: 1, 4: 3} == assign_groups(items)


def test_placed_items_stay_and_new_ones_join_or_start_after_them() -> None:
    """The facilitator split I2 off to G5; a new alike item joins the most alike one's group."""
    items = [
        item(1, "stop", "Release notes go out late", 1),
        item(2, "stop", "Nobody reads the changelog", 5),
        item(3, "stop", "the changelog nobody reads"),
        item(4, "continue", "Demo day"),
    ]
    assert {3: 5, 4: 6} == assign_groups(items)


def test_nothing_to_place() -> None:
    assert {} == assign_groups([]) == assign_groups([item(1, "stop", "x", 1)])
