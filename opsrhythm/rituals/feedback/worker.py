"""Feedback triage's workflows and activities, wired to the worker's clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from activities.feedback import FeedbackActivities
from activities.feedback_sla import FeedbackSlaActivities
from opsrhythm.platform.ritual_kind import WorkerContext, WorkerParts
from opsrhythm.rituals.feedback.links import links_from_environment
from workflows.feedback_sla import FeedbackSlaWorkflow
from workflows.feedback_triage import FeedbackTriageWorkflow

if TYPE_CHECKING:
    from opsrhythm.config import OpsRhythmConfig
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger


def worker_parts(context: WorkerContext) -> WorkerParts:
    config = cast("OpsRhythmConfig", context.config)
    feedback = FeedbackActivities(config.feedback, _open_feedback_ledger)
    sla = FeedbackSlaActivities(
        config,
        _open_feedback_ledger,
        context.send_ledger,
        context.transport,
        links_from_environment(),
    )
    return WorkerParts(
        workflows=[FeedbackTriageWorkflow, FeedbackSlaWorkflow],
        activities=[
            feedback.plan_feedback_import,
            feedback.triage_feedback_chunk,
            sla.sweep_sla,
        ],
    )


def _open_feedback_ledger() -> FeedbackLedger:
    # SQLAlchemy loads on the first sweep or import, not at worker start.
    from opsrhythm.platform.stores import open_in_activity
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

    return open_in_activity(FeedbackLedger.from_url)
