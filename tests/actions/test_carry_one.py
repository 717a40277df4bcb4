"""`opsrhythm actions carry ID --due DATE`: one open action carried by its owner to a new due
date (a retro's action review), in the store and from the command line."""

from __future__ import annotations

from datetime import date

import pytest

from opsrhythm.platform.actions.store import ActionRefused, ActionStore
from tests.actions.test_cli import add_argv, run, temporal_down

ORIGIN = "monthly-kpi-report-2026-10"


def added(store: ActionStore) -> str:
    action = store.add(
        origin=ORIGIN,
        ritual_id="monthly-kpi-report",
        period="2026-10",
        title="Fix churn",
        owner_email="emma.larsen@acme.example",
        owner_name="Emma Larsen",
        due=date(2026, 12, 20),
        actor="emma.larsen@acme.example",
    )
    return action.action_id


def test_carry_one_continues_the_action_under_its_origin_with_the_new_date(
    store: ActionStore,
) -> None:
    first = added(store)
    old, new = store.carry_one(first, date(2027, 1, 15), actor="emma.larsen@acme.example")
    assert ("carried", f"carried to {new.action_id}") == (old.state, store.events(first)[-1].detail)
    assert (f"{ORIGIN}-2", ORIGIN, "open", date(2027, 1, 15), first, "Fix churn") == (
        new.action_id,
        new.origin,
        new.state,
        new.due,
        new.carried_from,
        new.title,
    )
    with pytest.raises(ActionRefused, match="already carried"):
        store.carry_one(first, date(2027, 2, 1), actor="x")
    with pytest.raises(KeyError):
        store.carry_one("nope-1", date(2027, 2, 1), actor="x")


async def test_the_command_carries_one_action_and_keeps_it_when_temporal_is_down(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 3 and the follow-up command, as every change made with Temporal down."""
    context = temporal_down()
    await run(context, capsys, *add_argv(database_url))
    db = ["--database-url", database_url]
    code, out, err = await run(
        context, capsys, "actions", "carry", f"{ORIGIN}-1", "--due", "2027-01-15", *db
    )
    assert 3 == code
    assert f"{ORIGIN}-1 -> {ORIGIN}-2: Fix churn, now due 2027-01-15\n" == out
    assert err.rstrip().endswith(f"run: opsrhythm actions follow-up {ORIGIN}")
    again = await run(
        context, capsys, "actions", "carry", f"{ORIGIN}-1", "--due", "2027-02-01", *db
    )
    assert (1, f"opsrhythm: {ORIGIN}-1 not changed: already carried\n") == (again[0], again[2])


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["x-1"], "--due: give x-1's new due date (YYYY-MM-DD)"),
        (["x-1", "--due", "soon"], "--due: 'soon' is not a date in the form YYYY-MM-DD"),
        (["x-1", "--due", "2027-01-15", "--ritual", "r"], "carry ID --due DATE, or --ritual"),
        (["--due", "2027-01-15"], "carry: give ID --due DATE, or all of --ritual, --from"),
        (["--ritual", "r", "--from", "2026-Q3"], "carry: give ID --due DATE, or all of"),
        (["nope-1", "--due", "2027-01-15"], "no action nope-1 (see: opsrhythm actions list)"),
    ],
)
async def test_bad_carry_arguments_are_one_line_exit_2(
    argv: list[str], says: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await run(
        temporal_down(), capsys, "actions", "carry", *argv, "--database-url", database_url
    )
    assert (2, 1, True) == (code, len(err.splitlines()), err.startswith(f"opsrhythm: {says}"))
