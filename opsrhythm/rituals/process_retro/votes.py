"""A participant's dot votes, checked against the retro's limits before they are stored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from opsrhythm.rituals.process_retro.tables import RetroRefused, group_label


class VoteRefused(RetroRefused):
    """A ballot over a limit or on a group that does not exist; the message says which."""


def ballot(
    groups: Sequence[int], known: Collection[int], per_person: int, per_group: int
) -> dict[int, int]:
    """Group number -> dots, each repeat of a group one more dot; refused beyond the limits."""
    dots = dict(Counter(groups))
    check_ballot(dots, known, per_person, per_group)
    return dots


def check_ballot(
    dots: Mapping[int, int], known: Collection[int], per_person: int, per_group: int
) -> None:
    """``VoteRefused`` when group number -> dots is over a limit or names an unknown group."""
    unknown = sorted(set(dots) - set(known))
    if unknown:
        names = ", ".join(group_label(number) for number in unknown)
        raise VoteRefused(f"no group {names} in this retro")
    if sum(dots.values()) > per_person:
        raise VoteRefused(f"{sum(dots.values())} dots: each person has {per_person}")
    over = sorted(number for number, count in dots.items() if count > per_group)
    if over:
        raise VoteRefused(
            f"{', '.join(group_label(n) for n in over)}: at most {per_group} dot(s) on one group"
        )
