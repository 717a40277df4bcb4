"""Feedback triage's registry entry. It is set up by the config's ``feedback:`` section and
driven by imports and its SLA watcher, not run once per period."""

from opsrhythm.platform.ritual_kind import RitualKind

FEEDBACK_TRIAGE = RitualKind(
    kind="feedback_triage",
    worker="opsrhythm.rituals.feedback.worker:worker_parts",
    commands="opsrhythm.rituals.feedback.cli:COMMANDS",
)
