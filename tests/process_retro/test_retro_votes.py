"""A ballot against the retro's limits: dots per person, dots per group, known groups only."""

from __future__ import annotations

import pytest

from opsrhythm.rituals.process_retro.votes import VoteRefused, ballot

KNOWN = [1, 2, 3]


def test_repeats_are_dots_within_the_limits() -> None:
    assert {1: 3, 2: 2} == ballot([1, 2, 1, 2, 1], KNOWN, per_person=5, per_group=3)


@pytest.mark.parametrize(
    ("groups", "refusal"),
    [
        ([1, 2, 3, 1, 2, 3], "6 dots: each person has 5"),
        ([2, 2, 2, 2], "G2: at most 3 dot(s) on one group"),
        ([1, 7, 9], "no group G7, G9 in this retro"),
    ],
    ids=["per person", "per group", "unknown"],
)
def test_over_a_limit_is_refused_whole(groups: list[int], refusal: str) -> None:
    with pytest.raises(VoteRefused) as refused:
        ballot(groups, KNOWN, per_person=5, per_group=3)
    assert refusal == str(refused.value)
