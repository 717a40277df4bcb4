"""``opsrhythm schedule ...`` and ``opsrhythm status``: argument parsing and dispatch.

Each command is an ``async`` function taking a connected client, so tests can drive it on a dev
server; ``dispatch`` connects with the standard settings and turns server refusals into one line.
"""

from __future__ import annotations

import argparse
import asyncio

from rich.console import Console

from opsrhythm.config_loader import load_config
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.periods import IsoWeek, Month, Quarter
from opsrhythm.platform.schedules.times import PeriodType
from opsrhythm.platform.terminal import console

COMMANDS = ("schedule", "status")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = commands.add_parser(
        "schedule", help="Manage the rituals' Temporal Schedules.", description="Schedules."
    )
    sub = schedule.add_subparsers(dest="schedule_command", required=True, metavar="SUBCOMMAND")

    def command(name: str, help: str, ritual: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help, description=help)
        parser.add_argument(
            "--config", help="config file (default: $OPSRHYTHM_CONFIG or ./opsrhythm.yaml)"
        )
        if ritual:
            parser.add_argument("ritual", help="ritual id from the config")
        return parser

    sync = command("sync", "Make the server's schedules match the config.", ritual=False)
    sync.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    sync.add_argument(
        "--prune", action="store_true", help="delete OpsRhythm schedules not in the config"
    )
    command("list", "Next runs, last run and state of every ritual's schedule.", ritual=False)
    command("describe", "Everything about one ritual's schedule.")
    pause = command("pause", "Pause a ritual's schedule.")
    pause.add_argument("--note", required=True, help="why (shown in list and describe)")
    command("unpause", "Resume a paused schedule.")
    trigger = command("trigger", "Run a ritual's schedule now (for the last complete period).")
    trigger.add_argument("--wait", action="store_true", help="wait for the run and print it")
    backfill = command("backfill", "Run the scheduled runs of past periods, oldest first.")
    backfill.add_argument("--from", dest="first", required=True, help="first period, YYYY-MM")
    backfill.add_argument("--to", dest="last", required=True, help="last period, YYYY-MM")
    backfill.add_argument(
        "--no-wait", action="store_true", help="request the runs without following them"
    )

    status = commands.add_parser(
        "status", help="Every running ritual and its current step.", description="Running rituals."
    )
    status.add_argument("--config", help=argparse.SUPPRESS)


def dispatch(args: argparse.Namespace) -> int:
    """Run ``schedule``/``status``; one line on stderr for anything the user can fix."""
    schedules = args.command == "schedule"
    config = load_config(args.config, check_calendars=True) if schedules else None
    return asyncio.run(_run(args, config, console()))


async def _run(args: argparse.Namespace, config: PlatformConfig | None, out: Console) -> int:
    from opsrhythm.platform.schedules import commands as schedule_commands
    from opsrhythm.platform.schedules import views as schedule_views
    from opsrhythm.platform.temporal_runtime import connect

    if config is None:
        return await schedule_views.status(await connect(), out)
    command = args.schedule_command
    ritual_id = scheduled_ritual(config, args.ritual) if hasattr(args, "ritual") else ""
    if command == "backfill":
        period_type = config.ritual(ritual_id).ritual_kind.period
        first = _period(period_type, args.first, "--from")
        last = _period(period_type, args.last, "--to")
    client = await connect()
    if command == "sync":
        return await schedule_commands.sync(
            client, config, out, dry_run=args.dry_run, prune=args.prune
        )
    if command == "list":
        return await schedule_views.list_schedules(client, config, out)
    if command == "describe":
        return await schedule_views.describe(client, config, ritual_id, out)
    if command == "pause":
        return await schedule_commands.pause(client, ritual_id, args.note, out)
    if command == "unpause":
        return await schedule_commands.unpause(client, ritual_id, out)
    if command == "trigger":
        period_type = config.ritual(ritual_id).ritual_kind.period
        return await schedule_commands.trigger(
            client, ritual_id, out, period_type=period_type, wait=args.wait
        )
    return await schedule_commands.backfill(
        client, config, ritual_id, first, last, out, wait=not args.no_wait
    )


def scheduled_ritual(config: PlatformConfig, ritual_id: str) -> str:
    known = [r.id for r in config.rituals]
    if ritual_id not in known:
        raise UsageError(f"unknown ritual {ritual_id!r} (known: {', '.join(known) or 'none'})")
    if config.ritual(ritual_id).schedule is None:
        raise UsageError(f"ritual {ritual_id!r} has no schedule in the config")
    return ritual_id


def _period(period_type: PeriodType, text: str, option: str) -> Month | Quarter | IsoWeek:
    try:
        return period_type.parse(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None
