"""The retro store: numbering, own items only, grouping by similarity, merge and split, ranked
themes and counts."""

from __future__ import annotations

import pytest

from opsrhythm.rituals.process_retro.models import RetroCounts
from opsrhythm.rituals.process_retro.store import RetroRefused, RetroStore
from tests.process_retro.retro_db import WORKFLOW_ID, key, retro_database_url, retro_store

__all__ = ["retro_database_url", "retro_store"]

ANA, BEN, CHLOE = "ana@acme.test", "ben@acme.test", "chloe@acme.test"
LIMITS = {"per_person": 5, "per_group": 3}


def fill(store: RetroStore) -> None:
    store.add_item(WORKFLOW_ID, key(ANA), "stop", "Release notes go out late every time")
    store.add_item(WORKFLOW_ID, key(BEN), "stop", "release notes late again")
    store.add_item(WORKFLOW_ID, key(BEN), "start", "Pair on the changelog")
    store.add_item(WORKFLOW_ID, key(CHLOE), "continue", "Demo day on Fridays", "Chloé")
    store.add_item(WORKFLOW_ID, key(ANA), "start", "Stop long release notes")


def test_items_are_numbered_per_retro_and_an_author_sees_only_their_own(
    retro_store: RetroStore,
) -> None:
    fill(retro_store)
    other = retro_store.add_item("process-retro-2026-W55", key(ANA), "stop", "Something else")
    assert (["I1", "I5"], ["I2", "I3"], "I1", 5) == (
        [i.item_id for i in retro_store.own_items(WORKFLOW_ID, key(ANA))],
        [i.item_id for i in retro_store.own_items(WORKFLOW_ID, key(BEN))],
        other.item_id,
        len(retro_store.all_items(WORKFLOW_ID)),
    )


def test_an_author_edits_and_deletes_their_own_items_and_nobody_else_s(
    retro_store: RetroStore,
) -> None:
    fill(retro_store)
    edited = retro_store.edit_item(WORKFLOW_ID, key(ANA), 1, "  Release notes   are late ")
    with pytest.raises(RetroRefused, match="I2 is not one of your items"):
        retro_store.edit_item(WORKFLOW_ID, key(ANA), 2, "hijacked")
    with pytest.raises(RetroRefused, match="I3 is not one of your items"):
        retro_store.delete_item(WORKFLOW_ID, key(ANA), 3)
    retro_store.delete_item(WORKFLOW_ID, key(ANA), 5)
    with pytest.raises(RetroRefused, match="1 to 1000 characters"):
        retro_store.edit_item(WORKFLOW_ID, key(ANA), 1, "   ")
    assert ("Release notes are late", ["release notes late again", "Pair on the changelog"]) == (
        edited.text,
        [i.text for i in retro_store.own_items(WORKFLOW_ID, key(BEN))],
    )
    assert [1] == [i.item_no for i in retro_store.own_items(WORKFLOW_ID, key(ANA))]


def test_grouping_puts_alike_items_of_one_prompt_together_and_keeps_earlier_groups(
    retro_store: RetroStore,
) -> None:
    """I1 and I2 read alike; I5 shares words with them but is a 'start', so it is apart."""
    fill(retro_store)
    counts = retro_store.group(WORKFLOW_ID)
    groups = {g.group_id: [i.item_id for i in g.items] for g in retro_store.groups(WORKFLOW_ID)}
    late = retro_store.add_item(WORKFLOW_ID, key(CHLOE), "stop", "Late release notes, again")
    retro_store.group(WORKFLOW_ID)
    again = {g.group_id: [i.item_id for i in g.items] for g in retro_store.groups(WORKFLOW_ID)}
    assert (
        {"G1": ["I1", "I2"], "G2": ["I3"], "G3": ["I4"], "G4": ["I5"]},
        RetroCounts(items=5, participants=3, groups=4),
        ["I1", "I2", late.item_id],
    ) == (groups, counts, again["G1"])


def test_merge_and_split_and_refusals(retro_store: RetroStore) -> None:
    fill(retro_store)
    retro_store.group(WORKFLOW_ID)
    merged = retro_store.merge(WORKFLOW_ID, [2, 4])
    split = retro_store.split(WORKFLOW_ID, 1, [2])
    with pytest.raises(RetroRefused, match="no group G9"):
        retro_store.merge(WORKFLOW_ID, [1, 9])
    with pytest.raises(RetroRefused, match="I4 not in G1"):
        retro_store.split(WORKFLOW_ID, 1, [4])
    with pytest.raises(RetroRefused, match="leave at least one item"):
        retro_store.split(WORKFLOW_ID, 1, [1])
    retro_store.replace_votes(WORKFLOW_ID, key(ANA), {1: 1}, **LIMITS)
    with pytest.raises(RetroRefused, match="votes have been cast"):
        retro_store.merge(WORKFLOW_ID, [1, 2])
    assert (["I3", "I5"], "G4", ["I2"]) == (
        [i.item_id for i in merged.items],
        split.group_id,
        [i.item_id for i in split.items],
    )


def test_ranked_groups_and_counts_follow_the_votes(retro_store: RetroStore) -> None:
    """A second ballot replaces the first; participants counts only the keys asked about."""
    fill(retro_store)
    retro_store.group(WORKFLOW_ID)
    retro_store.replace_votes(WORKFLOW_ID, key(ANA), {1: 3}, **LIMITS)
    retro_store.replace_votes(WORKFLOW_ID, key(ANA), {3: 2, 1: 1}, **LIMITS)
    retro_store.replace_votes(WORKFLOW_ID, key(BEN), {3: 1}, **LIMITS)
    ranked = retro_store.ranked_groups(WORKFLOW_ID)
    counts = retro_store.counts(WORKFLOW_ID, [key(ANA), key(BEN), key("dan@acme.test")])
    assert (
        [("G3", 3, "Demo day on Fridays"), ("G1", 1, "Release notes go out late every time")],
        {3: 2, 1: 1},
        RetroCounts(items=5, participants=2, groups=4, votes=4, voters=2),
        "Chloé",
    ) == (
        [(g.group_id, g.votes, g.title) for g in ranked[:2]],
        retro_store.own_votes(WORKFLOW_ID, key(ANA)),
        counts,
        ranked[0].items[0].signed_name,
    )


def test_an_empty_retro_counts_nothing(retro_store: RetroStore) -> None:
    assert (RetroCounts(), [], RetroCounts()) == (
        retro_store.counts(WORKFLOW_ID, [key(ANA)]),
        retro_store.ranked_groups(WORKFLOW_ID),
        retro_store.group(WORKFLOW_ID),
    )


def test_the_activities_return_counts_from_the_store(retro_store: RetroStore) -> None:
    """retro_counts keys the participants' emails with the worker's secret; grouping counts."""
    from activities.process_retro_store import ProcessRetroStoreActivities
    from opsrhythm.rituals.process_retro.models import GroupItemsInput, RetroCountsInput
    from tests.process_retro.retro_db import KEYS

    fill(retro_store)
    activities = ProcessRetroStoreActivities(open_store=lambda: retro_store, keys=lambda: KEYS)
    grouped = activities.group_retro_items(GroupItemsInput(workflow_id=WORKFLOW_ID))
    counted = activities.retro_counts(
        RetroCountsInput(workflow_id=WORKFLOW_ID, participants=["ANA@acme.test", "dan@acme.test"])
    )
    assert (4, RetroCounts(items=5, participants=1, groups=4)) == (grouped.groups, counted)
