"""What a ritual kind declares, in one place, for the worker, the CLI, schedules and the config.

Everything heavy is named by ``"module:attribute"`` and imported only when used, so that
``opsrhythm --help`` and the commands that only read the database stay light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsrhythm.platform.periods import PeriodType

if TYPE_CHECKING:
    from opsrhythm.platform.config import PlatformConfig, RitualBase
    from opsrhythm.platform.ledger import SendLedger
    from opsrhythm.platform.mail.contract import MailTransport


@dataclass(frozen=True)
class WorkerContext:
    """What the worker process hands every kind's activities: clients from the environment."""

    config: PlatformConfig
    templates_dir: Path
    archive_dir: Path
    transport: MailTransport
    send_ledger: Callable[[], SendLedger]


@dataclass(frozen=True)
class WorkerParts:
    workflows: Sequence[type]
    activities: Sequence[Callable[..., Any]]


@dataclass(frozen=True)
class RitualKind:
    kind: str
    """The ``kind:`` tag of its ``rituals[]`` entries, and its name for ``worker --rituals``."""
    description: str
    period: PeriodType
    """One run per period; the workflow id is ``<ritual id>-<period>``."""
    workflow: str
    """The workflow type a run, a schedule or a re-run starts, with ``RitualRunInput``."""
    worker: str
    """``module:function`` taking a ``WorkerContext`` and returning its ``WorkerParts``."""
    templates: str | None = None
    """Its email templates' folder under ``templates/``; a ritual's ``templates:`` overrides it."""
    commands: str | None = None
    """``module:attribute``: its tuple of CLI ``Command``s (a light module: no heavy imports)."""
    show_result: str | None = None
    """``module:function`` printing a finished run's result (``run --wait``); None: a line."""
    config_model: str | None = None
    """``module:class`` of its ``rituals[]`` entry; None for a kind set up by its own section."""

    def load_config_model(self) -> type[RitualBase] | None:
        return None if self.config_model is None else load(self.config_model)

    def worker_parts(self, context: WorkerContext) -> WorkerParts:
        parts: WorkerParts = load(self.worker)(context)
        return parts


def load(reference: str) -> Any:
    """Import ``module:attribute``."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
