"""The process retro's email activities: the emails to action owners and participants, and the
summary.

Rendering signs the participants' page links in the worker, where OPSRHYTHM_SECRET lives, so
neither the secret nor the links enter workflow history: only the stored emails' paths do. The
themes and the actions are read here, from the retro store and the actions store, opened on
first use inside an activity (``open_in_activity``: a database that is down is retried by
Temporal). Sync activities, run in the worker's thread pool: SQLAlchemy blocks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.progress import heartbeat
from opsrhythm.platform.rendering import RenderError
from opsrhythm.platform.ritual_kind import WorkerContext
from opsrhythm.rituals.process_retro.links import RetroLinks, retro_links_from_environment
from opsrhythm.rituals.process_retro.models import (
    RENDER_RETRO_EMAILS,
    RENDER_RETRO_SUMMARY,
    RenderedSummary,
    RenderSummaryInput,
    RetroEmailInput,
    RetroEmails,
)
from opsrhythm.rituals.process_retro.rendering import RetroEmailRenderer
from opsrhythm.rituals.process_retro.summary import RetroReader, summary_view
from opsrhythm.rituals.process_retro.summary_email import SummaryRenderer

if TYPE_CHECKING:
    from opsrhythm.platform.actions.store import ActionStore
    from opsrhythm.rituals.process_retro.store import RetroStore


class ProcessRetroActivities:
    def __init__(
        self,
        context: WorkerContext,
        links: Callable[[], RetroLinks | None] = retro_links_from_environment,
        open_retro_store: Callable[[], RetroReader] | None = None,
        open_action_store: Callable[[], ActionStore] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``links``: how participants' links are signed (None: the emails give commands);
        the stores default to ``OPSRHYTHM_DATABASE_URL``; ``clock`` dates the on-time share."""
        self._open_retro_store = open_retro_store or _open_retro_store
        self._open_action_store = open_action_store or _open_action_store
        self._clock = clock
        self._emails = RetroEmailRenderer(
            context.templates_dir,
            context.archive_dir,
            links(),
            themes=lambda workflow_id: self._retro.ranked_groups(workflow_id),
            zone_of=lambda email: next(
                (p.timezone for p in context.config.people if p.email.lower() == email), None
            ),
        )
        self._summary = SummaryRenderer(context.templates_dir, context.archive_dir)

    @functools.cached_property
    def _retro(self) -> RetroReader:
        return self._open_retro_store()

    @functools.cached_property
    def _actions(self) -> ActionStore:
        return self._open_action_store()

    @activity.defn(name=RENDER_RETRO_EMAILS.name)
    def render_retro_emails(self, input: RetroEmailInput) -> RetroEmails:
        """One action-review, invite, reminder or vote email per recipient; heartbeats with how
        many are done (never an address: heartbeat details show in the UI)."""
        if not input.run_id and activity.in_activity():
            input = input.model_copy(update={"run_id": activity.info().workflow_run_id or ""})
        try:
            return self._emails.render_emails(input, heartbeat)
        except RenderError as error:
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None

    @activity.defn(name=RENDER_RETRO_SUMMARY.name)
    def render_retro_summary(self, input: RenderSummaryInput) -> RenderedSummary:
        """The summary for the ritual's audiences, archived; never blank (an empty retro says
        so). Counts come from the input when the workflow has them, else from the store."""
        run_id = (activity.info().workflow_run_id or "") if activity.in_activity() else ""
        plan = input.plan
        view = summary_view(
            plan,
            input.workflow_id,
            themes=self._retro.ranked_groups(input.workflow_id),
            counts=input.counts or self._retro.counts(input.workflow_id),
            reviewed=input.reviewed_actions,
            ritual_actions=self._actions.find(ritual_id=plan.ritual_id),
            today=self._clock().astimezone(UTC).date(),
        )
        heartbeat("summary")
        try:
            return self._summary.render(view, input.workflow_id, run_id)
        except RenderError as error:
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None


def _open_retro_store() -> RetroStore:
    from opsrhythm.platform.stores import open_in_activity
    from opsrhythm.rituals.process_retro.store import RetroStore

    return open_in_activity(RetroStore.from_url)


def _open_action_store() -> ActionStore:
    from opsrhythm.platform.actions.store import ActionStore
    from opsrhythm.platform.stores import open_in_activity

    return open_in_activity(ActionStore.from_url)
