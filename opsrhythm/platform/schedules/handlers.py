"""What the ``schedule`` commands do with their arguments, before and after connecting.

Whatever the config can answer is checked first: the config itself (holiday calendars too), that
the ritual exists and has a schedule, and for ``backfill`` its periods and their range
(``commands.plan_backfill``). A mistake there is a ``UsageError`` even with no server up. Only
then does a handler connect and call the command in ``schedules.commands`` or the view in
``schedules.views``, which report what only the server knows, such as a schedule never synced.
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_args import known_ritual, period_argument
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig, RitualBase
from opsrhythm.platform.schedules import commands, views
from opsrhythm.platform.terminal import console


def _config(args: argparse.Namespace, context: CliContext) -> PlatformConfig:
    return context.config(args, check_calendars=True)


def scheduled_ritual(config: PlatformConfig, ritual_id: str) -> RitualBase:
    ritual = known_ritual(config, ritual_id)
    if ritual.schedule is None:
        raise UsageError(f"ritual {ritual_id!r} has no schedule in the config")
    return ritual


async def sync(args: argparse.Namespace, context: CliContext) -> int:
    config = _config(args, context)
    client = await context.connect()
    return await commands.sync(client, config, console(), dry_run=args.dry_run, prune=args.prune)


async def list_schedules(args: argparse.Namespace, context: CliContext) -> int:
    config = _config(args, context)
    client = await context.connect()
    return await views.list_schedules(client, config, console(), as_json=args.json)


async def describe(args: argparse.Namespace, context: CliContext) -> int:
    config = _config(args, context)
    ritual = scheduled_ritual(config, args.ritual)
    client = await context.connect()
    return await views.describe(client, config, ritual.id, console(), as_json=args.json)


async def pause(args: argparse.Namespace, context: CliContext) -> int:
    ritual = scheduled_ritual(_config(args, context), args.ritual)
    client = await context.connect()
    return await commands.pause(client, ritual.id, args.note, console())


async def unpause(args: argparse.Namespace, context: CliContext) -> int:
    ritual = scheduled_ritual(_config(args, context), args.ritual)
    client = await context.connect()
    return await commands.unpause(client, ritual.id, console())


async def trigger(args: argparse.Namespace, context: CliContext) -> int:
    ritual = scheduled_ritual(_config(args, context), args.ritual)
    client = await context.connect()
    return await commands.trigger(
        client, ritual.id, console(), period_type=ritual.ritual_kind.period, wait=args.wait
    )


async def backfill(args: argparse.Namespace, context: CliContext) -> int:
    config = _config(args, context)
    ritual = scheduled_ritual(config, args.ritual)
    timezone = config.organization.timezone
    period_type = ritual.ritual_kind.period
    first = period_argument(period_type, args.first, timezone, "--from")
    last = period_argument(period_type, args.last, timezone, "--to")
    commands.plan_backfill(config, ritual.id, first, last)  # a range it cannot run: say so now
    client = await context.connect()
    return await commands.backfill(
        client, config, ritual.id, first, last, console(), wait=not args.no_wait
    )
