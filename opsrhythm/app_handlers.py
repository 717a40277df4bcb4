"""What the app's own commands do: ``validate``, ``config schema`` and ``web``.

They belong to the app, not the platform: they need the whole config model (every ritual kind's
sections) or the web app that assembles every kind's pages.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from opsrhythm.platform.cli import EXIT_USAGE, CliContext
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.config_errors import ConfigError, ConfigProblem
from opsrhythm.platform.terminal import print_json


def validate(args: argparse.Namespace, context: CliContext) -> int:
    """Load the config with every check; say what it defines, or (``--json``) every problem."""
    path = context.configs.path(args.config)
    try:
        config = context.config(args, check_calendars=True)
    except ConfigError as error:
        if not args.json:
            raise
        print_json(_invalid(path, error.problems))
        return EXIT_USAGE
    if args.json:
        print_json(_valid(path, config))
        return 0
    print(
        f"{path} is valid: {len(config.people)} people, "
        f"{len(config.audiences)} audiences, {len(config.sources)} sources, "
        f"{len(config.kpis)} KPIs, {len(config.rituals)} rituals "
        f"({', '.join(r.id for r in config.rituals) or 'none'})"
    )
    return 0


def _valid(path: Path, config: PlatformConfig) -> dict[str, Any]:
    return {
        "config_file": str(path),
        "valid": True,
        "problems": [],
        "people": len(config.people),
        "audiences": len(config.audiences),
        "sources": len(config.sources),
        "kpis": len(config.kpis),
        "rituals": [
            {
                "id": ritual.id,
                "kind": ritual.kind,
                "name": ritual.name,
                "scheduled": ritual.schedule is not None,
                "approval": ritual.approval is not None,
            }
            for ritual in config.rituals
        ],
        "feedback": getattr(config, "feedback", None) is not None,
    }


def _invalid(path: Path, problems: list[ConfigProblem]) -> dict[str, Any]:
    return {
        "config_file": str(path),
        "valid": False,
        "problems": [
            {"path": problem.path, "line": problem.line, "message": problem.message}
            for problem in problems
        ],
    }


def config_schema(args: argparse.Namespace, context: CliContext) -> int:
    from opsrhythm.config import OpsRhythmConfig

    print(json.dumps(OpsRhythmConfig.model_json_schema(), indent=2))
    return 0


async def web(args: argparse.Namespace, context: CliContext) -> int:
    """Check what the pages need, in one line each, before serving them (``opsrhythm.web``).

    The feedback pages come on when the config (``--config``, else the default file if there
    is one) has a ``feedback:`` section; approvals need no config.
    """
    from opsrhythm.config_loader import CONFIG_ENV
    from opsrhythm.platform.approvals.links import SECRET_ENV, signer_from_environment
    from opsrhythm.platform.db.startup import startup_check
    from opsrhythm.platform.run_handlers import refuse_the_implicit_database
    from opsrhythm.web import serve

    signer = signer_from_environment()
    # Only the default file may be absent: a config that was named must be there.
    named = args.config is not None or bool(os.environ.get(CONFIG_ENV))
    use_config = named or context.configs.path(args.config).is_file()
    config = context.config(args, check_calendars=True) if use_config else None
    if signer is None:
        raise UsageError(f"set {SECRET_ENV} (the same value as the worker's)")
    refuse_the_implicit_database(
        "web", "the pages would record approvals and feedback where no worker looks"
    )
    startup_check()  # an old schema is refused now, in one line, not on the first click
    client = await context.connect()
    return await serve(client, signer, config, host=args.host, port=args.port)
