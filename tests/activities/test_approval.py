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
)
DEV = Contact(name="Dev Patel", email="Dev@acme.example")
ANA = Contact(name="Ana Silva", email="ana@acme.example")
DEADLINE = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
WORKFLOW = "monthly-kpi-report-2026-10"
LINK = re.compile(
    r"https://ops\.acme\.example/approvals/([^/]+)/([^?]+)\?token=([^&]+)&action=(\w+)"
)


def request(kind: str = "request") -> ApprovalEmailInput:
    return ApprovalEmailInput(
        context=CONTEXT,
        kind=kind,
        round=1,
        draft=ApprovalDraft(title="Monthly KPI report for October 2026", summary=["MRR: £512,000"]),
        recipients=[DEV],
        requester=ANA,
        deadline=DEADLINE,
    )


def activities(tmp_path: Path, signer: LinkSigner | None = SIGNER) -> ApprovalActivities:
    renderer = ApprovalRenderer(
        resources.templates_dir(), tmp_path, signer, "https://ops.acme.example"
    )
    return ApprovalActivities(renderer)


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
