"""The retro store keeps the vote limits itself, inside the ballot's transaction: an over-limit
or stale ballot is undone, two ballots of one voter at once cannot add up past the limit, and a
merge cannot run beside a ballot and leave its dots on a group it removed (PostgreSQL, where
writers do not wait for each other unless told). Items stored after grouping still rank."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from opsrhythm.rituals.process_retro.store import RetroRefused, RetroStore
from opsrhythm.rituals.process_retro.votes import VoteRefused
from tests.databases import postgres_schema
from tests.process_retro.retro_db import WORKFLOW_ID, key, retro_database_url, retro_store

__all__ = ["retro_database_url", "retro_store"]

ANA, BEN = "ana@acme.test", "ben@acme.test"
LIMITS = {"per_person": 5, "per_group": 3}


def three_groups(store: RetroStore) -> None:
    store.add_item(WORKFLOW_ID, key(ANA), "stop", "Release notes go out late every time")
    store.add_item(WORKFLOW_ID, key(BEN), "start", "Pair on the changelog")
    store.add_item(WORKFLOW_ID, key(BEN), "continue", "Demo day on Fridays")
    store.group(WORKFLOW_ID)


@pytest.mark.parametrize(
    ("dots", "refusal"),
    [({1: 3, 2: 3}, "6 dots: each person has 5"), ({2: 4}, "G2: at most 3"), ({7: 1}, "no G7")],
    ids=["per person", "per group", "unknown group"],
)
def test_a_ballot_over_a_limit_is_undone_and_the_earlier_one_stays(
    retro_store: RetroStore, dots: dict[int, int], refusal: str
) -> None:
    three_groups(retro_store)
    retro_store.replace_votes(WORKFLOW_ID, key(ANA), {3: 2}, **LIMITS)
    with pytest.raises(VoteRefused, match=refusal.replace("no G7", "no group G7")):
        retro_store.replace_votes(WORKFLOW_ID, key(ANA), dots, **LIMITS)
    assert {3: 2} == retro_store.own_votes(WORKFLOW_ID, key(ANA))


def test_items_stored_after_grouping_are_ranked_where_grouping_would_place_them(
    retro_store: RetroStore,
) -> None:
    three_groups(retro_store)
    retro_store.add_item(WORKFLOW_ID, key(BEN), "stop", "release notes late again")
    retro_store.add_item(WORKFLOW_ID, key(ANA), "stop", "Too many meetings")
    ranked = retro_store.ranked_groups(WORKFLOW_ID)
    assert (
        {"G1": ["I1", "I4"], "G2": ["I2"], "G3": ["I3"], "G4": ["I5"]},
        3,  # the votable themes are the stored ones: nothing was written
    ) == (
        {g.group_id: [i.item_id for i in g.items] for g in ranked},
        len(retro_store.groups(WORKFLOW_ID)),
    )


@contextmanager
def paused_after_voting(store: RetroStore) -> Iterator[tuple[threading.Event, threading.Event]]:
    """The ``voter`` thread's ballot stops after writing its rows (before its check and commit)
    until ``resume`` is set, or two seconds pass: long enough for a racing writer to finish."""
    written, resume = threading.Event(), threading.Event()

    def pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.current_thread().name == "voter" and statement.startswith("INSERT"):
            written.set()
            resume.wait(2)

    sa.event.listen(store.engine, "after_cursor_execute", pause)
    try:
        yield written, resume
    finally:
        sa.event.remove(store.engine, "after_cursor_execute", pause)


def race(store: RetroStore, first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """``first`` in the voter thread, paused after writing; ``second`` meanwhile. Each one's
    outcome: None or the exception it raised."""
    outcomes: list[Any] = [None, None]

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            call()
        except Exception as error:  # the outcome is asserted
            outcomes[index] = error

    with paused_after_voting(store) as (written, resume):
        voter = threading.Thread(target=run, args=(0, first), name="voter")
        voter.start()
        assert written.wait(10)
        run(1, second)
        resume.set()
        voter.join(10)
    return outcomes


@pytest.fixture
def postgres_store() -> Iterator[RetroStore]:
    with postgres_schema() as url:
        store = RetroStore.from_url(url)
        yield store
        store.close()


@pytest.mark.postgres
def test_two_ballots_of_one_voter_at_once_never_pass_the_limit_together(
    postgres_store: RetroStore,
) -> None:
    three_groups(postgres_store)
    ballot = postgres_store.replace_votes
    outcomes = race(
        postgres_store,
        lambda: ballot(WORKFLOW_ID, key(ANA), {1: 3}, **LIMITS),
        lambda: ballot(WORKFLOW_ID, key(ANA), {2: 3}, **LIMITS),
    )
    assert ([None, None], {2: 3}) == (outcomes, postgres_store.own_votes(WORKFLOW_ID, key(ANA)))


@pytest.mark.postgres
def test_a_merge_racing_a_ballot_waits_for_it_and_is_refused(postgres_store: RetroStore) -> None:
    three_groups(postgres_store)
    outcomes = race(
        postgres_store,
        lambda: postgres_store.replace_votes(WORKFLOW_ID, key(BEN), {2: 2}, **LIMITS),
        lambda: postgres_store.merge(WORKFLOW_ID, [1, 2]),
    )
    assert isinstance(outcomes[1], RetroRefused) and "votes have been cast" in str(outcomes[1])
    assert (None, [(1, 0), (2, 2), (3, 0)]) == (
        outcomes[0],
        [(g.group_no, g.votes) for g in postgres_store.groups(WORKFLOW_ID)],
    )
