"""What an owner's ``feedback`` commands do: ack, resolve, reopen, assign, priority, comment,
merge, unmerge, and ``watch``.

Ack and resolve are the same guarded updates as the signed links in SLA emails; a resolution or
a reopening then wakes a configured server's SLA watcher, so the submitters hear after the
reply window.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.terminal import console
from opsrhythm.rituals.feedback import actions, merging, queue, sla_clock
from opsrhythm.rituals.feedback.close_loop import REOPENED
from opsrhythm.rituals.feedback.handlers import (
    feedback_config,
    feedback_timezone,
    open_ledger,
    watcher_note,
)
from opsrhythm.rituals.feedback.models import FeedbackItem


def ack(args: argparse.Namespace, context: CliContext) -> int:
    return _act(args, context, resolution=None)


def resolve(args: argparse.Namespace, context: CliContext) -> int:
    return _act(args, context, resolution=args.status)


def reopen(args: argparse.Namespace, context: CliContext) -> int:
    return _act(args, context, resolution=REOPENED)


def _act(args: argparse.Namespace, context: CliContext, *, resolution: str | None) -> int:
    config, _ = feedback_config(args, context)
    actor = _actor(args, config)
    with open_ledger() as ledger:
        try:
            if resolution is None:
                actions.acknowledge(ledger, args.item_id, actor)
            elif resolution == REOPENED:
                actions.reopen(ledger, args.item_id, actor, args.note)
            else:
                actions.resolve(ledger, args.item_id, actor, args.status, args.note)
        except actions.ActionRefused as error:
            raise UsageError(str(error)) from None
    out = console()
    out.print(f"{args.item_id} {resolution or 'acknowledged'}")
    if resolution is not None:
        import asyncio

        from opsrhythm.rituals.feedback.temporal_import import wake_for_replies

        out.print(watcher_note() or asyncio.run(wake_for_replies()), soft_wrap=True)
    return 0


def assign(args: argparse.Namespace, context: CliContext) -> int:
    config, _ = feedback_config(args, context)
    wanted = args.to.strip().lower()
    person = next((p for p in config.people if wanted in (p.id, p.email.lower())), None)
    if person is None:
        raise UsageError(f"--to {args.to}: not a person in the config (a person id or email)")
    with open_ledger() as ledger:
        try:
            before = actions.assign(ledger, args.item_id, "cli", person.id)
        except actions.ActionRefused as error:
            raise UsageError(str(error)) from None
    console().print(f"{args.item_id} assigned to {person.id} (was {before})")
    return 0


def priority(args: argparse.Namespace, context: CliContext) -> int:
    config, settings = feedback_config(args, context)

    def deadlines(item: FeedbackItem) -> tuple[datetime, datetime] | None:
        received = queue.received_at(ledger, item.id) or datetime.now(UTC)
        start = sla_clock.sla_start(settings, item.created_at, received)
        return sla_clock.sla_deadlines(settings, item.priority, start)

    with open_ledger() as ledger:
        try:
            actions.set_priority(ledger, args.item_id, "cli", args.priority, deadlines)
        except actions.ActionRefused as error:
            raise UsageError(str(error)) from None
        changed = ledger.get(args.item_id)
    assert changed is not None
    zone = feedback_timezone(config, settings)
    due = f"; due {sla_clock.local_label(changed.due_at, zone)}" if changed.due_at else ""
    out = console()
    out.print(f"{args.item_id} is {changed.priority}{due}")
    if changed.status == "new":
        out.print(_wake_watcher(), soft_wrap=True)
    return 0


def _wake_watcher() -> str:
    """Have a configured server's SLA watcher look at a moved deadline now."""
    import asyncio

    from temporalio.service import RPCError

    from opsrhythm.platform.temporal_runtime import TemporalUnavailable
    from opsrhythm.rituals.feedback.temporal_import import start_configured_sla_watch

    note = watcher_note()
    if note is not None:
        return note
    try:
        asyncio.run(start_configured_sla_watch())
    except (TemporalUnavailable, RPCError) as error:
        return (
            f"The SLA watcher could not be woken ({error}); it sees the deadline within the hour."
        )
    return "The SLA watcher has the new deadline."


def comment(args: argparse.Namespace, context: CliContext) -> int:
    config, _ = feedback_config(args, context)
    actor = _actor(args, config)
    with open_ledger() as ledger:
        try:
            actions.comment(ledger, args.item_id, actor, args.text)
        except actions.ActionRefused as error:
            raise UsageError(str(error)) from None
    console().print(f"{args.item_id}: comment recorded")
    return 0


def _actor(args: argparse.Namespace, config: PlatformConfig) -> str:
    actor: str = args.actor.strip().lower()
    if actor not in {person.email.lower() for person in config.people}:
        raise UsageError(f"--as {args.actor}: not a person in the config")
    return actor


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
