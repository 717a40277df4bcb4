"""What ``opsrhythm review submit|close|status`` do.

Every bad argument is one ``UsageError`` line (exit 2) raised before anything connects; the
workflow's refusals and a run no worker answers for are one ``ServerError`` line (exit 1).
Who an update is from is ``--as``, checked against ``approvals.cli_users`` as for approvals.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from temporalio.client import Client

from opsrhythm.platform.actions.models import ActionUpdate
from opsrhythm.platform.approvals.handlers import as_server_errors, cli_users_of
from opsrhythm.platform.approvals.identity import acting_as, os_user
from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_args import known_ritual, period_argument
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.runs import run_workflow_id
from opsrhythm.platform.terminal import print_json
from opsrhythm.rituals.strategy_review.client import close_collection, review_status, submit_status
from opsrhythm.rituals.strategy_review.config import StrategyReviewRitual
from opsrhythm.rituals.strategy_review.models import CloseCollection, StatusSubmission
from opsrhythm.rituals.strategy_review.views import print_review, review_json, review_lines

KIND = "strategy_review"
ACTION_FORM = "ID=done|dropped|open[:note]"
MAX_NARRATIVE = 20_000


def review_ritual(config: PlatformConfig, ritual_id: str | None) -> StrategyReviewRitual:
    """``--ritual``, or the config's only strategy review."""
    if ritual_id is None:
        reviews = [r for r in config.rituals if isinstance(r, StrategyReviewRitual)]
        if len(reviews) != 1:
            found = ", ".join(r.id for r in reviews) or "none"
            raise UsageError(f"--ritual is required: the config's strategy reviews are {found}")
        return reviews[0]
    ritual = known_ritual(config, ritual_id)
    if not isinstance(ritual, StrategyReviewRitual):
        raise UsageError(f"--ritual: {ritual_id!r} is a {ritual.kind} ritual, not a {KIND}")
    return ritual


def owned_item(
    config: PlatformConfig, ritual: StrategyReviewRitual, owner: str, item: str | None
) -> str:
    """``--item`` if ``owner`` owns it; none given, the one item they own."""
    owners = {i.id: config.person(i.owner).email.lower() for _, i in ritual.items()}
    if item is not None:
        if item not in owners:
            raise UsageError(
                f"--item: {ritual.id} has no item {item!r} (known: {', '.join(owners)})"
            )
        if owners[item] != owner.lower():
            raise UsageError(f"--item: {item} is reported on by {owners[item]}, not {owner}")
        return item
    mine = [i for i, email in owners.items() if email == owner.lower()]
    if len(mine) != 1:
        which = f"owns {', '.join(mine)}" if mine else "owns no item"
        raise UsageError(f"--item is required: {owner} {which} in {ritual.id}")
    return mine[0]


def confidence(text: str) -> int:
    if not text.strip().isdigit() or int(text) > 100:
        raise UsageError(f"--confidence: {text!r} is not a whole number from 0 to 100")
    return int(text)


def narrative(path_text: str) -> str:
    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--narrative-file: {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--narrative-file: {path}: not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"--narrative-file: {path}: {error.strerror or error}") from None
    if not text.strip():
        raise UsageError(f"--narrative-file: {path} is empty: write the quarter's narrative")
    if len(text) > MAX_NARRATIVE:
        raise UsageError(f"--narrative-file: {path} is over {MAX_NARRATIVE} characters")
    return text.strip()


def action_update(text: str) -> ActionUpdate:
    action_id, equals, rest = text.partition("=")
    state, _, note = rest.partition(":")
    if not equals or not action_id.strip() or state not in ("done", "dropped", "open"):
        raise UsageError(f"--action {text!r}: expected {ACTION_FORM}")
    try:
        return ActionUpdate(action_id=action_id.strip(), state=state, note=note.strip())
    except ValidationError as error:
        raise UsageError(f"--action {action_id.strip()}: {_first(error)}") from None


def _first(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])


async def submit(args: argparse.Namespace, context: CliContext) -> int:
    config = context.config(args)
    ritual = review_ritual(config, args.ritual)
    period = period_argument(ritual.ritual_kind.period, args.period, config.organization.timezone)
    owner = acting_as(args.owner, config.cli_users(), os_user())
    assert owner is not None  # required: acting_as raised instead
    item = owned_item(config, ritual, owner, args.item)
    try:
        sent = StatusSubmission(
            item_id=item,
            owner=owner,
            rag=args.status,
            confidence=confidence(args.confidence),
            narrative=narrative(args.narrative_file),
            risks=[text.strip() for text in args.risk if text.strip()],
            asks=[text.strip() for text in args.ask if text.strip()],
            action_updates=[action_update(text) for text in args.action],
            channel="cli",
        )
    except ValidationError as error:
        raise UsageError(f"review submit: {_first(error)}") from None
    workflow_id = run_workflow_id(ritual.id, str(period))
    client = await context.connect()
    with as_server_errors():
        stored = await submit_status(client, workflow_id, sent)
    late = " (late)" if stored.late else ""
    print(
        f"submitted: {item} for {workflow_id} as {owner}, version {stored.version}{late}; "
        f"see: opsrhythm review status {workflow_id}"
    )
    return 0


def review_workflow_id(args: argparse.Namespace, context: CliContext) -> str:
    """WORKFLOW_ID as given, or the run of ``--period`` (default: the last complete quarter)
    of ``--ritual`` (default: the config's only review)."""
    if args.workflow_id is not None:
        if args.period is not None or args.ritual is not None:
            raise UsageError("give WORKFLOW_ID or --period/--ritual, not both")
        return str(args.workflow_id)
    config = context.config(args)
    ritual = review_ritual(config, args.ritual)
    period = period_argument(ritual.ritual_kind.period, args.period, config.organization.timezone)
    return run_workflow_id(ritual.id, str(period))


async def close(args: argparse.Namespace, context: CliContext) -> int:
    workflow_id = review_workflow_id(args, context)
    owner = acting_as(args.owner, cli_users_of(args, context), os_user())
    assert owner is not None  # required: acting_as raised instead
    client = await context.connect()
    with as_server_errors():
        after = await close_collection(
            client, workflow_id, CloseCollection(requested_by=owner, send_now=args.send_now)
        )
    sending = "; the pre-read goes out now" if args.send_now else ""
    print(f"closed: collection for {workflow_id} closed by {owner}{sending}")
    print_review(after)
    return 0


async def status(args: argparse.Namespace, context: CliContext) -> int:
    workflow_id = review_workflow_id(args, context)
    client = await context.connect()
    with as_server_errors():
        found = await review_status(client, workflow_id)
    if args.json:
        print_json(review_json(found))
    else:
        print_review(found)
    return 0


async def status_details(client: Client, workflow_id: str) -> tuple[list[str], dict[str, Any]]:
    """This kind's part of ``opsrhythm status WF``: the review's lines, and ``review`` for
    ``--json`` (its approval is shown by the platform)."""
    with as_server_errors():
        found = await review_status(client, workflow_id)
    return review_lines(found), {"review": review_json(found)}
