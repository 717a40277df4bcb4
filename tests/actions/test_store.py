"""The actions store on SQLite and PostgreSQL: numbering, filters, closing, an owner's updates,
carrying to the next period, and the history that keeps every change."""

from __future__ import annotations

from datetime import date

from opsrhythm.platform.actions.models import ActionUpdate
from opsrhythm.platform.actions.store import ActionStore

ORIGIN = "quarterly-strategy-review-2026-Q3"
NEXT = "quarterly-strategy-review-2026-Q4"


def add(store: ActionStore, owner: str, title: str, due: date = date(2026, 10, 15)) -> str:
    return store.add(
        origin=ORIGIN,
        ritual_id="quarterly-strategy-review",
        period="2026-Q3",
        title=title,
        owner_email=owner,
        owner_name=owner.split("@")[0],
        due=due,
        actor="ana@cli",
    ).action_id


def test_actions_are_numbered_per_origin_and_found_by_filters(store: ActionStore) -> None:
    """Ids are the origin and a number; owner filters ignore case; due_before takes earlier ones."""
    first = add(store, "Emma@Acme.test", "Fix churn", date(2026, 10, 1))
    second = add(store, "grace@acme.test", "Price test", date(2026, 11, 1))
    assert (
        [f"{ORIGIN}-1", f"{ORIGIN}-2"],
        [first],
        [first],
        [first, second],
        "emma@acme.test",
    ) == (
        [first, second],
        [a.action_id for a in store.find(owner_emails=["EMMA@acme.test"])],
        [a.action_id for a in store.find(due_before=date(2026, 10, 2), states=["open"])],
        [a.action_id for a in store.find(ritual_id="quarterly-strategy-review", period="2026-Q3")],
        store.get(first).owner_email,
    )


def test_closing_keeps_the_note_and_refuses_a_second_time(store: ActionStore) -> None:
    """Done with a note, then done again: refused, and the history holds both events in order."""
    action_id = add(store, "emma@acme.test", "Fix churn")
    done = store.close_action(action_id, "done", actor="emma@cli", note="shipped in 4.2")
    try:
        store.close_action(action_id, "dropped", actor="ana@cli", note="late")
        refused = ""
    except ValueError as error:
        refused = str(error)
    events = [(e.actor, e.event, e.detail) for e in store.events(action_id)]
    assert ("done", "shipped in 4.2", "already done") == (done.state, done.note, refused)
    assert [
        ("ana@cli", "added", "due 2026-10-15: Fix churn"),
        ("emma@cli", "done", "shipped in 4.2"),
    ] == events


def test_owner_updates_change_only_their_own_actions(store: ActionStore) -> None:
    """Someone else's action and an unknown id are refused; the owner's own still apply."""
    mine, theirs = add(store, "emma@acme.test", "Fix churn"), add(store, "grace@acme.test", "X")
    noted = add(store, "emma@acme.test", "Keep going")
    applied, refused = store.apply_updates(
        "EMMA@acme.test",
        [
            ActionUpdate(action_id=theirs, state="done"),
            ActionUpdate(action_id="nope-1", state="done"),
            ActionUpdate(action_id=mine, state="done", note="done"),
            ActionUpdate(action_id=noted, note="half way"),
        ],
    )
    assert (
        [mine, noted],
        [f"{theirs}: owned by someone else", "nope-1: no such action"],
        ("open", "open", "half way"),
        "done",
    ) == (
        applied,
        refused,
        (store.get(theirs).state, store.get(noted).state, store.get(noted).note),
        store.get(mine).state,
    )


def test_carry_moves_open_actions_to_the_next_period(store: ActionStore) -> None:
    """Open ones become new open actions of the next period; closed ones stay where they are."""
    carried, closed = add(store, "emma@acme.test", "Fix churn"), add(store, "grace@acme.test", "X")
    store.apply_updates("emma@acme.test", [ActionUpdate(action_id=carried, note="blocked")])
    store.close_action(closed, "done", actor="grace@cli")
    pairs = store.carry("quarterly-strategy-review", "2026-Q3", "2026-Q4", actor="ana@cli")
    ((old, new),) = pairs
    again = store.carry("quarterly-strategy-review", "2026-Q3", "2026-Q4", actor="ana@cli")
    assert (
        (carried, "carried", "blocked"),
        (f"{NEXT}-1", NEXT, "2026-Q4", "open", carried, "blocked", "Fix churn"),
        [],
        ["added", "noted", "carried"],
        "done",
    ) == (
        (old.action_id, old.state, old.note),
        (new.action_id, new.origin, new.period, new.state, new.carried_from, new.note, new.title),
        again,
        [e.event for e in store.events(carried)],
        store.get(closed).state,
    )
