"""Activities on the shared actions store: the open actions a kick-off lists, an owner's
updates, and the follow-up's notices (which are due, and each rendered for SEND_EMAIL).

The store and the send ledger are opened on first use, inside an activity, through
``open_in_activity``: a database that is down is retried by Temporal (``DatabaseOutages``).
Sync activities, run in the worker's thread pool: SQLAlchemy blocks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.exceptions import ApplicationError

from opsrhythm.platform.actions.follow_up import (
    PLAN_ACTION_NOTICES,
    RENDER_ACTION_NOTICE,
    ActionNotice,
    ActionNoticePlan,
    PlanActionNoticesInput,
    RenderActionNoticeInput,
    follow_up_workflow_id,
)
from opsrhythm.platform.actions.models import (
    APPLY_ACTION_UPDATES,
    LIST_OPEN_ACTIONS,
    ActionItem,
    AppliedActionUpdates,
    ApplyActionUpdatesInput,
    ListOpenActionsInput,
    OpenActions,
)
from opsrhythm.platform.actions.reminders import due_notice
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.ledger_keys import MessageKey
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.rendering import RenderError, render_template, safe_name, write_atomic

if TYPE_CHECKING:
    from opsrhythm.platform.actions.store import ActionStore
    from opsrhythm.platform.ledger import SendLedger

SUBJECTS = {
    "reminder-3d": "Reminder: due in 3 days: {title}",
    "reminder-1d": "Reminder: due tomorrow: {title}",
    "overdue": "Overdue: {title}",
}


class ActionActivities:
    def __init__(
        self,
        config: PlatformConfig,
        open_store: Callable[[], ActionStore],
        open_send_ledger: Callable[[], SendLedger],
        templates_dir: Path,
        archive_dir: Path,
    ) -> None:
        self._config = config
        self._open_store = open_store
        self._open_send_ledger = open_send_ledger
        self._templates_dir = templates_dir
        self._archive_dir = archive_dir

    @functools.cached_property
    def _store(self) -> ActionStore:
        return self._open_store()

    @functools.cached_property
    def _sends(self) -> SendLedger:
        return self._open_send_ledger()

    @activity.defn(name=LIST_OPEN_ACTIONS.name)
    def list_open_actions(self, input: ListOpenActionsInput) -> OpenActions:
        """The ritual's open actions (of every period) owned by any of ``owner_emails``, with
        its decisions in force (``kind`` 'decision': the record, never a to-do)."""
        found = self._store.find(
            ritual_id=input.ritual_id, owner_emails=input.owner_emails, states=["open"]
        )
        return OpenActions(actions=found)

    @activity.defn(name=APPLY_ACTION_UPDATES.name)
    def apply_action_updates(self, input: ApplyActionUpdatesInput) -> AppliedActionUpdates:
        """Apply what the owner sent; an action of someone else's, an unknown id or one no
        longer open is refused, named in ``refused``, and the rest still apply."""
        applied, refused = self._store.apply_updates(input.owner_email, input.updates)
        return AppliedActionUpdates(applied=applied, refused=refused)

    @activity.defn(name=PLAN_ACTION_NOTICES.name)
    def plan_action_notices(self, input: PlanActionNoticesInput) -> ActionNoticePlan:
        """The origin's notices due at ``now`` and not yet sent (or in doubt), and the moment
        of the next one."""
        workflow_id = follow_up_workflow_id(input.origin)
        plan = ActionNoticePlan()
        # A decision is never reminded nor overdue, and keeps no follow-up running.
        for action in self._store.find(origin=input.origin, states=["open"], kinds=["action"]):
            plan.open_actions += 1
            kind, next_at = due_notice(action.due, self._timezone(action.owner_email), input.now)
            if next_at is not None and (plan.next_at is None or next_at < plan.next_at):
                plan.next_at = next_at
            if kind is None:
                continue
            notice = ActionNotice(
                action_id=action.action_id,
                ritual_id=action.ritual_id,
                period=action.period,
                kind=kind,
                recipients=self._recipients(action, overdue=kind == "overdue"),
            )
            keys = [
                MessageKey(workflow_id, action.action_id, notice.message_kind, r.email)
                for r in notice.recipients
            ]
            # A failed send was released by the ledger: it is due again; 'sending' is in doubt
            # and waits for `opsrhythm ledger resolve`, never resent.
            settled = self._sends.statuses(keys).values()
            if sum(status != "failed" for status in settled) < len(keys):
                plan.due.append(notice)
        if plan.due:
            plan.ritual_name = self._ritual_name(plan.due[0].ritual_id)
            plan.ritual_owner = self._ritual_owner(plan.due[0].ritual_id)
        return plan

    @activity.defn(name=RENDER_ACTION_NOTICE.name)
    def render_action_notice(self, input: RenderActionNoticeInput) -> str:
        """The notice as an archived email for SEND_EMAIL; returns its path."""
        notice = input.notice
        try:
            action = self._store.get(notice.action_id)
        except KeyError:
            raise ApplicationError(
                f"action {notice.action_id} is not in the store",
                type="RenderError",
                non_retryable=True,
            ) from None
        context = {
            "action": action,
            "notice": notice,
            "organization": self._config.organization.name,
            "ritual_name": self._ritual_name(action.ritual_id),
            "commands": {
                "done": f"opsrhythm actions done {action.action_id} --note TEXT",
                "drop": f"opsrhythm actions drop {action.action_id} --reason TEXT",
            },
        }
        try:
            email = RenderedEmail(
                subject=SUBJECTS[notice.kind].format(title=action.title),
                html=render_template(self._templates_dir, f"actions/{notice.kind}.html", context),
                text=render_template(self._templates_dir, f"actions/{notice.kind}.txt", context),
            )
            folder = self._archive_dir / safe_name(input.workflow_id, "workflow id") / "actions"
            path = folder / f"{safe_name(action.action_id, 'action id')}-{notice.kind}.json"
        except RenderError as error:
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None
        write_atomic(path, email.model_dump_json(indent=2).encode())
        return str(path.resolve())

    def _timezone(self, email: str) -> str:
        """The owner's own timezone; someone gone from the config, the organisation's."""
        people = self._config.people
        person = next((p for p in people if p.email.lower() == email.lower()), None)
        return person.timezone if person else self._config.organization.timezone

    def _recipients(self, action: ActionItem, *, overdue: bool) -> list[Recipient]:
        owner = Recipient(name=action.owner_name or action.owner_email, email=action.owner_email)
        lead = self._ritual_owner(action.ritual_id) if overdue else None
        if lead is None or lead.email.lower() == owner.email.lower():
            return [owner]
        return [owner, lead]

    def _ritual_owner(self, ritual_id: str) -> Recipient | None:
        ritual = next((r for r in self._config.rituals if r.id == ritual_id), None)
        if ritual is None:
            return None
        lead = self._config.person(ritual.owner)
        return Recipient(name=lead.name, email=lead.email)

    def _ritual_name(self, ritual_id: str) -> str:
        ritual = next((r for r in self._config.rituals if r.id == ritual_id), None)
        return ritual.name if ritual else ritual_id
