"""The ``opsrhythm`` CLI: demo, worker, run, validate, preview and config schema.

Every command is ``main(argv) -> int``; user mistakes print one line per problem to stderr and
return a non-zero code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from temporalio.service import RPCError

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.config_loader import ConfigError, load_config
from opsrhythm.platform import resources
from opsrhythm.platform.approvals import cli as cli_approvals
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.periods import Month
from opsrhythm.platform.schedules import cli as cli_schedules
from opsrhythm.platform.temporal_runtime import TemporalUnavailable
from opsrhythm.rituals.feedback import cli as cli_feedback

EXAMPLE_PERIOD = "2026-10"
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="opsrhythm", description="Product-ops rituals, run durably on Temporal."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str, config: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        if config:
            sub.add_argument(
                "--config", help="config file (default: $OPSRHYTHM_CONFIG or ./opsrhythm.yaml)"
            )
        return sub

    demo = command(
        "demo",
        "Run the monthly KPI report for the example company on an embedded server.",
        config=False,
    )
    demo.add_argument(
        "--period", default=EXAMPLE_PERIOD, help=f"YYYY-MM (default {EXAMPLE_PERIOD})"
    )

    command("worker", "Run the worker against the configured Temporal server.")

    run = command("run", "Start a ritual run.")
    run.add_argument("ritual", help="ritual id from the config, e.g. monthly-kpi-report")
    run.add_argument("--period", help="YYYY-MM (default: the last complete month)")
    run.add_argument("--wait", action="store_true", help="wait for the result and print it")

    command("validate", "Check the config file and print what it defines.")

    preview = command(
        "preview", "Render every audience's email to files, without Temporal or sending."
    )
    preview.add_argument("ritual")
    preview.add_argument("--period", help="YYYY-MM (default: the last complete month)")
    preview.add_argument("--out", required=True, help="folder for the rendered emails")

    config_cmd = commands.add_parser("config", help="Config helpers.")
    config_sub = config_cmd.add_subparsers(
        dest="config_command", required=True, metavar="SUBCOMMAND"
    )
    config_sub.add_parser(
        "schema", help="Print the config's JSON Schema (for editor autocompletion)."
    )
    cli_schedules.add_parsers(commands)
    cli_approvals.add_parsers(commands)
    cli_feedback.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"opsrhythm: {error}", file=sys.stderr)
        return EXIT_USAGE
    except TemporalUnavailable as error:
        print(f"opsrhythm: {error}", file=sys.stderr)
        return 1
    except RPCError as error:
        print(f"opsrhythm: the Temporal server refused: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from opsrhythm.rituals.kpi_report import commands as cli_commands

    if args.command == "config":
        from opsrhythm.config import OpsRhythmConfig as Schema

        print(json.dumps(Schema.model_json_schema(), indent=2))
        return 0
    if args.command == "demo":
        config = load_config(resources.example_config())
        return asyncio.run(cli_commands.demo(config, _period(args.period, config)))
    if cli_feedback.handles(args):
        return cli_feedback.dispatch(args)
    if cli_approvals.handles(args):
        return cli_approvals.dispatch(args)
    if args.command in cli_schedules.COMMANDS:
        return cli_schedules.dispatch(args)
    config = load_config(args.config, check_calendars=args.command == "validate")
    if args.command == "validate":
        return cli_commands.validate(config, args.config)
    if args.command == "worker":
        return asyncio.run(cli_commands.worker(config))
    ritual_id = _ritual(args.ritual, config)
    period = _period(args.period, config)
    if args.command == "run":
        return asyncio.run(cli_commands.run(config, ritual_id, period, wait=args.wait))
    return cli_commands.preview(config, ritual_id, period, Path(args.out))


def _ritual(ritual_id: str, config: OpsRhythmConfig) -> str:
    known = [r.id for r in config.rituals]
    if ritual_id not in known:
        raise UsageError(f"unknown ritual {ritual_id!r} (known: {', '.join(known) or 'none'})")
    return ritual_id


def _period(text: str | None, config: OpsRhythmConfig) -> Month:
    if text is None:
        return Month.reported_at(datetime.now(ZoneInfo(config.organization.timezone)))
    try:
        return Month.parse(text)
    except ValueError as error:
        raise UsageError(f"--period: {error}") from None


if __name__ == "__main__":
    raise SystemExit(main())
