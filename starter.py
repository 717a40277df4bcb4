"""The ``opsrhythm`` console script: the platform's commands, the app's and every ritual kind's.

Building the parser imports only the light modules that declare commands (see
``opsrhythm.platform.cli``), so ``opsrhythm --help`` starts fast; a command's handler is
imported when it runs. ``main(argv)`` returns the exit code. As the console script (``main()``,
reading ``sys.argv``) it ends the process itself after a command that used Temporal: see
``_exit_now``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsrhythm.platform import cli
from opsrhythm.platform.actions.cli import COMMANDS as ACTION_COMMANDS
from opsrhythm.platform.approvals.cli import COMMANDS as APPROVAL_COMMANDS
from opsrhythm.platform.cli import CliContext, Command, Declaration
from opsrhythm.platform.db.cli import COMMANDS as DB_COMMANDS
from opsrhythm.platform.ledger_cli import COMMANDS as LEDGER_COMMANDS
from opsrhythm.platform.ritual_kind import load
from opsrhythm.platform.run_cli import COMMANDS as RUN_COMMANDS
from opsrhythm.platform.schedules.cli import COMMANDS as SCHEDULE_COMMANDS
from opsrhythm.registry import RITUAL_KINDS

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.worker import Worker

    from opsrhythm.platform.config import PlatformConfig

EXAMPLE_PERIOD = "2026-10"
APP = "opsrhythm.app_handlers"


def _demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--period", default=EXAMPLE_PERIOD, help=f"YYYY-MM (default {EXAMPLE_PERIOD})"
    )


def _web(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--config",
        help="config file: company name, feedback pages (default: $OPSRHYTHM_CONFIG)",
    )


APP_COMMANDS: tuple[Declaration, ...] = (
    Command(
        "demo",
        "Run the monthly KPI report for the example company on an embedded server.",
        "opsrhythm.rituals.kpi_report.commands:demo_command",
        _demo,
        config=False,
    ),
    Command(
        "validate", "Check the config file and print what it defines.", f"{APP}:validate", json=True
    ),
    cli.Group("config", "Config helpers."),
    Command(
        "config schema",
        "Print the config's JSON Schema (for editor autocompletion).",
        f"{APP}:config_schema",
        config=False,
    ),
)
PLATFORM_COMMANDS = (
    *RUN_COMMANDS,
    *SCHEDULE_COMMANDS,
    *APPROVAL_COMMANDS,
    *DB_COMMANDS,
    *LEDGER_COMMANDS,
    *ACTION_COMMANDS,
)
WEB_COMMANDS = (
    Command(
        "web",
        "Serve the pages behind email links (binds to 127.0.0.1 unless --host is given).",
        f"{APP}:web",
        _web,
        config=False,
    ),
)


def commands() -> list[Declaration]:
    """Every command, in the order ``--help`` lists them; each ritual kind's come last."""
    kinds = [load(kind.commands) for kind in RITUAL_KINDS if kind.commands]
    return [
        *APP_COMMANDS,
        *PLATFORM_COMMANDS,
        *WEB_COMMANDS,
        *(declaration for declared in kinds for declaration in declared),
    ]


def build_parser() -> argparse.ArgumentParser:
    return cli.build_parser(commands())


class _Configs:
    """The config loader, imported (with pydantic and every kind's models) on first use."""

    def path(self, explicit: str | None) -> Path:
        from opsrhythm.config_loader import config_path

        return config_path(explicit)

    def load(self, explicit: str | None, *, check_calendars: bool = False) -> PlatformConfig:
        from opsrhythm.config_loader import load_config

        return load_config(explicit, check_calendars=check_calendars)


def _build_worker(client: Client, config: PlatformConfig, **options: Any) -> Worker:
    from worker import build_worker

    return build_worker(client, config, **options)


def context() -> CliContext:
    return CliContext(configs=_Configs(), kinds=RITUAL_KINDS, worker_factory=_build_worker)


def main(argv: Sequence[str] | None = None) -> int:
    code = cli.main(commands(), argv, context())
    if argv is None and _exit_now():
        # Temporal's core runtime can abort the interpreter's shutdown after a short client
        # command (sdk-python #300: "Fatal Python error: PyGILState_Release", exit 134) even
        # though the command finished: flush, then leave without that shutdown.
        for stream in (sys.stdout, sys.stderr):
            # A closed pipe must not change the exit code.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    return code


def _exit_now() -> bool:
    """Whether this process loaded Temporal's native bridge, whose threads outlive ``main``."""
    return "temporalio.bridge.temporal_sdk_bridge" in sys.modules


if __name__ == "__main__":
    raise SystemExit(main())
