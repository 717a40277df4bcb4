"""The follow-up of an origin's actions: reminders to the owner before the due date, and one
overdue notice to the owner and the ritual's owner. Models and activity references shared by
``workflows/action_follow_up.py``, ``activities/actions.py`` and the commands that start it.

One ``ActionFollowUpWorkflow`` per origin (id ``actions-<origin>``), signalled with start by
every command that changes the origin's actions. Each notice is a send-ledger key
(``actions-<origin>``, action id, ``action-<kind>``, email), so nobody gets one twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from opsrhythm.platform.activity_ref import ActivityRef
from opsrhythm.platform.models import Recipient

FOLLOW_UP_WORKFLOW = "ActionFollowUpWorkflow"
ACTIONS_CHANGED_SIGNAL = "actions_changed"
"""Sent (with start) by ``opsrhythm actions add|done|drop|carry``: look at the actions again."""

NoticeKind = Literal["reminder-3d", "reminder-1d", "overdue"]


def follow_up_workflow_id(origin: str) -> str:
    return f"actions-{origin}"


class ActionFollowUpInput(BaseModel):
    origin: str = Field(description="The workflow id whose actions are followed up.")
    checks_per_run: int = Field(
        default=50, description="Checks before it continues as new, keeping its history short."
    )
    given_up: list[str] = Field(
        default_factory=list,
        description="Notices ('<action id>/<kind>') refused for good or too often: not tried "
        "again, and the ritual's owner already told (carried into the next run).",
    )
    failed_tries: dict[str, int] = Field(
        default_factory=dict, description="Failed attempts so far of each notice not given up."
    )


class PlanActionNoticesInput(BaseModel):
    origin: str
    now: datetime


class ActionNotice(BaseModel):
    """One email due now: a reminder to the owner, or the overdue notice (owner and the
    ritual's owner). The title and dates are read from the store when it is rendered."""

    action_id: str
    ritual_id: str
    period: str
    kind: NoticeKind
    recipients: list[Recipient]

    @property
    def message_kind(self) -> str:
        return f"action-{self.kind}"

    @property
    def key(self) -> str:
        return f"{self.action_id}/{self.kind}"


class ActionNoticePlan(BaseModel):
    due: list[ActionNotice] = Field(default_factory=list)
    next_at: datetime | None = Field(
        default=None, description="The next notice's moment (UTC); None: nothing left to send."
    )
    open_actions: int = 0
    ritual_name: str = Field(default="", description="For a notice to the ritual's owner.")
    ritual_owner: Recipient | None = Field(
        default=None, description="Told when a notice cannot be sent; None: not configured."
    )


class RenderActionNoticeInput(BaseModel):
    workflow_id: str
    notice: ActionNotice


PLAN_ACTION_NOTICES = ActivityRef[PlanActionNoticesInput, ActionNoticePlan](
    "plan_action_notices", ActionNoticePlan
)
RENDER_ACTION_NOTICE = ActivityRef[RenderActionNoticeInput, str]("render_action_notice", str)
