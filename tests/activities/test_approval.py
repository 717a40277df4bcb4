"""Approval emails rendered by the activity: each approver's own links, commands and notices."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.approval import ApprovalActivities
from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.models import (
    ApprovalContext,
    ApprovalDraft,
    ApprovalEmailInput,
    ApprovalNoticeInput,
    Contact,
)
from opsrhythm.platform.approvals.rendering import ApprovalRenderer
from opsrhythm.platform.models import RenderedEmail

SIGNER = LinkSigner("a-secret-that-is-long-enough")
CONTEXT = ApprovalContext(
    workflow_id="monthly-kpi-report-2026-10",
    ritual_id="monthly-kpi-report",
    ritual_name="Monthly KPI report",
    period="2026-10",
    run_id="run-2",
)
DEV = Contact(name="Dev Patel", email="Dev@acme.example", timezone="Europe/London")
ANA = Contact(name="Ana Silva", email="ana@acme.example")
DEADLINE = datetime(2026, 11, 13, 17, 0, tzinfo=UTC)
WORKFLOW = "monthly-kpi-report-2026-10"
LINK = re.compile(
    r"https://ops\.acme\.example/approvals/([^/]+)/([^/?\s]+)\?token=([^&]+)&action=(\w+)"
)


DRAFT = ApprovalDraft(
    title="Monthly KPI report for October 2026",
    summary=["MRR: £512,000"],
    location="/srv/archive/monthly-kpi-report-2026-10/report.html",
)


def request(kind: str = "request", **changes: object) -> ApprovalEmailInput:
    return ApprovalEmailInput(
        context=CONTEXT,
        kind=kind,
        round=1,
        draft=DRAFT,
        recipients=[DEV],
        requester=ANA,
        deadline=DEADLINE,
    ).model_copy(update=changes)


def activities(tmp_path: Path, signer: LinkSigner | None = SIGNER) -> ApprovalActivities:
    renderer = ApprovalRenderer(
        resources.templates_dir(), tmp_path, signer, "https://ops.acme.example", "Acme Ltd"
    )
    return ApprovalActivities(renderer)


def email_for(tmp_path: Path, input: ApprovalEmailInput) -> RenderedEmail:
    [message] = activities(tmp_path).render_approval_emails(input).messages
    return rendered(message.path)


def notice(event: str, **changes: object) -> ApprovalNoticeInput:
    return ApprovalNoticeInput(
        context=CONTEXT,
        owner=ANA,
        round=1,
        event=event,
        headline="Changes were requested",
        detail="dev@acme.example: MRR is wrong",
    ).model_copy(update=changes)


def rendered(path: str) -> RenderedEmail:
    return RenderedEmail.model_validate(json.loads(Path(path).read_text()))


def test_request_carries_signed_links_and_the_command(tmp_path: Path) -> None:
    """Approve and Reject links for this approver, and the CLI line that does the same."""
    [message] = activities(tmp_path).render_approval_emails(request()).messages
    email = rendered(message.path)
    links = LINK.findall(email.text)
    claims = SIGNER.verify(links[0][2], DEADLINE.replace(year=2025))
    assert [
        (WORKFLOW, "dev@acme.example", "approve"),
        (WORKFLOW, "dev@acme.example", "reject"),
        (WORKFLOW, "dev@acme.example", "request_changes"),
    ] == [(w, a, action) for w, a, _, action in links]
    assert ("dev@acme.example", 1, DEADLINE) == (claims.approver, claims.round, claims.expires)
    assert "opsrhythm approve monthly-kpi-report-2026-10 --as dev@acme.example" in email.text
    assert "MRR: £512,000" in email.html


def test_stored_emails_are_private(tmp_path: Path) -> None:
    """Files holding live links are readable by the worker's user only."""
    [message] = activities(tmp_path).render_approval_emails(request()).messages
    assert 0o600 == os.stat(message.path).st_mode & 0o777


def test_without_secret_the_email_has_commands_only(tmp_path: Path) -> None:
    """No OPSRHYTHM_SECRET: no links, a note saying why, and the commands."""
    [message] = activities(tmp_path, signer=None).render_approval_emails(request()).messages
    email = rendered(message.path)
    assert ("token=" in email.html, "no OPSRHYTHM_SECRET" in email.html) == (False, True)


def test_reminder_subject_says_so(tmp_path: Path) -> None:
    """A reminder is marked as one in its subject."""
    [message] = activities(tmp_path).render_approval_emails(request("reminder")).messages
    assert (
        "Reminder: approval needed: Monthly KPI report for October 2026"
        == rendered(message.path).subject
    )


def test_owner_notice(tmp_path: Path) -> None:
    """The owner's notice names the event and the status command."""
    notice = ApprovalNoticeInput(
        context=CONTEXT,
        owner=ANA,
        round=1,
        event="rejected",
        headline="The draft was rejected; nothing was sent",
        detail="rejected by dev@acme.example: MRR is wrong",
    )
    email = rendered(activities(tmp_path).render_approval_notice(notice))
    assert "Monthly KPI report (2026-10): The draft was rejected; nothing was sent" == email.subject
    assert "opsrhythm status monthly-kpi-report-2026-10" in email.text


def test_rendering_heartbeats_after_each_recipient(tmp_path: Path) -> None:
    """Heartbeats count the emails done, and never carry an address into the UI."""
    beats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append(details[0])
    many = request().model_copy(update={"recipients": [DEV, ANA]})
    env.run(activities(tmp_path).render_approval_emails, many)
    assert ["1", "2"] == beats


def test_links_name_the_run_that_asked(tmp_path: Path) -> None:
    """Every link's token is bound to the asking run, so another run of the id refuses it."""
    tokens = {t for _, _, t, _ in LINK.findall(email_for(tmp_path, request()).text)}
    assert ["run-2"] == [SIGNER.verify(t, DEADLINE.replace(year=2025)).run_id for t in tokens]


def test_full_draft_is_a_link_not_a_server_path(tmp_path: Path) -> None:
    """The email links to the draft behind Dev's own token; the server's path is not shown."""
    email = email_for(tmp_path, request())
    found = re.search(
        r"https://ops\.acme\.example/approvals/[^/]+/dev@acme\.example/draft/([^/\s\"]+)/",
        email.text,
    )
    assert found is not None
    claims = SIGNER.verify(found.group(1), DEADLINE.replace(year=2025))
    assert ("dev@acme.example", "run-2", False) == (
        claims.approver,
        claims.run_id,
        DRAFT.location in email.text + email.html,
    )


def test_deadline_is_in_the_approvers_timezone(tmp_path: Path) -> None:
    """17:00 UTC on 13 Nov is shown as Dev's London time, naming the zone; Ana's is UTC."""
    email = email_for(tmp_path, request())
    utc = email_for(tmp_path, request(recipients=[ANA]))
    assert ("Fri 13 Nov 2026 17:00 Europe/London" in email.text, " UTC" in email.text) == (
        True,
        False,
    )
    assert "Fri 13 Nov 2026 17:00 UTC" in utc.html


def test_deadline_in_summer_time_is_the_local_hour(tmp_path: Path) -> None:
    """In British Summer Time, 09:00 UTC is 10:00 in London."""
    summer = request(deadline=datetime(2026, 7, 3, 9, 0, tzinfo=UTC))
    assert "Fri 03 Jul 2026 10:00 Europe/London" in email_for(tmp_path, summer).text


def test_header_names_the_company(tmp_path: Path) -> None:
    """The company's name heads the approval email and the owner's notice."""
    email = email_for(tmp_path, request())
    owner = rendered(activities(tmp_path).render_approval_notice(notice("rejected")))
    assert ">Acme Ltd</span>" in email.html
    assert ">Acme Ltd</span>" in owner.html


def test_settled_email_says_so_and_carries_no_links(tmp_path: Path) -> None:
    """'Settled: approved, no action needed', without decision links or commands."""
    email = email_for(tmp_path, request("settled", outcome="approved"))
    assert ("No action needed: Monthly KPI report for October 2026", True) == (
        email.subject,
        "Settled: approved, no action needed." in email.text,
    )
    assert ("token=" in email.html + email.text, "opsrhythm approve" in email.text) == (
        False,
        False,
    )


def test_round_two_says_what_was_asked_and_what_changed(tmp_path: Path) -> None:
    """Round 2 says it is round 2, who asked for what, and which figures moved."""
    draft = DRAFT.model_copy(
        update={
            "asked": ["dev@acme.example: MRR is wrong"],
            "changed": ["MRR: £512,000 -> £498,000"],
        }
    )
    email = email_for(tmp_path, request(round=2, draft=draft))
    assert [True, True, True] == [
        "This is round 2" in email.text,
        "dev@acme.example: MRR is wrong" in email.html,
        "MRR: £512,000 -&gt; £498,000" in email.html,
    ]


def test_round_two_with_no_figure_changed_says_so(tmp_path: Path) -> None:
    """A redraft whose headline figures are the same says so rather than showing nothing."""
    email = email_for(tmp_path, request(round=2))
    assert ("No headline figure changed" in email.text, "This is round" in email.text) == (
        True,
        True,
    )


def test_round_one_does_not_talk_of_rounds(tmp_path: Path) -> None:
    """The first request has no round-change block."""
    assert "No headline figure changed" not in email_for(tmp_path, request()).text


def test_changes_requested_notice_says_how_to_continue(tmp_path: Path) -> None:
    """The owner gets the redraft command and a signed redraft link only the owner can use."""
    email = rendered(activities(tmp_path).render_approval_notice(notice("changes_requested")))
    found = re.search(
        r"https://ops\.acme\.example/approvals/[^/]+/ana@acme\.example/redraft\?token=(\S+)",
        email.text,
    )
    assert found is not None
    claims = SIGNER.verify(found.group(1), purpose="redraft")
    assert ("ana@acme.example", "run-2", 1) == (claims.approver, claims.run_id, claims.round)
    assert "opsrhythm redraft monthly-kpi-report-2026-10" in email.text
    assert "Nothing happens until you do." in email.text


def test_changes_requested_notice_says_when_it_redrafts_on_its_own(tmp_path: Path) -> None:
    """With a redraft delay the notice gives the time, and the link expires then."""
    due = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    email = rendered(
        activities(tmp_path).render_approval_notice(notice("changes_requested", redraft_due=due))
    )
    found = re.search(r"redraft\?token=(\S+)", email.text)
    assert found is not None
    assert "drafts again on its own at Wed 02 Jan 2030 09:00 UTC" in " ".join(email.text.split())
    assert due == SIGNER.verify(found.group(1), purpose="redraft").expires


def test_changes_requested_notice_without_secret_has_the_command_only(tmp_path: Path) -> None:
    """No OPSRHYTHM_SECRET: the owner still learns the command."""
    path = activities(tmp_path, signer=None).render_approval_notice(notice("changes_requested"))
    email = rendered(path)
    assert (False, True) == (
        "token=" in email.text,
        "opsrhythm redraft monthly-kpi-report-2026-10" in email.text,
    )


def test_rejected_notice_gives_the_next_step(tmp_path: Path) -> None:
    """A rejection tells the owner how to produce the period again."""
    email = rendered(activities(tmp_path).render_approval_notice(notice("rejected")))
    assert "opsrhythm run monthly-kpi-report --period 2026-10 --again" in email.text


def test_links_name_the_scheduling_run_when_the_context_does_not(tmp_path: Path) -> None:
    """A context without a run id still gets links bound to the run that asked."""
    unnamed = request().model_copy(update={"context": CONTEXT.model_copy(update={"run_id": ""})})
    env = ActivityEnvironment()
    [message] = env.run(activities(tmp_path).render_approval_emails, unnamed).messages
    token = LINK.findall(rendered(message.path).text)[0][2]
    assert env.info.workflow_run_id == SIGNER.verify(token, DEADLINE.replace(year=2025)).run_id
