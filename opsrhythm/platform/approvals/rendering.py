"""Renders approval emails (request, reminder, escalation, settled) and owner notices, and
stores them.

Each approver gets their own email with their own signed links (bound to the run and round),
times in their own timezone, and a link to the full draft served by ``opsrhythm web``; each is
stored as its own RenderedEmail JSON for the email activity to send. These files hold live
links: they are written readable by the worker's user only.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from opsrhythm.platform.approvals.links import (
    REDRAFT_LINK_LIFETIME,
    REDRAFT_PURPOSE,
    LinkSigner,
    decision_link,
    draft_link,
    redraft_link,
)
from opsrhythm.platform.approvals.models import (
    ApprovalEmailInput,
    ApprovalEmails,
    ApprovalMessage,
    ApprovalNoticeInput,
    Contact,
)
from opsrhythm.platform.approvals.times import local_time
from opsrhythm.platform.models import RenderedEmail
from opsrhythm.platform.rendering import render_template

_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")
SUBJECTS = {
    "request": "Approval needed: {title}",
    "reminder": "Reminder: approval needed: {title}",
    "escalation": "Escalated to you: approval needed: {title}",
    "settled": "No action needed: {title}",
}
DECISIONS = ("approve", "reject", "request_changes")


def _file_name(text: str) -> str:
    name = _UNSAFE.sub("_", text).strip("._") or "x"
    return name[:200]


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def cli_commands(workflow_id: str, approver: str) -> dict[str, str]:
    return {
        "approve": f"opsrhythm approve {workflow_id} --as {approver}",
        "reject": f'opsrhythm reject {workflow_id} --as {approver} --reason "…"',
        "changes": f'opsrhythm request-changes {workflow_id} --as {approver} --comment "…"',
    }


def owner_commands(workflow_id: str, ritual_id: str, period: str) -> dict[str, str]:
    return {
        "redraft": f"opsrhythm redraft {workflow_id}",
        "again": f"opsrhythm run {ritual_id} --period {period} --again",
        "status": f"opsrhythm status {workflow_id}",
    }


class ApprovalRenderer:
    def __init__(
        self,
        templates_dir: Path,
        archive_dir: Path,
        signer: LinkSigner | None,
        public_url: str,
        organization: str = "OpsRhythm",
    ) -> None:
        """``organization`` is the company's name (config ``organization.name``), in the header."""
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir
        self._signer = signer
        self._public_url = public_url
        self._organization = organization

    def _folder(self, workflow_id: str) -> Path:
        return (self._archive_dir / _file_name(workflow_id) / "approval").resolve()

    def render_emails(
        self, input: ApprovalEmailInput, progress: Callable[[str], None] | None = None
    ) -> ApprovalEmails:
        """One email per recipient, each with links that only that recipient can use.

        ``progress`` is told each recipient's position as their email is stored.
        """
        folder = self._folder(input.context.workflow_id)
        messages = []
        for recipient in input.recipients:
            email = self._request_email(input, recipient)
            name = f"{input.kind}-r{input.round}-{_file_name(recipient.email.lower())}.json"
            _write_private(folder / name, email.model_dump_json(indent=2).encode())
            messages.append(ApprovalMessage(recipient=recipient, path=str(folder / name)))
            if progress is not None:
                progress(str(len(messages)))
        return ApprovalEmails(messages=messages)

    def _request_email(self, input: ApprovalEmailInput, recipient: Contact) -> RenderedEmail:
        workflow_id = input.context.workflow_id
        approver = recipient.email.strip().lower()
        links: dict[str, str] = {}
        draft_url = ""
        if self._signer is not None and input.kind != "settled":
            token = self._signer.issue(
                workflow_id, input.round, approver, input.deadline, input.context.run_id
            )
            links = {
                action: decision_link(self._public_url, token, workflow_id, approver, action)
                for action in DECISIONS
            }
            if input.draft.location:
                draft_url = draft_link(self._public_url, token, workflow_id, approver)
        context = {
            "input": input,
            "recipient": recipient,
            "links": links,
            "draft_url": draft_url,
            "deadline": local_time(input.deadline, recipient.timezone),
            "commands": cli_commands(workflow_id, approver),
            "organization": self._organization,
            "ritual_name": input.context.ritual_name,
        }
        return RenderedEmail(
            subject=SUBJECTS[input.kind].format(title=input.draft.title),
            html=render_template(self._templates_dir, "approval/request.html", context),
            text=render_template(self._templates_dir, "approval/request.txt", context),
        )

    def render_notice(self, input: ApprovalNoticeInput) -> str:
        """The owner's notice of what happened to the approval; returns its stored path.

        A request for changes says how to continue: the command, a signed link when links are
        on, and when it redrafts on its own if configured; a rejection, how to run it again.
        """
        ctx = input.context
        context = {
            "notice": input,
            "commands": owner_commands(ctx.workflow_id, ctx.ritual_id, ctx.period),
            "redraft_url": self._redraft_url(input),
            "redraft_due": (
                local_time(input.redraft_due, input.owner.timezone) if input.redraft_due else ""
            ),
            "organization": self._organization,
            "ritual_name": ctx.ritual_name,
        }
        email = RenderedEmail(
            subject=f"{input.context.ritual_name} ({input.context.period}): {input.headline}",
            html=render_template(self._templates_dir, "approval/notice.html", context),
            text=render_template(self._templates_dir, "approval/notice.txt", context),
        )
        path = self._folder(input.context.workflow_id) / f"notice-r{input.round}-{input.event}.json"
        _write_private(path, email.model_dump_json(indent=2).encode())
        return str(path)

    def _redraft_url(self, input: ApprovalNoticeInput) -> str:
        if self._signer is None or input.event != "changes_requested":
            return ""
        # Past an automatic redraft the link has nothing left to do.
        expires = input.redraft_due or datetime.now(UTC) + REDRAFT_LINK_LIFETIME
        owner, ctx = input.owner.email.strip().lower(), input.context
        token = self._signer.issue(
            ctx.workflow_id, input.round, owner, expires, ctx.run_id, purpose=REDRAFT_PURPOSE
        )
        return redraft_link(self._public_url, token, ctx.workflow_id, owner)
