"""What an owner notice says, wherever it goes: the email, its ledger key, the webhook's line.

A notice goes once per run (workflow id and Temporal run id), so a second failed run of the
same period tells the owner again; so does an approval request (``workflows/approval_mail``);
a report goes once per period and recipient, ever.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from opsrhythm.platform.mail.contract import MessageTags, ledger_custom_args
from opsrhythm.platform.models import (
    FailureNoticeInput,
    NeedsAttentionInput,
    RenderedEmail,
    UndeliveredNoticeInput,
)
from opsrhythm.platform.periods import parse_period
from opsrhythm.platform.rendering import render_failure_notice, render_template

OWNER_AUDIENCE = "owner"
OwnerNoticeInput = FailureNoticeInput | NeedsAttentionInput | UndeliveredNoticeInput


def message_kind(notice: OwnerNoticeInput) -> str:
    """The ledger key's message part; notices recorded before run ids had none. Undelivered
    notices are once per run and label: a failed kick-off and a failed reminder both tell."""
    if notice.kind == "undelivered":
        return f"undelivered-{notice.label}-{notice.run_id}"
    base = "failure-notice" if notice.kind == "failure" else "needs-attention"
    return f"{base}-{notice.run_id}" if notice.run_id else base


def notice_tags(notice: OwnerNoticeInput) -> MessageTags:
    return MessageTags(
        categories=["opsrhythm", notice.ritual_id, notice.kind],
        custom_args=ledger_custom_args(
            notice.ritual_id,
            notice.period,
            OWNER_AUDIENCE,
            notice.workflow_id,
            message_kind(notice),
        ),
    )


def render_notice(notice: OwnerNoticeInput, templates_dir: Path) -> RenderedEmail:
    if notice.kind == "failure":
        return render_failure_notice(notice, templates_dir)
    if notice.kind == "undelivered":
        return render_undelivered_notice(notice, templates_dir)
    return render_needs_attention_notice(notice, templates_dir)


def render_undelivered_notice(notice: UndeliveredNoticeInput, templates_dir: Path) -> RenderedEmail:
    """The email telling the owner who was not emailed, and why; the run goes on."""
    period_label = parse_period(notice.period).label
    context = {
        "notice": notice,
        "period_label": period_label,
        "organization": "OpsRhythm",
        "ritual_name": notice.ritual_name,
    }
    return RenderedEmail(
        subject=f"Not delivered: {notice.ritual_name} for {period_label} ({notice.label})",
        html=render_template(templates_dir, "undelivered_notice/email.html", context),
        text=render_template(templates_dir, "undelivered_notice/email.txt", context),
    )


def render_needs_attention_notice(
    notice: NeedsAttentionInput, templates_dir: Path
) -> RenderedEmail:
    """The email telling the owner which audiences hold unknown outcomes, and how to settle."""
    period_label = parse_period(notice.period).label
    context = {
        "notice": notice,
        "period_label": period_label,
        "total": sum(audience.count for audience in notice.unknown),
        "organization": "OpsRhythm",
        "ritual_name": notice.ritual_name,
        "waiting_until": _utc(notice.waiting_until),
    }
    return RenderedEmail(
        subject=f"Needs attention: {notice.ritual_name} for {period_label}",
        html=render_template(templates_dir, "needs_attention/email.html", context),
        text=render_template(templates_dir, "needs_attention/email.txt", context),
    )


def webhook_text(notice: OwnerNoticeInput, email_error: str) -> str:
    """A chat message: what happened, the command to run, and why no email was sent."""
    period_label = parse_period(notice.period).label
    if notice.kind == "failure":
        lines = [
            f"OpsRhythm: {notice.ritual_name} for {period_label} failed: {notice.error}",
            f"Once the cause is fixed, re-run: {notice.rerun_command}",
        ]
    elif notice.kind == "undelivered":
        failed = "; ".join(f"{f.email}: {f.error}" for f in notice.failed)
        lines = [
            f"OpsRhythm: {notice.ritual_name} for {period_label}: {notice.label} not delivered "
            f"to {len(notice.failed)} recipient(s) ({failed}); the run goes on",
            f"Follow it: {notice.status_command}",
        ]
    else:
        counts = ", ".join(f"{a.audience_id}: {a.count}" for a in notice.unknown)
        total = sum(audience.count for audience in notice.unknown)
        lines = [
            f"OpsRhythm: {notice.ritual_name} for {period_label} needs attention: {total} "
            f"recipient(s) with an unknown outcome ({counts})",
            f"List them: {notice.list_command}",
            f"Settle them: {notice.resolve_command} (or --resend)",
        ]
        if notice.waiting_until is not None:
            lines.append(f"The run waits for that until {_utc(notice.waiting_until)}.")
    lines.append(
        f"(workflow {notice.workflow_id}; the email to {notice.owner.name} failed: {email_error})"
    )
    return "\n".join(lines)


def _utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
