"""What the retro's summary says, worked out before any template sees it: the ranked themes,
this retro's actions, what became of the earlier ones, the participation rate and the share of
the ritual's actions done on time across all its retros.

Pure functions over the retro store's themes and the actions store's rows, so the maths is
tested without a database. Nothing here knows who wrote an item: a theme's items carry their
text and, only when the author signed it, the author's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from opsrhythm.platform.actions.models import ActionItem
from opsrhythm.rituals.process_retro.models import RetroCounts, RetroPlan


class ThemeItem(Protocol):
    @property
    def prompt_id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def signed_name(self) -> str | None: ...


class Theme(Protocol):
    """A group of items as the retro store ranks it (``RetroStore.ranked_groups``)."""

    @property
    def group_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def votes(self) -> int: ...
    @property
    def items(self) -> Sequence[ThemeItem]: ...


class RetroReader(Protocol):
    """The retro store's read side (``RetroStore``) that the emails and the summary use."""

    def ranked_groups(self, workflow_id: str) -> Sequence[Theme]: ...
    def counts(self, workflow_id: str) -> RetroCounts: ...


@dataclass(frozen=True)
class ThemeView:
    rank: int
    theme: Theme


@dataclass(frozen=True)
class OutcomeView:
    action: ActionItem
    outcome: str


@dataclass(frozen=True)
class OnTimeShare:
    """The ritual's actions (a carried action and its continuations count once, against the
    due date first agreed) whose outcome is known: closed, or past that due date."""

    counted: int = 0
    on_time: int = 0
    late: int = 0
    dropped: int = 0
    overdue: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.counted) if self.counted else None


@dataclass(frozen=True)
class SummaryView:
    plan: RetroPlan
    themes: list[ThemeView]
    actions: list[ActionItem]
    decisions: list[ActionItem]
    outcomes: list[OutcomeView]
    counts: RetroCounts
    on_time: OnTimeShare

    @property
    def empty(self) -> bool:
        return not self.themes

    @property
    def invited(self) -> int:
        return len(self.plan.participants)


def ranked(themes: Sequence[Theme]) -> list[ThemeView]:
    """Most dots first, ties in the store's order sharing a rank (1, 2, 2, 4); no empty group."""
    kept = sorted((t for t in themes if t.items), key=lambda t: -t.votes)
    views: list[ThemeView] = []
    for position, theme in enumerate(kept, start=1):
        tied = bool(views) and views[-1].theme.votes == theme.votes
        views.append(ThemeView(rank=views[-1].rank if tied else position, theme=theme))
    return views


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "n/a"


def decided_here(
    actions: Sequence[ActionItem], workflow_id: str, kind: str = "action"
) -> list[ActionItem]:
    """The actions (or decisions) this retro recorded under its id, not carried into it."""
    return [
        a for a in actions if a.origin == workflow_id and a.carried_from is None and a.kind == kind
    ]


def outcomes(reviewed: Sequence[ActionItem], ritual: Sequence[ActionItem]) -> list[OutcomeView]:
    """Each reviewed action as the store holds it now (``ritual``: all the ritual's actions)."""
    by_id = {a.action_id: a for a in ritual}
    continued = {a.carried_from: a for a in ritual if a.carried_from}
    views = []
    for earlier in (a for a in reviewed if a.kind == "action"):
        action = by_id.get(earlier.action_id, earlier)
        views.append(OutcomeView(action, _outcome(action, continued.get(action.action_id))))
    return views


def _outcome(action: ActionItem, continuation: ActionItem | None) -> str:
    note = f": {action.note}" if action.note else ""
    if action.state == "done":
        return f"done{note}"
    if action.state == "dropped":
        return f"dropped{note}"
    if action.state == "carried" and continuation is not None:
        return f"carried as {continuation.action_id}, now due {continuation.due.isoformat()}"
    if action.state == "carried":
        return f"carried{note}"
    return "no report from its owner: still open, reviewed again at the next retro"


def on_time_share(actions: Sequence[ActionItem], today: date) -> OnTimeShare:
    """The share of ``actions`` (one ritual's; decisions left out) done by their first due
    date, as of ``today``.

    A carried action missed its date, so it counts once, with its last continuation's outcome
    and its first due date. Done on time: closed as done on or before that date (UTC). An action
    still open counts once that date has passed; one not yet due does not count yet.
    """
    actions = [a for a in actions if a.kind == "action"]
    by_id = {a.action_id: a for a in actions}
    continued = {a.carried_from: a for a in actions if a.carried_from}
    counted = on_time = late = dropped = overdue = 0
    for first in actions:
        if first.carried_from in by_id:
            continue
        last, seen = first, {first.action_id}
        while last.action_id in continued and continued[last.action_id].action_id not in seen:
            last = continued[last.action_id]
            seen.add(last.action_id)
        if last.state == "done":
            closed_on = last.updated_at.date() if last.updated_at else today
            if closed_on <= first.due:
                on_time += 1
            else:
                late += 1
        elif last.state == "dropped":
            dropped += 1
        elif first.due < today:
            overdue += 1
        else:
            continue
        counted += 1
    return OnTimeShare(counted, on_time, late, dropped, overdue)


def summary_view(
    plan: RetroPlan,
    workflow_id: str,
    themes: Sequence[Theme],
    counts: RetroCounts,
    reviewed: Sequence[ActionItem],
    ritual_actions: Sequence[ActionItem],
    today: date,
) -> SummaryView:
    return SummaryView(
        plan=plan,
        themes=ranked(themes),
        actions=decided_here(ritual_actions, workflow_id),
        decisions=decided_here(ritual_actions, workflow_id, "decision"),
        outcomes=outcomes(reviewed, ritual_actions),
        counts=counts,
        on_time=on_time_share(ritual_actions, today),
    )
