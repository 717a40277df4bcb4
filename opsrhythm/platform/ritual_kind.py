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

OUTCOMES_SETTLED_SIGNAL = "outcomes_settled"
"""``ledger resolve`` tells a waiting run (of a kind that ``settles_outcomes``) that an operator
settled its unknown outcomes: it sends whoever was released, and finishes once none is left."""
PENDING_RESULT_QUERY = "pending_result"
"""While such a run waits to be settled, the result it would finish with (else None):
``run --wait`` prints it and returns instead of waiting for days."""

if TYPE_CHECKING:
    from starlette.routing import BaseRoute
    from temporalio.client import Client

    from opsrhythm.platform.approvals.links import LinkSigner
    from opsrhythm.platform.approvals.store import UsedLinks
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
class WebContext:
    """What ``opsrhythm web`` hands every kind's pages: what its app is built from."""

    client: Client
    signer: LinkSigner
    used: UsedLinks
    templates_dir: Path
    archive_dir: Path
    organization: str


@dataclass(frozen=True, kw_only=True)
class RitualKind:
    """What every kind declares: its name, its worker wiring and its commands."""

    kind: str
    """Its name, and the ``kind:`` tag of its ``rituals[]`` entries if it has any."""
    worker: str
    """``module:function`` taking a ``WorkerContext`` and returning its ``WorkerParts``."""
    commands: str | None = None
    """``module:attribute``: its tuple of CLI ``Command``s (a light module: no heavy imports)."""
    web_routes: str | None = None
    """``module:function`` taking a ``WebContext`` and returning its pages' Starlette routes
    (those behind the links in its emails), served by ``opsrhythm web``."""

    def worker_parts(self, context: WorkerContext) -> WorkerParts:
        parts: WorkerParts = load(self.worker)(context)
        return parts

    def routes(self, context: WebContext) -> list[BaseRoute]:
        """Its pages' routes; none if it declares no ``web_routes``."""
        if self.web_routes is None:
            return []
        return list(load(self.web_routes)(context))


@dataclass(frozen=True, kw_only=True)
class PeriodicKind(RitualKind):
    """A kind set up by ``rituals[]`` entries and run once per period: by ``opsrhythm run``, by
    its schedule, or again after a failure."""

    period: PeriodType
    """The workflow id of a run is ``<ritual id>-<period>``."""
    workflow: str
    """The workflow type a run starts by name, with a ``RitualRunInput``."""
    config_model: str
    """``module:class`` of its ``rituals[]`` entry, a ``RitualBase`` subclass."""
    templates: str | None = None
    """Its email templates' folder under ``templates/``; a ritual's ``templates:`` overrides it."""
    show_result: str | None = None
    """``module:function`` printing a finished run's result (``run --wait``) and returning the
    command's exit code (``run_handlers.EXIT_NEEDS_ATTENTION``, or 0); None: a line."""
    status_details: str | None = None
    """``module:function``: async, given a client and a run's workflow id, the kind's own lines
    for ``opsrhythm status WF`` and its fields for ``--json`` (beyond step and approval)."""
    settles_outcomes: bool = False
    """Its runs wait, in step "needs attention", to be settled: they answer
    ``PENDING_RESULT_QUERY`` and take ``OUTCOMES_SETTLED_SIGNAL``."""

    def load_config_model(self) -> type[RitualBase]:
        model: type[RitualBase] = load(self.config_model)
        return model


def load(reference: str) -> Any:
    """Import ``module:attribute``."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)
