"""The summary and the vote email on the real retro store: themes as grouped and voted there,
a signed item's name, and nothing else of the authors (not their address, not their key)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.actions.store import ActionStore
from opsrhythm.rituals.process_retro.models import RenderSummaryInput, RetroEmailInput
from opsrhythm.rituals.process_retro.store import RetroStore
from tests.process_retro.email_samples import (
    CHLOE,
    EMMA,
    GRACE,
    PARTICIPANTS,
    WORKFLOW,
    activities,
    every_file_text,
    plan,
    read_email,
)
from tests.process_retro.retro_db import key, retro_database_url, retro_store

__all__ = ["retro_database_url", "retro_store"]


LIMITS = {"per_person": 5, "per_group": 3}


def fill(store: RetroStore) -> list[str]:
    """Three authors; Chloé signs one item; Emma and Grace vote; the keys written."""
    store.add_item(WORKFLOW, key(GRACE.email), "stop", "Release notes go out late every time")
    store.add_item(WORKFLOW, key(EMMA.email), "stop", "release notes late again")
    store.add_item(WORKFLOW, key(EMMA.email), "start", "Pair on the changelog")
    store.add_item(WORKFLOW, key(CHLOE.email), "continue", "Demo day on Fridays", CHLOE.name)
    store.group(WORKFLOW)
    groups = {g.title: g.group_no for g in store.groups(WORKFLOW)}
    late = groups["Release notes go out late every time"]
    store.replace_votes(
        WORKFLOW, key(EMMA.email), {late: 2, groups["Demo day on Fridays"]: 1}, **LIMITS
    )
    store.replace_votes(WORKFLOW, key(GRACE.email), {late: 1}, **LIMITS)
    return [key(p.email) for p in PARTICIPANTS]


def test_summary_from_the_store_ranks_its_themes_and_names_only_who_signed(
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    retro_store: RetroStore,
    retro_database_url: str,
) -> None:
    keys = fill(retro_store)
    archive = tmp_path / "archive"
    retro_activities = activities(
        example_config, archive, retro=retro_store, actions=ActionStore.from_url(retro_database_url)
    )
    input = RenderSummaryInput(workflow_id=WORKFLOW, plan=plan(), reviewed_actions=[])
    rendered = ActivityEnvironment().run(retro_activities.render_retro_summary, input)

    assert (3, 0, False) == (rendered.themes, rendered.actions, rendered.empty)
    text = read_email(rendered.path).text
    first = text.index("1. Release notes go out late every time (3 votes")
    assert first < text.index("2. Demo day on Fridays (1 vote,")
    assert first < text.index("3. Pair on the changelog (0 votes,")
    assert "[continue] Demo day on Fridays (Chloé Dubois)" in text
    assert "3 of 4 participants added items (75%); 4 items in all." in text
    assert "2 of 4 voted (50%)." in text
    for body in every_file_text(archive).values():
        for person, author_key in zip(PARTICIPANTS, keys, strict=True):
            assert person.email not in body
            assert author_key not in body
        for unsigned in (GRACE.name, EMMA.name):
            assert unsigned not in body


def test_the_vote_email_lists_the_stores_themes(
    example_config: OpsRhythmConfig,
    tmp_path: Path,
    retro_store: RetroStore,
) -> None:
    fill(retro_store)
    retro_activities = activities(example_config, tmp_path, retro=retro_store)
    input = RetroEmailInput(
        workflow_id=WORKFLOW, run_id="run-1", plan=plan(), kind="vote", recipients=[GRACE]
    )
    emails = ActivityEnvironment().run(retro_activities.render_retro_emails, input)
    text = read_email(emails.messages[0].path).text
    groups = {g.title: g.group_id for g in retro_store.groups(WORKFLOW)}
    assert 3 == len(groups)
    for title, group_id in groups.items():
        assert f"{group_id}: {title}" in text
    assert date(2026, 12, 5).strftime("%a %d %b %Y") in text
