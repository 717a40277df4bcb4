"""Activities that render approval emails and owner notices; the email activity sends them.

Rendering signs each approver's links in the worker, where OPSRHYTHM_SECRET lives, so neither
the secret nor the links ever enter workflow history: only the stored emails' paths do. Links
name the asking run: the context's run id, else the run that scheduled the activity.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.progress import heartbeat
from opsrhythm.platform.approvals.models import (
    RENDER_APPROVAL_EMAILS,
    RENDER_APPROVAL_NOTICE,
    ApprovalContext,
    ApprovalEmailInput,
    ApprovalEmails,
    ApprovalNoticeInput,
)
from opsrhythm.platform.approvals.rendering import ApprovalRenderer
from opsrhythm.platform.rendering import RenderError


class ApprovalActivities:
    def __init__(self, renderer: ApprovalRenderer) -> None:
        self._renderer = renderer

    @activity.defn(name=RENDER_APPROVAL_EMAILS.name)
    def render_approval_emails(self, input: ApprovalEmailInput) -> ApprovalEmails:
        """One request, reminder or escalation email per recipient, each with its own links.

        Heartbeats after each recipient's email, with how many are done (never their address:
        heartbeat details are shown in the UI).
        """
        input = input.model_copy(update={"context": _with_run(input.context)})
        try:
            return self._renderer.render_emails(input, heartbeat)
        except RenderError as error:
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None

    @activity.defn(name=RENDER_APPROVAL_NOTICE.name)
    def render_approval_notice(self, input: ApprovalNoticeInput) -> str:
        """The owner's notice of an approval event; returns the stored email's path."""
        input = input.model_copy(update={"context": _with_run(input.context)})
        try:
            return self._renderer.render_notice(input)
        except RenderError as error:
            raise ApplicationError(str(error), type="RenderError", non_retryable=True) from None


def _with_run(context: ApprovalContext) -> ApprovalContext:
    # A ritual that does not name its run in the context (or a run from before it did) still
    # gets links bound to the run that asked: the one that scheduled this activity.
    if context.run_id:
        return context
    return context.model_copy(update={"run_id": activity.info().workflow_run_id or ""})
