"""Turn a ritual's ``approval:`` block into an ApprovalPlan, and check its cross-references.

Durations are written '3d', '1d12h' or '90m'; reminders 'after 2d' (from the request) or
'before 1d' (the deadline), read by ``parse_duration``. Both are resolved to seconds here so the
workflow only adds them.
"""

from __future__ import annotations

from collections.abc import Iterator

from opsrhythm.platform.approvals.config import Approval
from opsrhythm.platform.approvals.models import ApprovalPlan, Contact
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.config import RitualBase as Ritual
from opsrhythm.platform.schedules.config import parse_duration


def reminder_offsets(reminders: list[str], deadline_seconds: int) -> list[int]:
    """Seconds after the request, sorted, without duplicates or any at or past the deadline."""
    offsets = set()
    for reminder in reminders:
        anchor, _, amount = reminder.partition(" ")
        seconds = int(parse_duration(amount).total_seconds())
        offsets.add(seconds if anchor == "after" else deadline_seconds - seconds)
    return sorted(offset for offset in offsets if 0 < offset < deadline_seconds)


def required_approvals(approval: Approval, eligible: int) -> int:
    if approval.policy == "all":
        return eligible
    if approval.policy == "n_of_m":
        return approval.required or 1
    return 1


def approval_plan(config: PlatformConfig, ritual: Ritual) -> ApprovalPlan | None:
    """The ritual's approval, resolved to people; None when the ritual needs no sign-off."""
    approval = ritual.approval
    if approval is None:
        return None

    def recipient(person_id: str) -> Contact:
        person = config.person(person_id)
        return Contact(name=person.name, email=person.email, timezone=person.timezone)

    requester = recipient(approval.requester or ritual.owner)
    approvers = [recipient(p) for p in dict.fromkeys(approval.approvers)]
    eligible = [a for a in approvers if a.email.lower() != requester.email.lower()]
    deadline = int(parse_duration(approval.deadline).total_seconds())
    redraft_after = approval.redraft_after
    redraft_seconds = int(parse_duration(redraft_after).total_seconds()) if redraft_after else None
    return ApprovalPlan(
        approvers=approvers,
        policy=approval.policy,
        required=required_approvals(approval, len(eligible)),
        veto=[recipient(p).email for p in approval.veto],
        requester=requester,
        owner=recipient(ritual.owner),
        deadline_seconds=deadline,
        reminder_offsets_seconds=reminder_offsets(approval.reminders, deadline),
        on_timeout=approval.on_timeout,
        backup=recipient(approval.backup_approver) if approval.backup_approver else None,
        redraft_after_seconds=redraft_seconds,
    )


def approval_problems(
    approval: Approval, owner: str, people: set[str]
) -> Iterator[tuple[str, str]]:
    """(field, message) for every reference or combination the models alone cannot check."""

    def unknown(value: str) -> str:
        return f"unknown person {value!r} (known: {', '.join(sorted(people))})"

    for index, person in enumerate(approval.approvers):
        if person not in people:
            yield f"approvers[{index}]", unknown(person)
    for index, person in enumerate(approval.veto):
        if person not in approval.approvers:
            yield f"veto[{index}]", f"{person!r} is not one of the approvers"
    for field in ("requester", "backup_approver"):
        value = getattr(approval, field)
        if value is not None and value not in people:
            yield field, unknown(value)
    requester = approval.requester or owner
    eligible = [p for p in dict.fromkeys(approval.approvers) if p != requester]
    if not eligible:
        yield "approvers", f"needs someone besides the requester {requester!r}"
    if approval.policy == "n_of_m":
        if approval.required is None:
            yield "required", "required for policy n_of_m"
        elif approval.required > len(eligible):
            yield (
                "required",
                (
                    f"{approval.required} approvals needed but only {len(eligible)} approvers "
                    f"besides the requester {requester!r}"
                ),
            )
    elif approval.required is not None:
        yield "required", "only used with policy n_of_m"
    if approval.on_timeout == "escalate" and approval.backup_approver is None:
        yield "backup_approver", "required when on_timeout is escalate"
    if not parse_duration(approval.deadline):
        yield "deadline", "must be longer than zero"
    if approval.redraft_after is not None and not parse_duration(approval.redraft_after):
        yield "redraft_after", "must be longer than zero"
