"""The process retrospective's registry entry: a cycle of N weeks, named by its start week."""

from opsrhythm.platform.periods import IsoWeek
from opsrhythm.platform.ritual_kind import PeriodicKind

PROCESS_RETRO = PeriodicKind(
    kind="process_retro",
    period=IsoWeek,
    workflow="ProcessRetroWorkflow",
    templates="process_retro",
    worker="opsrhythm.rituals.process_retro.worker:worker_parts",
    commands="opsrhythm.rituals.process_retro.cli:COMMANDS",
    web_routes="opsrhythm.rituals.process_retro.web:web_routes",
    status_details="opsrhythm.rituals.process_retro.status:status_details",
    show_result="opsrhythm.rituals.process_retro.commands:print_result",
    config_model="opsrhythm.rituals.process_retro.config:ProcessRetroRitual",
)
