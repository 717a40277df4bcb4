"""What an owner's ``feedback`` commands do: ack, resolve, merge, unmerge, and ``watch``.

Ack and resolve are the same guarded updates as the signed links in SLA emails; a resolution
then wakes a configured server's SLA watcher, so the submitters hear after the reply window.
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.terminal import console
from opsrhythm.rituals.feedback import actions, merging
from opsrhythm.rituals.feedback.handlers import feedback_config, open_ledger


def ack(args: argparse.Namespace, context: CliContext) -> int:
    return _act(args, context, resolution=None)


def resolve(args: argparse.Namespace, context: CliContext) -> int:
    return _act(args, context, resolution=args.status)


def _act(args: argparse.Namespace, context: CliContext, *, resolution: str | None) -> int:
    config, _ = feedback_config(args, context)
    actor = args.actor.strip().lower()
    if actor not in {person.email.lower() for person in config.people}:
        raise UsageError(f"--as {args.actor}: not a person in the config")
    with open_ledger() as ledger:
        try:
            if resolution is None:
                actions.acknowledge(ledger, args.item_id, actor)
            else:
                actions.resolve(ledger, args.item_id, actor, args.status, args.note)
        except actions.ActionRefused as error:
            raise UsageError(str(error)) from None
    out = console()
    out.print(f"{args.item_id} {resolution or 'acknowledged'}")
    if resolution is not None:
        import asyncio

        from opsrhythm.rituals.feedback.temporal_import import wake_for_replies

        out.print(asyncio.run(wake_for_replies()))
    return 0


def merge(args: argparse.Namespace, context: CliContext) -> int:
    feedback_config(args, context)
    with open_ledger() as ledger:
        try:
            merging.merge(ledger, args.item_id, args.into, "cli")
        except merging.MergeError as error:
            raise UsageError(str(error)) from None
    console().print(f"{args.item_id} linked to {args.into}")
    return 0


def unmerge(args: argparse.Namespace, context: CliContext) -> int:
    feedback_config(args, context)
    with open_ledger() as ledger:
        try:
            original = merging.unmerge(ledger, args.item_id, "cli")
        except merging.MergeError as error:
            raise UsageError(str(error)) from None
    console().print(f"{args.item_id} split off from {original}")
    return 0


async def watch(args: argparse.Namespace, context: CliContext) -> int:
    """Start the SLA watcher on the server, or poke the running one."""
    from opsrhythm.rituals.feedback.sla_models import SLA_WATCH_ID
    from opsrhythm.rituals.feedback.temporal_import import start_sla_watch

    feedback_config(args, context)
    await start_sla_watch(await context.connect())
    print(f"SLA watcher running: {SLA_WATCH_ID}")
    return 0
