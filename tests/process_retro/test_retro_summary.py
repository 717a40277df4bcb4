"""The retro's summary: ranked themes, this retro's actions, the earlier actions' outcome,
participation, the ritual's share of actions done on time; never blank, never an author who
did not sign, never a link or a secret."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.models import ActionItem
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.platform.db.schema import DatabaseUnreachable
from opsrhythm.rituals.process_retro.models import RenderedSummary, RenderSummaryInput, RetroCounts
from opsrhythm.rituals.process_retro.summary import OnTimeShare, on_time_share, ranked
from tests.actions.conftest import database_url, store
from tests.process_retro.email_samples import (
    ANA,
    CHLOE,
    EMMA,
    GRACE,
    PARTICIPANTS,
    RITUAL,
    SECRET,
    WORKFLOW,
    FakeRetroStore,
    Group,
    Item,
    action,
    activities,
    every_file_text,
    plan,
    read_email,
)

__all__ = ["database_url", "store"]

THEMES = [
    Group("G2", 2, (Item("start", "Pair on the changelog", "Chloé Dubois"),)),
    Group(
        "G1",
        5,
        (Item("stop", "Release notes go out late"), Item("stop", "release notes late again")),
    ),
    Group("G3", 2, (Item("continue", "Demo day on Fridays"),)),
    Group("G4", 0, ()),
]
COUNTS = RetroCounts(items=4, participants=3, groups=3, votes=9, voters=2)


def closed(item: ActionItem, state: str, on: date, **changes: object) -> ActionItem:
    moment = datetime.combine(on, datetime.min.time(), tzinfo=UTC).replace(hour=17)
    return item.model_copy(update={"state": state, "updated_at": moment} | changes)


def test_on_time_share_counts_each_action_once_against_its_first_due_date() -> None:
    """Done by the date (on time), done after it (late), dropped, open past due; one not yet
    due is not counted, nor a decision (a record, not work); a carried action and its
    continuation count once, as late."""
    due = date(2026, 11, 20)
    first = action("Calendar", CHLOE, "r-W43-1", due)
    carried = closed(first, "carried", date(2026, 12, 1))
    continuation = closed(
        action("Calendar", CHLOE, "r-W49-1", date(2026, 12, 15)),
        "done",
        date(2026, 12, 2),
        carried_from="r-W43-1",
    )
    actions = [
        carried,
        continuation,
        closed(action("On time", GRACE, "r-W43-2", due), "done", due),
        closed(action("Late", GRACE, "r-W43-3", due), "done", date(2026, 11, 21)),
        closed(action("Dropped", EMMA, "r-W43-4", due), "dropped", date(2026, 11, 2)),
        action("Forgotten", EMMA, "r-W43-5", due),
        action("Not yet due", ANA, "r-W43-6", date(2026, 12, 31)),
    ]
    decision = action("One release channel", ANA, "r-W43-7", due).model_copy(
        update={"kind": "decision"}
    )
    actions.append(decision)
    share = on_time_share(actions, today=date(2026, 12, 6))
    assert OnTimeShare(counted=5, on_time=1, late=2, dropped=1, overdue=1) == share
    assert 20 == share.percent
    assert OnTimeShare() == on_time_share([], date(2026, 12, 6))
    assert OnTimeShare().percent is None


def test_ranked_themes_most_votes_first_ties_share_a_rank_empty_groups_left_out() -> None:
    views = ranked(THEMES)
    assert [("G1", 1), ("G2", 2), ("G3", 2)] == [(v.theme.group_id, v.rank) for v in views]


def render(
    config: OpsRhythmConfig,
    archive: Path,
    actions: ActionStore,
    retro: FakeRetroStore,
    reviewed: list[ActionItem] | None = None,
    counts: RetroCounts | None = COUNTS,
) -> RenderedSummary:
    input = RenderSummaryInput(
        workflow_id=WORKFLOW, plan=plan(), reviewed_actions=reviewed or [], counts=counts
    )
    retro_activities = activities(config, archive, retro=retro, actions=actions)
    return ActivityEnvironment().run(retro_activities.render_retro_summary, input)


def add(
    store: ActionStore,
    title: str,
    owner: str,
    origin: str,
    due: date,
    ritual: str = RITUAL,
    kind: Literal["action", "decision"] = "action",
) -> ActionItem:
    return store.add(
        kind=kind,
        origin=origin,
        ritual_id=ritual,
        period=origin.removeprefix(f"{ritual}-"),
        title=title,
        owner_email=owner,
        owner_name="",
        due=due,
        actor="ana@acme.example",
    )


def test_the_summary_carries_themes_actions_outcomes_participation_and_on_time_share(
    example_config: OpsRhythmConfig, tmp_path: Path, store: ActionStore
) -> None:
    earlier, long_ago = "process-retro-2026-W43", date(2025, 1, 20)
    done = add(store, "Publish the release calendar", CHLOE.email, earlier, long_ago)
    dropped = add(store, "Weekly release digest", GRACE.email, earlier, long_ago)
    silent = add(store, "Changelog template", EMMA.email, earlier, long_ago)
    store.close_action(done.action_id, "done", actor=CHLOE.email, note="on the wiki")
    store.close_action(dropped.action_id, "dropped", actor=GRACE.email, note="nobody read it")
    add(store, "Release notes owner per team", GRACE.email, WORKFLOW, date(2026, 12, 18))
    add(store, "Another ritual's action", GRACE.email, "other-2026-W49", long_ago, "other")
    decision = add(store, "Notes in one channel", ANA.email, earlier, long_ago, kind="decision")
    add(store, "Release notes in #general", ANA.email, WORKFLOW, long_ago, kind="decision")
    reviewed = [done, dropped, silent, decision]

    rendered = render(example_config, tmp_path, store, FakeRetroStore(THEMES), reviewed)

    assert (3, 1, False) == (rendered.themes, rendered.actions, rendered.empty)
    email = read_email(rendered.path)
    assert "release communication retro summary" in email.subject
    text = email.text
    order = [text.index(t) for t in ("1. Release notes go out late", "2. Pair on", "2. Demo day")]
    assert sorted(order) == order
    assert "(5 votes, G1)" in text
    assert "[start] Pair on the changelog (Chloé Dubois)" in text
    assert "Release notes owner per team (grace@acme.example, due 2026-12-18" in text
    assert (
        "Publish the release calendar (chloe@acme.example, due 2025-01-20): done: on the wiki"
        in text
    )
    assert "dropped: nobody read it" in text
    assert "Changelog template" in text and "still open, reviewed again at the next retro" in text
    assert "3 of 4 participants added items (75%); 4 items in all." in text
    assert "2 of 4 voted (50%)." in text
    # The calendar was closed now (the store's clock), long after its due date: late.
    assert "0 of 3 (0%) were done by the date first agreed; 1 done late, 1 dropped," in text
    assert "Another ritual's action" not in text
    assert (
        "DECISIONS RECORDED\n  - Release notes in #general (ana@acme.example, 2025-01-20)" in text
    )
    assert "Notes in one channel" not in text
    for fragment in ("Release notes go out late", "(Chloé Dubois)", "3 of 4 participants"):
        assert fragment in email.html
    assert Path(rendered.location) == Path(rendered.path).parent
    assert (Path(rendered.location) / "summary.html").read_text() == email.html


def test_an_empty_retro_says_so_and_still_reports_the_earlier_actions(
    example_config: OpsRhythmConfig, tmp_path: Path, store: ActionStore
) -> None:
    silent = add(
        store, "Changelog template", EMMA.email, "process-retro-2026-W43", date(2027, 1, 8)
    )
    rendered = render(
        example_config, tmp_path, store, FakeRetroStore(), [silent], counts=RetroCounts()
    )
    assert (0, 0, True) == (rendered.themes, rendered.actions, rendered.empty)
    email = read_email(rendered.path)
    assert email.subject.endswith("(no items this time)")
    for body in (email.text, email.html):
        assert "No items were added in this retro" in body
        assert "Changelog template" in body
        assert "None decided." in body
        assert "0 of 4 participants added items (0%)" in body
        assert "No action has come due yet." in body


def test_counts_come_from_the_store_when_the_workflow_gives_none(
    example_config: OpsRhythmConfig, tmp_path: Path, store: ActionStore
) -> None:
    retro = FakeRetroStore(THEMES, counted=RetroCounts(items=4, participants=1, voters=4))
    rendered = render(example_config, tmp_path, store, retro, counts=None)
    text = read_email(rendered.path).text
    assert "1 of 4 participants added items (25%)" in text
    assert "4 of 4 voted (100%)" in text


def test_no_author_link_or_secret_in_the_summary(
    example_config: OpsRhythmConfig, tmp_path: Path, store: ActionStore
) -> None:
    """Participants' addresses never appear (nobody here owns an action), only the one name
    whose author signed; no link and no secret in any archived file."""
    render(example_config, tmp_path / "archive", store, FakeRetroStore(THEMES))
    files = every_file_text(tmp_path / "archive")
    summaries = [text for path, text in files.items() if path.name.startswith("summary.")]
    assert 2 == len(summaries)
    for text in files.values():
        assert SECRET not in text
    for text in summaries:
        assert "token=" not in text
        assert "https://" not in text
        for person in PARTICIPANTS:
            assert person.email not in text
        for unsigned in (GRACE.name, EMMA.name, ANA.name):
            assert unsigned not in text
        assert "Chloé Dubois" in text


@pytest.mark.parametrize("process", ["<script>alert(1)</script>"])
def test_what_people_wrote_is_escaped_in_the_html(
    example_config: OpsRhythmConfig, tmp_path: Path, store: ActionStore, process: str
) -> None:
    retro = FakeRetroStore([Group("G1", 1, (Item("stop", process),))])
    email = read_email(render(example_config, tmp_path, store, retro).path)
    assert process not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html


def test_a_store_that_is_down_fails_the_attempt_for_temporal_to_retry(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """No summary without the actions: the outage is raised (the worker's DatabaseOutages
    bounds the retries), never rendered as a summary with the actions left out."""

    def down() -> ActionStore:
        raise DatabaseUnreachable("cannot connect to the database sqlite:///gone.db")

    retro = FakeRetroStore(THEMES)
    retro_activities = activities(example_config, tmp_path, retro=retro, open_action_store=down)
    input = RenderSummaryInput(workflow_id=WORKFLOW, plan=plan(), reviewed_actions=[])
    with pytest.raises(DatabaseUnreachable):
        ActivityEnvironment().run(retro_activities.render_retro_summary, input)
    assert [] == list(tmp_path.rglob("summary*"))


def test_a_template_that_cannot_render_fails_for_good(
    example_config: OpsRhythmConfig, tmp_path: Path, store: ActionStore
) -> None:
    input = RenderSummaryInput(
        workflow_id=WORKFLOW, plan=plan(templates="no_such_folder"), reviewed_actions=[]
    )
    retro_activities = activities(example_config, tmp_path, retro=FakeRetroStore(), actions=store)
    with pytest.raises(ApplicationError) as failure:
        ActivityEnvironment().run(retro_activities.render_retro_summary, input)
    assert (True, "RenderError") == (failure.value.non_retryable, failure.value.type)
    assert "no_such_folder/summary.html" in failure.value.message
