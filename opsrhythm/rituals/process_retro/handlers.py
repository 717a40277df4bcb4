"""What a participant's ``opsrhythm retro ...`` commands do: write their items and votes to the
retro store under their author key, in the stage that takes them.

The run is asked for its stage and plan (a query: history keeps no record of it); who the
caller is comes from ``--as``, checked against ``approvals.cli_users`` as for approvals, and
must be one of the plan's participants. Reading or changing one's existing items (``mine``,
``edit``, ``delete``) needs ``cli_users`` to map the OS user to the caller. Bad arguments are
one ``UsageError`` line (exit 2); refusals (not your item, the stage is over) one
``CommandError`` line (exit 1).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opsrhythm.platform.approvals.handlers import as_server_errors, cli_users_of
from opsrhythm.platform.approvals.identity import CLI_USERS, acting_as, os_user
from opsrhythm.platform.cli import PROG, CliContext
from opsrhythm.platform.cli_errors import CommandError, UsageError
from opsrhythm.platform.ledger_keys import default_database_url
from opsrhythm.rituals.process_retro.keys import author_keys_from_environment
from opsrhythm.rituals.process_retro.models import RetroPlan, RetroStage, RetroStatus
from opsrhythm.rituals.process_retro.tables import (
    RankedGroup,
    RetroRefused,
    group_label,
    item_text,
    parse_label,
)
from opsrhythm.rituals.process_retro.votes import VoteRefused, ballot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from opsrhythm.platform.approvals.models import Contact
    from opsrhythm.rituals.process_retro.store import RetroStore


async def running_retro(context: CliContext, workflow_id: str) -> tuple[RetroStatus, RetroPlan]:
    from opsrhythm.rituals.process_retro.client import retro_status

    client = await context.connect()
    with as_server_errors():
        status = await retro_status(client, workflow_id)
    if status.plan is None:
        raise CommandError(f"{workflow_id} is still being planned; try again in a moment")
    return status, status.plan


def caller(args: argparse.Namespace, context: CliContext) -> str:
    email = acting_as(args.as_email, cli_users_of(args, context), os_user())
    assert email is not None  # required: acting_as raised instead
    return email.strip().lower()


def authenticated_caller(args: argparse.Namespace, context: CliContext) -> str:
    """The caller of a command that reads or changes their existing anonymous items: only one
    whom ``approvals.cli_users`` maps from their OS user, since ``--as`` alone proves nothing
    (anyone could name someone else and read their items)."""
    users, user = cli_users_of(args, context), os_user()
    if user not in users:
        raise UsageError(
            f"refused: {CLI_USERS} maps no person to OS user {user!r}, and --as alone proves "
            "nothing; see or change your items through the personal link in your invite email"
        )
    return caller(args, context)


def participant(plan: RetroPlan, email: str, workflow_id: str) -> Contact:
    person = plan.participant(email)
    if person is None:
        raise CommandError(f"refused: {email} is not a participant of {workflow_id}")
    return person


def in_stage(status: RetroStatus, stages: Sequence[RetroStage], what: str) -> None:
    if status.stage not in stages:
        raise CommandError(
            f"refused: {status.workflow_id} is in stage {status.stage!r}; "
            f"{what} only while it is {' or '.join(repr(s) for s in stages)}"
        )


@contextmanager
def retro_store() -> Iterator[RetroStore]:
    from opsrhythm.rituals.process_retro.store import RetroStore

    store = RetroStore.from_url(default_database_url())
    try:
        yield store
    except RetroRefused as error:
        raise CommandError(f"refused: {error}") from None
    finally:
        store.close()


def text_argument(text: str) -> str:
    try:
        return item_text(text)
    except RetroRefused as error:
        raise UsageError(f"TEXT: {error}") from None


def label(prefix: str, text: str) -> int:
    try:
        return parse_label(prefix, text)
    except ValueError as error:
        raise UsageError(str(error)) from None


async def add(args: argparse.Namespace, context: CliContext) -> int:
    email = caller(args, context)
    text = text_argument(args.text)
    keys = author_keys_from_environment()
    status, plan = await running_retro(context, args.workflow_id)
    person = participant(plan, email, args.workflow_id)
    prompts = [p.prompt_id for p in plan.prompts]
    if args.prompt not in prompts:
        raise UsageError(f"--prompt: {args.prompt!r} is not one of {', '.join(prompts)}")
    in_stage(status, ["collecting"], "items are added")
    with retro_store() as store:
        item = store.add_item(
            args.workflow_id,
            keys.author_key(args.workflow_id, email),
            args.prompt,
            text,
            person.name if args.sign else None,
        )
    shown = f"signed {person.name}" if args.sign else "anonymous"
    print(
        f"{item.item_id} added to {args.workflow_id} ({args.prompt}, {shown}); see or change "
        f"yours until collection closes: {PROG} retro mine {args.workflow_id}"
    )
    return 0


async def mine(args: argparse.Namespace, context: CliContext) -> int:
    email = authenticated_caller(args, context)
    key = author_keys_from_environment().author_key(args.workflow_id, email)
    with retro_store() as store:
        items, votes = (
            store.own_items(args.workflow_id, key),
            store.own_votes(args.workflow_id, key),
        )
    for item in items:
        signed = f" (signed {item.signed_name})" if item.signed_name else ""
        print(f"{item.item_id} [{item.prompt_id}] {item.text}{signed}")
    dots = ", ".join(f"{group_label(g)} x{n}" for g, n in sorted(votes.items()))
    print(f"{len(items)} item(s) of yours in {args.workflow_id}; your votes: {dots or 'none'}")
    return 0


async def edit(args: argparse.Namespace, context: CliContext) -> int:
    return await _change(args, context, text_argument(args.text))


async def delete(args: argparse.Namespace, context: CliContext) -> int:
    return await _change(args, context, None)


async def _change(args: argparse.Namespace, context: CliContext, text: str | None) -> int:
    email = authenticated_caller(args, context)
    number = label("I", args.item)
    key = author_keys_from_environment().author_key(args.workflow_id, email)
    status, _ = await running_retro(context, args.workflow_id)
    in_stage(status, ["collecting"], "items are changed")
    with retro_store() as store:
        if text is None:
            store.delete_item(args.workflow_id, key, number)
        else:
            store.edit_item(args.workflow_id, key, number, text)
    print(f"I{number} {'deleted' if text is None else 'changed'}")
    return 0


async def groups(args: argparse.Namespace, context: CliContext) -> int:
    with retro_store() as store:
        found = store.groups(args.workflow_id)
    print_groups(found, votes=False)
    return 0


def print_groups(found: Sequence[RankedGroup], *, votes: bool) -> None:
    for group in found:
        dots = f" ({group.votes} dot(s))" if votes else ""
        print(f"{group.group_id}{dots}: {group.title}")
        for item in group.items:
            signed = f" (signed {item.signed_name})" if item.signed_name else ""
            print(f"  {item.item_id} [{item.prompt_id}] {item.text}{signed}")
    print(f"{len(found)} theme(s)")


async def vote(args: argparse.Namespace, context: CliContext) -> int:
    email = caller(args, context)
    chosen = [label("G", text) for text in args.groups]
    keys = author_keys_from_environment()
    status, plan = await running_retro(context, args.workflow_id)
    participant(plan, email, args.workflow_id)
    in_stage(status, ["voting"], "votes are taken")
    with retro_store() as store:
        known = [g.group_no for g in store.groups(args.workflow_id)]
        try:
            dots = ballot(chosen, known, plan.votes_per_person, plan.votes_per_group)
        except VoteRefused as error:
            raise UsageError(f"refused: {error}") from None
        store.replace_votes(
            args.workflow_id,
            keys.author_key(args.workflow_id, email),
            dots,
            per_person=plan.votes_per_person,
            per_group=plan.votes_per_group,
        )
    shown = ", ".join(f"{group_label(g)} x{n}" for g, n in sorted(dots.items()))
    print(f"votes recorded for {args.workflow_id}: {shown} (a new vote replaces these)")
    return 0
