"""Every ritual kind OpsRhythm runs. A new kind is a new package under ``opsrhythm/rituals/``
(its ``kind.py`` declares it) plus one line here; see docs/architecture.md."""

from opsrhythm.platform.ritual_kind import RitualKind
from opsrhythm.rituals.feedback.kind import FEEDBACK_TRIAGE
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from opsrhythm.rituals.process_retro.kind import PROCESS_RETRO
from opsrhythm.rituals.strategy_review.kind import STRATEGY_REVIEW

RITUAL_KINDS: tuple[RitualKind, ...] = (
    KPI_REPORT,
    FEEDBACK_TRIAGE,
    STRATEGY_REVIEW,
    PROCESS_RETRO,
)
