"""Feedback triage's registry entry; it is set up by the config's ``feedback:`` section."""

from opsrhythm.platform.periods import IsoWeek
from opsrhythm.platform.ritual_kind import RitualKind

FEEDBACK_TRIAGE = RitualKind(
    kind="feedback_triage",
    description="Route every piece of feedback to its owner within an SLA, and close the loop.",
    period=IsoWeek,
    workflow="FeedbackSlaWorkflow",
    worker="opsrhythm.rituals.feedback.worker:worker_parts",
    commands="opsrhythm.rituals.feedback.cli:COMMANDS",
)
