"""The ``approval:`` block of a ritual: who signs the draft off, and what happens if nobody does."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from opsrhythm.platform.config_types import Slug, StrictModel

Duration = Annotated[str, Field(pattern=r"^(\d+[dhm])+$", examples=["3d", "1d12h", "90m"])]
Reminder = Annotated[
    str, Field(pattern=r"^(after|before) (\d+[dhm])+$", examples=["after 2d", "before 1d"])
]


class Approval(StrictModel):
    """Who must sign a ritual's draft off before it goes out, and what happens if nobody does."""

    approvers: list[Slug] = Field(min_length=1, description="Ids of the people who may decide.")
    policy: Literal["any", "all", "n_of_m"] = Field(
        default="any",
        description="any: one approval; all: every approver but the requester; n_of_m: "
        "'required' approvals.",
    )
    required: int | None = Field(default=None, ge=1, description="n_of_m: approvals needed.")
    veto: list[Slug] = Field(
        default_factory=list, description="Approvers whose rejection ends the request at once."
    )
    requester: Slug | None = Field(
        default=None,
        description="Who asks (default: the ritual owner); never approves their own request.",
    )
    deadline: Duration = Field(default="3d", description="Time to decide: '3d', '1d12h', '90m'.")
    reminders: list[Reminder] = Field(
        default_factory=lambda: ["before 1d"],
        description="When undecided approvers are reminded: 'after 2d' (from the request) or "
        "'before 1d' (the deadline).",
    )
    on_timeout: Literal["escalate", "approve", "reject"] = Field(
        default="reject",
        description="At the deadline: escalate to backup_approver, approve, or reject and stop.",
    )
    backup_approver: Slug | None = Field(
        default=None, description="Who decides after an escalation (on_timeout: escalate)."
    )
    redraft_after: Duration | None = Field(
        default=None,
        description="After a request for changes, draft again on its own this long after "
        "('2d'); unset, the run waits for the owner's 'opsrhythm redraft' or redraft link.",
    )
