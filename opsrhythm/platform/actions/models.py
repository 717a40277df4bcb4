"""An action as every ritual and command sees it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from opsrhythm.platform.activity_ref import ActivityRef

ActionState = Literal["open", "done", "dropped", "carried"]
ActionKind = Literal["action", "decision"]
"""A decision is a record, not work: never reminded, overdue or carried; 'open' while in force
(dropped or done once superseded)."""


class ActionItem(BaseModel):
    action_id: str = Field(description="Stable id: its origin's workflow id and a number.")
    origin: str = Field(description="The workflow id of the run that recorded it.")
    ritual_id: str
    period: str
    title: str
    owner_email: str
    owner_name: str = ""
    due: date = Field(description="For a decision, the day it was recorded.")
    state: ActionState = "open"
    kind: ActionKind = "action"
    carried_from: str | None = Field(
        default=None, description="The action this one continues, when carried to a new period."
    )
    note: str = Field(default="", description="The latest update from its owner.")
    updated_at: datetime | None = None


def owned_actions(actions: list[ActionItem], email: str) -> list[ActionItem]:
    """``email``'s open actions, to update; decisions are records, with nothing to update."""
    wanted = email.strip().lower()
    return [
        a
        for a in actions
        if a.owner_email.strip().lower() == wanted and a.state == "open" and a.kind == "action"
    ]


def decisions_in_force(actions: list[ActionItem]) -> list[ActionItem]:
    return [a for a in actions if a.kind == "decision" and a.state == "open"]


class ListOpenActionsInput(BaseModel):
    """Open actions owned by any of ``owner_emails`` (every owner when empty), for a kick-off."""

    ritual_id: str
    owner_emails: list[str] = Field(default_factory=list)


class ActionUpdate(BaseModel):
    """An owner's update to one of their actions, sent with their status update."""

    action_id: str
    state: Literal["open", "done", "dropped"] = "open"
    note: str = Field(default="", max_length=2000)


class ApplyActionUpdatesInput(BaseModel):
    """Apply updates from ``owner_email``: only actions that person owns change."""

    owner_email: str
    updates: list[ActionUpdate]


class OpenActions(BaseModel):
    actions: list[ActionItem]


class AppliedActionUpdates(BaseModel):
    applied: list[str] = Field(description="Action ids changed.")
    refused: list[str] = Field(description="'<id>: why' for updates not applied.")


LIST_OPEN_ACTIONS = ActivityRef[ListOpenActionsInput, OpenActions]("list_open_actions", OpenActions)
APPLY_ACTION_UPDATES = ActivityRef[ApplyActionUpdatesInput, AppliedActionUpdates](
    "apply_action_updates", AppliedActionUpdates
)
