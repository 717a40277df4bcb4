"""The retro's emails to people: action owners see only their own open actions and the
done/drop/carry commands; participants get their own link and commands; no email says who has
taken part; never a secret; the files are the worker's alone."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.rituals.process_retro.links import RetroLinks
from opsrhythm.rituals.process_retro.models import RetroCounts, RetroEmailInput, RetroEmails
from opsrhythm.rituals.process_retro.rendering import add_command, vote_command
from tests.process_retro.email_samples import (
    ANA,
    CHLOE,
    EMMA,
    GRACE,
    LINKS,
    PARTICIPANTS,
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

URL = re.compile(r"https://ops\.acme\.example/retros/[^\s\"<]+")
OPEN_ACTIONS = [
    action("Publish the release calendar", CHLOE, "process-retro-2026-W43-1"),
    action("Changelog template", GRACE, "process-retro-2026-W43-2"),
    action("One channel for release news", CHLOE, "process-retro-2026-W43-3"),
]


def render(
    config: OpsRhythmConfig,
    archive: Path,
    kind: str,
    recipients: list[Contact] = PARTICIPANTS,
    links: RetroLinks | None = LINKS,
    retro: FakeRetroStore | None = None,
    **changes: object,
) -> RetroEmails:
    input = RetroEmailInput(
        workflow_id=WORKFLOW, run_id="run-1", plan=plan(), kind=kind, recipients=recipients
    ).model_copy(update=changes)
    retro_activities = activities(config, archive, links, retro=retro)
    return ActivityEnvironment().run(retro_activities.render_retro_emails, input)


def bodies(path: str) -> tuple[str, str, str]:
    email = read_email(path)
    return email.subject, email.html, email.text


def test_action_review_one_email_per_owner_with_only_their_actions(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Chloé sees her two actions with done/drop/carry commands, Grace her one; Emma, who owns
    only a decision (a record, nothing to report), gets no email; nobody sees another's."""
    decision = action("One release channel", EMMA, "process-retro-2026-W43-9").model_copy(
        update={"kind": "decision"}
    )
    emails = render(
        example_config,
        tmp_path,
        "action-review",
        recipients=[CHLOE, GRACE, EMMA],
        open_actions=[*OPEN_ACTIONS, decision],
    )
    assert [CHLOE.email, GRACE.email] == [m.recipient.email for m in emails.messages]
    chloe, grace = (bodies(m.path) for m in emails.messages)
    for body in chloe[1:]:
        for mine in (OPEN_ACTIONS[0], OPEN_ACTIONS[2]):
            assert mine.title in body
            assert f"opsrhythm actions done {mine.action_id} --note TEXT" in body
            assert f"opsrhythm actions drop {mine.action_id} --reason TEXT" in body
            assert f"opsrhythm actions carry {mine.action_id} --due YYYY-MM-DD" in body
        assert "Changelog template" not in body
        assert GRACE.email not in body
    for body in grace[1:]:
        assert "Changelog template" in body
        assert "release calendar" not in body
    assert "Tue 01 Dec 2026 04:00 America/New_York" in grace[0]
    assert "Tue 01 Dec 2026 10:00 Europe/Paris" in chloe[2]
    assert "stays open and comes back at the next retro" in chloe[2]


def test_invite_carries_the_participants_own_link_and_commands(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Grace's link verifies as hers for this run until after voting; her commands name her,
    one per prompt with its question; the anonymity promise and --sign are explained."""
    emails = render(example_config, tmp_path, "invite")
    assert [p.email for p in PARTICIPANTS] == [m.recipient.email for m in emails.messages]
    message = next(m for m in emails.messages if m.recipient.email == GRACE.email)
    subject, html, text = bodies(message.path)
    [url] = set(URL.findall(text))
    assert url.replace("&", "&amp;") in html
    claims = LINKS.verify(parse_qs(urlparse(url).query)["token"][0])
    assert (WORKFLOW, "run-1", GRACE.email) == (claims.workflow_id, claims.run_id, claims.email)
    assert claims.expires >= plan().voting_closes_at
    assert "release communication" in subject
    assert "Fri 04 Dec 2026 04:00 America/New_York" in subject
    for body in (html, text):
        for prompt in plan().prompts:
            command = add_command(WORKFLOW, GRACE.email, prompt.prompt_id)
            assert command.replace('"', "&#34;") in html
            assert command in text
            assert prompt.question in body
        assert "anonymous" in body
        assert "--sign" in body
        assert "edit" in body
        for other in (CHLOE, EMMA, ANA):
            assert other.email not in body


def test_without_links_the_emails_give_the_commands(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    emails = render(example_config, tmp_path, "invite", links=None)
    for message in emails.messages:
        _, html, text = bodies(message.path)
        assert not URL.findall(html + text)
        assert "Form links are off" in text
        assert f"--as {message.recipient.email.lower()} --prompt start" in text


def test_a_reminder_is_the_same_for_every_participant(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Nothing in a reminder tells who has added items: once each person's own name, address
    and link are taken out, every participant's reminder reads the same."""
    counts = RetroCounts(items=5, participants=2)
    emails = render(example_config, tmp_path, "reminder", links=None, counts=counts)
    generic = set()
    for message, person in zip(emails.messages, PARTICIPANTS, strict=True):
        subject, _, text = bodies(message.path)
        assert subject.startswith("Reminder:")
        assert "5 items so far" in text
        due = re.sub(r"\d\d:\d\d \S+", "TIME", text.replace(person.email, "ME"))
        generic.add(due.replace(person.name, "NAME"))
    assert 1 == len(generic)


def test_vote_email_gives_the_limits_the_themes_and_the_vote_command(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    retro = FakeRetroStore(
        groups=[
            Group("G1", 0, (Item("stop", "Release notes go out late"), Item("stop", "late"))),
            Group("G2", 0, (Item("start", "Pair on the changelog", "Chloé Dubois"),)),
            Group("G3", 0, ()),
        ]
    )
    emails = render(example_config, tmp_path, "vote", retro=retro)
    message = next(m for m in emails.messages if m.recipient.email == EMMA.email)
    subject, html, text = bodies(message.path)
    assert "vote on the themes by Sat 05 Dec 2026 10:00 Europe/Copenhagen" in subject
    for body in (html, text):
        assert "3 dots in all" in body
        assert "up to 2 on one theme" in body
        assert vote_command(WORKFLOW, EMMA.email) in body
        assert "Release notes go out late" in body
        assert "G2" in body
        assert "G3" not in body
    assert "G1: Release notes go out late (2 items)" in text
    assert 1 == len(set(URL.findall(text)))


def test_emails_hold_no_secret_and_are_the_workers_alone(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    for kind in ("invite", "reminder", "vote"):
        render(example_config, tmp_path, kind)
    render(example_config, tmp_path, "action-review", open_actions=OPEN_ACTIONS)
    files = every_file_text(tmp_path)
    emails = [p for p in files if p.suffix == ".json"]
    assert 4 * 3 + 2 == len(emails)
    for path, text in files.items():
        assert SECRET not in text
        if path in emails:
            assert 0o600 == stat.S_IMODE(path.stat().st_mode)


def test_a_summary_is_not_rendered_here(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    """The summary has its own activity: asked here, it fails for good in one line."""
    with pytest.raises(ApplicationError) as failure:
        render(example_config, tmp_path, "summary")
    assert failure.value.non_retryable
    assert "renders no 'summary' email" in failure.value.message


def test_html_escapes_what_people_wrote(example_config: OpsRhythmConfig, tmp_path: Path) -> None:
    retro = FakeRetroStore(groups=[Group("G1", 0, (Item("stop", "<b>late</b> & loud"),))])
    emails = render(example_config, tmp_path, "vote", recipients=[CHLOE], retro=retro)
    _, html, text = bodies(emails.messages[0].path)
    assert "&lt;b&gt;late&lt;/b&gt; &amp; loud" in html
    assert "<b>late</b>" not in html
    assert "<b>late</b> & loud" in text


def test_an_action_owner_sees_times_in_their_own_zone(
    example_config: OpsRhythmConfig, tmp_path: Path
) -> None:
    """Owners come from the actions store without a zone (UTC): a participant's is taken from
    the plan, anyone else's from the config's people."""
    hugo = Contact(name="Hugo Novak", email="hugo.novak@acme.example")
    chloe = Contact(name=CHLOE.name, email=CHLOE.email)
    actions = [OPEN_ACTIONS[0], action("Sales notes", hugo, "process-retro-2026-W43-4")]
    emails = render(
        example_config, tmp_path, "action-review", recipients=[chloe, hugo], open_actions=actions
    )
    chloe_subject, hugo_subject = (bodies(m.path)[0] for m in emails.messages)
    assert chloe_subject.endswith("Tue 01 Dec 2026 10:00 Europe/Paris")
    assert hugo_subject.endswith("Tue 01 Dec 2026 04:00 America/New_York")
