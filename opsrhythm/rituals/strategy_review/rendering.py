"""Renders the review's kick-off, reminder, escalation and changes-requested emails and stores
them.

One email per owner (kick-off, reminder) or per manager (escalation), holding only that
person's items and open actions, the due date in their own timezone, the CLI command and,
when links are on, a signed form link per item bound to the run, the item and the owner.
The emails never carry a draft: the input holds none. They hold live links, so they are
written readable by the worker's user only, like approval emails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from opsrhythm.platform.actions.models import decisions_in_force, owned_actions
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.approvals.rendering import _file_name, _write_private
from opsrhythm.platform.approvals.times import local_time
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.periods import Quarter
from opsrhythm.platform.rendering import render_template, safe_name
from opsrhythm.rituals.kpi_report.archive_runs import run_folder
from opsrhythm.rituals.strategy_review.links import ReviewLinks
from opsrhythm.rituals.strategy_review.models import (
    ReviewEmailInput,
    ReviewEmails,
    ReviewItemPlan,
    ReviewMessage,
    ReviewPlan,
)

LINK_LIFETIME_AFTER_MEETING = timedelta(days=14)
"""Links outlive the meeting so a round after a request for changes can use them; the
workflow itself refuses updates while collection is closed."""
SUBJECTS = {
    "kick-off": "{ritual} {quarter}: your status update, due {due}",
    "reminder": "Reminder: {ritual} {quarter} status update due {due}",
    "escalation": "Late: {ritual} {quarter} status updates from your team",
    "changes-requested": "Changes requested: {ritual} {quarter}, updates are open again",
}


def submit_command(period: str, owner_email: str, item_id: str) -> str:
    return (
        f"opsrhythm review submit --period {period} --as {owner_email} --item {item_id} "
        "--status green|amber|red --confidence N --narrative-file FILE"
    )


def emails_folder(archive_dir: Path, workflow_id: str, run_id: str) -> Path:
    """Inside the run's archive folder, which this claims if the run renders here first."""
    return run_folder(archive_dir, workflow_id, run_id, 1) / "review-emails"


def group_by_recipient(
    input: ReviewEmailInput,
) -> list[tuple[Contact, list[ReviewItemPlan]]]:
    """Owners for kick-off and reminders; managers for escalations (the ritual's owner for an
    item with no manager, so a late update is never left untold)."""
    groups: dict[str, tuple[Contact, list[ReviewItemPlan]]] = {}
    for item in input.items:
        if input.kind == "escalation":
            person = item.manager or _owner_contact(input.plan)
        else:
            person = item.owner
        key = person.email.strip().lower()
        groups.setdefault(key, (person, []))[1].append(item)
    return list(groups.values())


def _owner_contact(plan: ReviewPlan) -> Contact:
    return Contact(name=plan.owner.name, email=plan.owner.email, timezone=plan.timezone)


class ReviewEmailRenderer:
    def __init__(
        self,
        templates_dir: Path,
        archive_dir: Path,
        links: ReviewLinks | None,
    ) -> None:
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir
        self._links = links

    def render_emails(
        self, input: ReviewEmailInput, progress: Callable[[str], None] | None = None
    ) -> ReviewEmails:
        """One stored email per recipient; ``progress`` is told how many are done."""
        folder = emails_folder(self._archive_dir, input.workflow_id, input.run_id)
        messages = []
        for person, items in group_by_recipient(input):
            email = self._email(input, person, items)
            name = f"{input.kind}-{_file_name(person.email.strip().lower())}.json"
            _write_private(folder / name, email.model_dump_json(indent=2).encode())
            messages.append(
                ReviewMessage(
                    recipient=Recipient(name=person.name, email=person.email),
                    path=str(folder / name),
                    item_ids=[item.item_id for item in items],
                )
            )
            if progress is not None:
                progress(str(len(messages)))
        return ReviewEmails(messages=messages)

    def _email(
        self, input: ReviewEmailInput, person: Contact, items: list[ReviewItemPlan]
    ) -> RenderedEmail:
        plan = input.plan
        quarter = Quarter.parse(plan.period).label
        due = local_time(plan.due_at, person.timezone)
        rows = [self._item_row(input, item) for item in items]
        # A manager is told who is late, not handed the owners' actions.
        escalation = input.kind == "escalation"
        actions = [] if escalation else owned_actions(input.open_actions, person.email)
        context = {
            "kind": input.kind,
            "plan": plan,
            "recipient": person,
            "quarter": quarter,
            "due": due,
            "meeting": local_time(plan.meeting_at, person.timezone),
            "items": rows,
            "actions": actions,
            "decisions": [] if escalation else decisions_in_force(input.open_actions),
            "links_on": self._links is not None,
            "organization": plan.organization,
            "ritual_name": plan.ritual_name,
            "workflow_id": input.workflow_id,
            "comment": input.comment,
        }
        folder = safe_name(plan.templates, "template folder")
        return RenderedEmail(
            subject=SUBJECTS[input.kind].format(ritual=plan.ritual_name, quarter=quarter, due=due),
            html=render_template(self._templates_dir, f"{folder}/request.html", context),
            text=render_template(self._templates_dir, f"{folder}/request.txt", context),
        )

    def _item_row(self, input: ReviewEmailInput, item: ReviewItemPlan) -> dict[str, object]:
        owner = item.owner.email.strip().lower()
        url = ""
        if self._links is not None and input.kind != "escalation":
            url = self._links.submit_url(
                input.workflow_id, input.run_id, item.item_id, owner, self._expiry(input.plan)
            )
        return {
            "item": item,
            "command": submit_command(input.plan.period, owner, item.item_id),
            "url": url,
        }

    @staticmethod
    def _expiry(plan: ReviewPlan) -> datetime:
        return max(plan.meeting_at, plan.pre_read_at, plan.due_at) + LINK_LIFETIME_AFTER_MEETING
