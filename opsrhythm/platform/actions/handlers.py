"""What ``opsrhythm actions ...`` does: read and write the actions store, then start or wake
the follow-up of each origin whose actions changed.

The store is written first and on its own: Temporal being down never loses an action. The
command then prints one line naming ``opsrhythm actions follow-up ORIGIN``, which schedules
the reminders once Temporal is up, and exits ``EXIT_NOT_FOLLOWED_UP``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from opsrhythm.platform.actions.models import ActionItem
from opsrhythm.platform.actions.origins import owner_of, ritual_and_period
from opsrhythm.platform.actions.store import ActionRefused, ActionStore
from opsrhythm.platform.cli import PROG, CliContext
from opsrhythm.platform.cli_errors import CommandError, UsageError
from opsrhythm.platform.ledger_keys import default_database_url
from opsrhythm.platform.periods import IsoWeek, Month, Quarter, parse_period
from opsrhythm.platform.terminal import console, print_json, utc_iso

EXIT_NOT_FOLLOWED_UP = 3
"""The store was changed, but the follow-up (reminders) could not be started or told."""
TITLE_LIMIT = 500


def list_actions(args: argparse.Namespace, context: CliContext) -> int:
    if args.overdue and args.state not in (None, "open"):
        raise UsageError(f"--overdue lists open actions only; drop --state {args.state}")
    store = _open(args)
    try:
        found = store.find(
            owner_emails=[args.owner] if args.owner else [],
            ritual_id=args.ritual,
            states=["open"] if args.overdue else ([args.state] if args.state else []),
            due_before=datetime.now(UTC).date() if args.overdue else None,
            kinds=["action"] if args.overdue else [],
        )
    finally:
        store.close()
    if args.json:
        print_json({"actions": [_json(action) for action in found]})
        return 0
    _table(found)
    return 0


async def add(args: argparse.Namespace, context: CliContext) -> int:
    config = context.config(args)
    owner = owner_of(config, args.owner)
    ritual_id, period = ritual_and_period(config, args.origin, args.ritual, args.period)
    decision = bool(getattr(args, "decision", False))  # a kind's own command may not offer it
    if decision and args.due is not None:
        raise UsageError("--due: a decision has no due date (it is recorded as of today)")
    if not decision and args.due is None:
        raise UsageError("--due: give the action's due date (YYYY-MM-DD), or add --decision")
    zone = ZoneInfo(config.organization.timezone)
    due = datetime.now(zone).date() if decision else _date("--due", args.due)
    title = " ".join(args.title.split())
    if not title or len(title) > TITLE_LIMIT:
        raise UsageError(f"--title: give 1 to {TITLE_LIMIT} characters")
    store = _open(args)
    try:
        action = store.add(
            origin=args.origin,
            ritual_id=ritual_id,
            period=period,
            title=title,
            owner_email=owner.email,
            owner_name=owner.name,
            due=due,
            actor=context.identity,
            kind="decision" if decision else "action",
        )
    finally:
        store.close()
    # A decision has nothing to remind anyone of: no follow-up, no Temporal needed.
    problem = None if decision else await _follow_up(context, [args.origin])
    if args.json:
        print_json({"action": _json(action), "follow_up_error": problem})
    elif decision:
        print(f"{action.action_id}: decision recorded for {owner.name}, {due.isoformat()}")
    else:
        print(f"{action.action_id}: recorded for {owner.name}, due {due.isoformat()}")
    return _told(problem, [action.action_id], [args.origin])


async def done(args: argparse.Namespace, context: CliContext) -> int:
    return await _close(args, context, "done", args.note)


async def drop(args: argparse.Namespace, context: CliContext) -> int:
    reason = args.reason.strip()
    if not reason:
        raise UsageError("--reason: say why the action is dropped")
    return await _close(args, context, "dropped", reason)


async def carry(args: argparse.Namespace, context: CliContext) -> int:
    periods = (args.ritual, args.from_period, args.to_period)
    if args.action_id is not None:
        if any(periods):
            raise UsageError("carry ID --due DATE, or --ritual --from --to: not both")
        if args.due is None:
            raise UsageError(f"--due: give {args.action_id}'s new due date (YYYY-MM-DD)")
        return await _carry_one(args, context, _date("--due", args.due))
    if args.due is not None or not all(periods):
        raise UsageError("carry: give ID --due DATE, or all of --ritual, --from and --to")
    before, after = _period("--from", args.from_period), _period("--to", args.to_period)
    if type(before) is not type(after) or not before.start < after.start:
        raise UsageError(f"--to {after} must be a later period of the same kind as --from {before}")
    store = _open(args)
    try:
        pairs = store.carry(args.ritual, str(before), str(after), actor=context.identity)
    finally:
        store.close()
    origins = sorted({old.origin for old, _ in pairs}) + sorted({new.origin for _, new in pairs})
    problem = await _follow_up(context, origins) if pairs else None
    if args.json:
        carried = [{"from": old.action_id, "to": _json(new)} for old, new in pairs]
        print_json({"carried": carried, "follow_up_error": problem})
    else:
        for old, new in pairs:
            print(f"{old.action_id} -> {new.action_id}: {new.title} ({new.owner_email})")
        print(f"{len(pairs)} open action(s) of {args.ritual} carried from {before} to {after}")
    return _told(problem, [new.action_id for _, new in pairs], origins)


async def _carry_one(args: argparse.Namespace, context: CliContext, due: date) -> int:
    store = _open(args)
    try:
        old, new = store.carry_one(args.action_id, due, actor=context.identity)
    except KeyError:
        raise UsageError(f"no action {args.action_id} (see: {PROG} actions list)") from None
    except ActionRefused as error:
        raise CommandError(f"{args.action_id} not changed: {error}") from None
    finally:
        store.close()
    problem = await _follow_up(context, [new.origin])
    if args.json:
        carried = [{"from": old.action_id, "to": _json(new)}]
        print_json({"carried": carried, "follow_up_error": problem})
    else:
        print(f"{old.action_id} -> {new.action_id}: {new.title}, now due {due.isoformat()}")
    return _told(problem, [new.action_id], [new.origin])


async def follow_up(args: argparse.Namespace, context: CliContext) -> int:
    problem = await _follow_up(context, [args.origin])
    if problem is not None:
        raise CommandError(f"reminders of {args.origin} not started: {problem}")
    print(f"{args.origin}: reminders followed up by workflow actions-{args.origin}")
    return 0


async def _close(args: argparse.Namespace, context: CliContext, state: str, note: str) -> int:
    store = _open(args)
    try:
        action = store.close_action(
            args.action_id,
            "done" if state == "done" else "dropped",
            actor=context.identity,
            note=note,
        )
    except KeyError:
        raise UsageError(f"no action {args.action_id} (see: {PROG} actions list)") from None
    except ActionRefused as error:
        raise CommandError(f"{args.action_id} not changed: {error}") from None
    finally:
        store.close()
    print(f"{action.action_id}: {state}")
    problem = await _follow_up(context, [action.origin])
    return _told(problem, [action.action_id], [action.origin])


async def _follow_up(context: CliContext, origins: Sequence[str]) -> str | None:
    """Start or wake each origin's follow-up; why not, if Temporal could not be reached."""
    from temporalio.service import RPCError

    from opsrhythm.platform.actions.starting import follow_up

    try:
        client = await context.connect()
        for origin in origins:
            await follow_up(client, origin)
    except CommandError as error:
        return str(error)
    except RPCError as error:
        return f"the Temporal server refused: {error.message}"
    return None


def _told(problem: str | None, action_ids: Sequence[str], origins: Sequence[str]) -> int:
    if problem is None:
        return 0
    later = "; ".join(f"{PROG} actions follow-up {origin}" for origin in origins)
    print(
        f"{PROG}: {', '.join(action_ids)} saved, but the reminders' follow-up was not told "
        f"({problem}); once Temporal is up, run: {later}",
        file=sys.stderr,
    )
    return EXIT_NOT_FOLLOWED_UP


def _open(args: argparse.Namespace) -> ActionStore:
    return ActionStore.from_url(args.database_url or default_database_url())


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date in the form YYYY-MM-DD") from None


def _period(option: str, text: str) -> Month | Quarter | IsoWeek:
    try:
        return parse_period(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


def _json(action: ActionItem) -> dict[str, object]:
    document = action.model_dump(mode="json")
    document["updated_at"] = utc_iso(action.updated_at)
    return document


def _table(found: Sequence[ActionItem]) -> None:
    from rich.table import Table

    table = Table(title=f"{len(found)} action(s)")
    for column in ("id", "kind", "owner", "due", "state", "title", "note"):
        table.add_column(column)
    for action in found:
        decided = action.kind == "decision"
        table.add_row(
            action.action_id,
            action.kind,
            action.owner_name or action.owner_email,
            f"decided {action.due.isoformat()}" if decided else action.due.isoformat(),
            action.state,
            action.title,
            action.note,
        )
    console().print(table)
