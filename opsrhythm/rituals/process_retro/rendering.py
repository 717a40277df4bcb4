"""Renders the retro's emails to people (action review, invite, reminder, vote) and stores them.

One email per recipient. An action owner sees only their own open actions; a participant gets
their own signed page link (items, then votes) and the CLI commands with their address. No
email says who has or has not taken part: the workflow never knows, and a reminder goes to
every participant alike. The emails hold live links, so they are written readable by the
worker's user only, like approval emails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from opsrhythm.platform.actions.models import ActionItem, owned_actions
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.approvals.rendering import _file_name, _write_private
from opsrhythm.platform.approvals.times import local_time
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.periods import IsoWeek
from opsrhythm.platform.rendering import RenderError, render_template, safe_name
from opsrhythm.rituals.kpi_report.archive_runs import run_folder
from opsrhythm.rituals.process_retro.links import RetroLinks
from opsrhythm.rituals.process_retro.models import (
    RetroEmailInput,
    RetroEmails,
    RetroMessage,
    RetroPlan,
)
from opsrhythm.rituals.process_retro.summary import Theme

SUBJECTS = {
    "action-review": "{ritual} {cycle}: where do your retro actions stand? By {due}",
    "invite": "{ritual} {cycle}: {process} retro, add your thoughts by {due}",
    "reminder": "Reminder: {ritual} {cycle} retro closes {due}",
    "vote": "{ritual} {cycle}: vote on the themes by {due}",
}
PARTICIPANT_KINDS = ("invite", "reminder", "vote")


def cycle_label(period: str) -> str:
    """'2026-W49 (from Mon 30 Nov 2026)': the cycle is named by its start week."""
    return f"{period} (from {IsoWeek.parse(period).start:%a %d %b %Y})"


def emails_folder(archive_dir: Path, workflow_id: str, run_id: str) -> Path:
    """Inside the run's archive folder, which this claims if the run renders here first."""
    return run_folder(archive_dir, workflow_id, run_id, 1) / "retro-emails"


def add_command(workflow_id: str, email: str, prompt_id: str) -> str:
    return f'opsrhythm retro add --retro {workflow_id} --as {email} --prompt {prompt_id} "TEXT"'


def vote_command(workflow_id: str, email: str) -> str:
    return f"opsrhythm retro vote {workflow_id} --as {email} GROUP..."


def action_commands(action: ActionItem) -> dict[str, str]:
    return {
        "done": f"opsrhythm actions done {action.action_id} --note TEXT",
        "drop": f"opsrhythm actions drop {action.action_id} --reason TEXT",
        "carry": f"opsrhythm actions carry {action.action_id} --due YYYY-MM-DD",
    }


def window_closes(plan: RetroPlan, kind: str) -> datetime:
    if kind == "action-review":
        return plan.action_review_closes_at
    return plan.voting_closes_at if kind == "vote" else plan.collection_closes_at


class RetroEmailRenderer:
    def __init__(
        self,
        templates_dir: Path,
        archive_dir: Path,
        links: RetroLinks | None,
        themes: Callable[[str], Sequence[Theme]] | None = None,
        zone_of: Callable[[str], str | None] = lambda email: None,
    ) -> None:
        """``themes``: the retro's groups by workflow id, listed in the vote email;
        ``zone_of``: a person's timezone by email, for a recipient the plan does not know."""
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir
        self._links = links
        self._themes = themes
        self._zone_of = zone_of

    def render_emails(
        self, input: RetroEmailInput, progress: Callable[[str], None] | None = None
    ) -> RetroEmails:
        """One stored email per recipient (an action owner with no open action gets none);
        ``progress`` is told how many are done."""
        if input.kind not in SUBJECTS:
            raise RenderError(f"render_retro_emails renders no {input.kind!r} email")
        folder = emails_folder(self._archive_dir, input.workflow_id, input.run_id)
        groups = self._groups(input)
        messages: list[RetroMessage] = []
        seen: set[str] = set()
        for person in input.recipients:
            key = person.email.strip().lower()
            # A decision is a record, not work: nothing to report done, dropped or carried.
            work = [a for a in input.open_actions if a.kind == "action"]
            actions = owned_actions(work, key)
            if key in seen or (input.kind == "action-review" and not actions):
                continue
            seen.add(key)
            email = self._email(input, person, actions, groups)
            path = folder / f"{input.kind}-{_file_name(key)}.json"
            _write_private(path, email.model_dump_json(indent=2).encode())
            recipient = Recipient(name=person.name, email=person.email)
            messages.append(RetroMessage(recipient=recipient, path=str(path)))
            if progress is not None:
                progress(str(len(messages)))
        return RetroEmails(messages=messages)

    def _groups(self, input: RetroEmailInput) -> list[Theme]:
        if input.kind != "vote" or self._themes is None:
            return []
        return [theme for theme in self._themes(input.workflow_id) if theme.items]

    def _email(
        self,
        input: RetroEmailInput,
        person: Contact,
        actions: list[ActionItem],
        groups: list[Theme],
    ) -> RenderedEmail:
        plan = input.plan
        email = person.email.strip().lower()
        person = person.model_copy(update={"timezone": self._zone(plan, person)})
        due = local_time(window_closes(plan, input.kind), person.timezone)
        context: dict[str, Any] = {
            "kind": input.kind,
            "plan": plan,
            "recipient": person,
            "cycle": cycle_label(plan.period),
            "due": due,
            "collection_closes": local_time(plan.collection_closes_at, person.timezone),
            "actions": [{"action": a, "commands": action_commands(a)} for a in actions],
            "prompts": [
                {"prompt": p, "command": add_command(input.workflow_id, email, p.prompt_id)}
                for p in plan.prompts
            ],
            "vote_command": vote_command(input.workflow_id, email),
            "groups": groups,
            "counts": input.counts,
            "url": self._url(input, email),
            "links_on": self._links is not None,
            "organization": plan.organization,
            "ritual_name": plan.ritual_name,
            "workflow_id": input.workflow_id,
        }
        folder = safe_name(plan.templates, "template folder")
        subject = SUBJECTS[input.kind].format(
            ritual=plan.ritual_name, cycle=plan.period, process=plan.process, due=due
        )
        return RenderedEmail(
            subject=subject,
            html=render_template(self._templates_dir, f"{folder}/request.html", context),
            text=render_template(self._templates_dir, f"{folder}/request.txt", context),
        )

    def _zone(self, plan: RetroPlan, person: Contact) -> str:
        """The recipient's own zone; an action owner comes from the store without one (UTC),
        so the plan's contacts, then the config's people, are asked."""
        if person.timezone != "UTC":
            return person.timezone
        wanted = person.email.strip().lower()
        for known in (plan.facilitator, *plan.participants):
            if known.email.strip().lower() == wanted:
                return known.timezone
        return self._zone_of(wanted) or person.timezone

    def _url(self, input: RetroEmailInput, email: str) -> str:
        if self._links is None or input.kind not in PARTICIPANT_KINDS:
            return ""
        # One link serves items then votes, so it lives until the actions window ends; the
        # page itself refuses what the current stage does not allow.
        expires = max(input.plan.voting_closes_at, input.plan.actions_close_at)
        return self._links.form_url(input.workflow_id, input.run_id, email, expires)
