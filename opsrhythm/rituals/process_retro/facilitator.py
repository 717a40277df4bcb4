"""What the facilitator's ``opsrhythm retro group|action|advance`` do.

Only the plan's facilitator (the ritual's owner) may use them. Regrouping writes the retro store
(themes hold no author, so nothing anonymous is at stake); an action is recorded by the shared
actions command (``actions add``), with the retro's workflow id as its origin, so its reminders
and overdue notices follow as for every ritual; advancing is the run's ``advance`` Update.
"""

from __future__ import annotations

import argparse

from opsrhythm.platform.approvals.handlers import as_server_errors
from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import CommandError, UsageError
from opsrhythm.rituals.process_retro.handlers import (
    caller,
    in_stage,
    label,
    print_groups,
    retro_store,
    running_retro,
)
from opsrhythm.rituals.process_retro.models import AdvanceRequest, RetroPlan


def facilitating(plan: RetroPlan, email: str, workflow_id: str) -> None:
    if plan.facilitator.email.lower() != email:
        raise CommandError(
            f"refused: only the facilitator of {workflow_id} ({plan.facilitator.name}) may"
        )


async def group(args: argparse.Namespace, context: CliContext) -> int:
    email = caller(args, context)
    if args.merge is not None:
        if len(args.merge) < 2:
            raise UsageError("--merge: give two groups or more (G1 G2: G2 joins G1)")
        merging = [label("G", text) for text in args.merge]
    else:
        if len(args.split) < 2:
            raise UsageError("--split: give the group, then the items to split off (G1 I3 I4)")
        splitting = label("G", args.split[0]), [label("I", text) for text in args.split[1:]]
    status, plan = await running_retro(context, args.workflow_id)
    facilitating(plan, email, args.workflow_id)
    in_stage(status, ["grouping", "voting"], "themes are regrouped")
    with retro_store() as store:
        if args.merge is not None:
            changed = store.merge(args.workflow_id, merging)
        else:
            changed = store.split(args.workflow_id, *splitting)
        everything = store.groups(args.workflow_id)
    print_groups(everything, votes=False)
    print(f"{'merged into' if args.merge is not None else 'split off as'} {changed.group_id}")
    return 0


async def action(args: argparse.Namespace, context: CliContext) -> int:
    from opsrhythm.platform.actions import handlers as actions

    email = caller(args, context)
    theme = label("G", args.group)
    status, plan = await running_retro(context, args.workflow_id)
    facilitating(plan, email, args.workflow_id)
    in_stage(status, ["actions"], "actions are recorded")
    with retro_store() as store:
        if theme not in {g.group_no for g in store.groups(args.workflow_id)}:
            raise UsageError(f"--group: {args.workflow_id} has no theme {args.group}")
    recorded = argparse.Namespace(
        origin=args.workflow_id,
        owner=args.owner,
        due=args.due,
        title=args.title,
        ritual=plan.ritual_id,
        period=plan.period,
        database_url=None,
        config=args.config,
        json=False,
    )
    return await actions.add(recorded, context)


async def advance(args: argparse.Namespace, context: CliContext) -> int:
    from opsrhythm.rituals.process_retro.client import advance as advance_update

    email = caller(args, context)
    status, _ = await running_retro(context, args.workflow_id)
    client = await context.connect()
    with as_server_errors():
        await advance_update(
            client, args.workflow_id, AdvanceRequest(requested_by=email, stage=status.stage)
        )
    print(f"advanced: stage {status.stage!r} of {args.workflow_id} closes now")
    return 0
