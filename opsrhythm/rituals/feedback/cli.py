"""``opsrhythm feedback import|submit|list|quarantine|rules test``: intake and views, in-process.

Items go to the feedback ledger at ``$OPSRHYTHM_DATABASE_URL`` (default: the SQLite file next to
the send ledger). Bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, TaskID

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.config_loader import load_config
from opsrhythm.platform import terminal
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.ledger_keys import default_database_url
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import parse_record, read_file
from opsrhythm.rituals.feedback.models import RESOLUTIONS, STATUSES, FeedbackInput
from opsrhythm.rituals.feedback.triage import ImportSummary, triage_all, triage_chunk
from opsrhythm.rituals.feedback.views import items_table, print_rule_test, quarantine_table
from opsrhythm.rituals.feedback.workflow_models import ImportCounts

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

SOURCES = ("sales", "support", "customer", "internal")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    feedback = commands.add_parser("feedback", help="Feedback intake, triage and views.")
    sub = feedback.add_subparsers(dest="feedback_command", required=True, metavar="SUBCOMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help, description=help)
        parser.add_argument("--config", help="config file (default: $OPSRHYTHM_CONFIG)")
        return parser

    def item_fields(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--source", choices=SOURCES, default="customer")
        parser.add_argument("--customer")
        parser.add_argument("--segment")
        parser.add_argument("--arr", type=float)
        parser.add_argument("--tag", action="append", default=[], dest="tags")

    imp = command("import", "Import and triage a CSV or JSON Lines file.")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument(
        "--in-process", action="store_true", help="triage in this process, without Temporal"
    )
    submit = command("submit", "Submit one piece of feedback.")
    submit.add_argument("--text", required=True)
    submit.add_argument("--from", dest="submitter", required=True, metavar="EMAIL")
    item_fields(submit)
    listing = command("list", "Show stored feedback as a table.")
    listing.add_argument("--area")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--breaching", action="store_true", help="past their SLA, not acked")
    ack = command("ack", "Acknowledge an item (stops its SLA clock).")
    ack.add_argument("item_id", metavar="ID")
    ack.add_argument("--as", dest="actor", required=True, metavar="EMAIL")
    resolve = command("resolve", "Resolve an item with a status and a note for its submitters.")
    resolve.add_argument("item_id", metavar="ID")
    resolve.add_argument("--as", dest="actor", required=True, metavar="EMAIL")
    resolve.add_argument("--status", required=True, choices=RESOLUTIONS)
    resolve.add_argument("--note", required=True, metavar="TEXT")
    merge = command("merge", "Link an item to the original it duplicates.")
    merge.add_argument("item_id", metavar="ID")
    merge.add_argument("--into", required=True, metavar="ORIGINAL_ID")
    unmerge = command("unmerge", "Undo a duplicate link; the item gets its own routing back.")
    unmerge.add_argument("item_id", metavar="ID")
    command("watch", "Start the SLA watcher on the Temporal server (or wake the running one).")
    command("quarantine", "List the malformed rows that were quarantined, with the reason.")
    rules = sub.add_parser("rules", help="Routing rule tools.")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="SUBCOMMAND")
    test = rules_sub.add_parser("test", help="Show which rule matches a text, and why.")
    test.add_argument("--config", help="config file (default: $OPSRHYTHM_CONFIG)")
    test.add_argument("text", metavar="TEXT")
    item_fields(test)


def handles(args: argparse.Namespace) -> bool:
    return bool(args.command == "feedback")


def dispatch(args: argparse.Namespace, console: Console | None = None) -> int:
    out = console or terminal.console()
    config = load_config(args.config, check_calendars=True)
    if config.feedback is None:
        raise UsageError("the config has no feedback: section")
    settings = config.feedback
    if args.feedback_command == "rules":
        return _rules_test(args, settings, out)
    if args.feedback_command == "watch":
        return _watch()
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

    ledger = FeedbackLedger.from_url(default_database_url())
    try:
        return _run(args, config, ledger, out)
    finally:
        ledger.close()


def _run(
    args: argparse.Namespace, config: OpsRhythmConfig, ledger: FeedbackLedger, out: Console
) -> int:
    settings = config.feedback
    assert settings is not None
    now = datetime.now(UTC)
    if args.feedback_command == "import":
        if not args.file.is_file():
            raise UsageError(f"{args.file}: no such file")
        if args.file.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
            raise UsageError(f"{args.file}: expected a .csv or .jsonl file")
        with Progress(console=out, transient=True) as progress:
            task = progress.add_task("Triaging", total=None)
            summary: ImportSummary | ImportCounts
            if args.in_process:
                summary = _import_in_process(args.file, settings, ledger, now, progress, task)
            else:
                summary = _import_through_temporal(args, config, progress, task)
        out.print(
            f"imported {summary.imported} ({summary.linked} near-duplicates linked), "
            f"duplicates {summary.duplicates}, "
            f"quarantined {summary.quarantined} ({summary.quarantined_new} new)"
        )
        return 0
    if args.feedback_command == "submit":
        record = _record(args) | {"text": args.text, "submitter": args.submitter}
        row = parse_record(record, line=0, raw=repr(record), now=now)
        if row.input is None:
            raise UsageError(row.reason)
        summary = triage_chunk([row], settings, ledger, origin="cli", now=now, actor="cli")
        item = ledger.get(row.item_id)
        assert item is not None
        verb = "stored" if summary.imported else "already stored"
        out.print(f"{item.id} {verb}: {item.area} / {item.owner_team} / {item.assignee}")
        return 0
    if args.feedback_command in ("ack", "resolve"):
        from opsrhythm.rituals.feedback.actions import ActionRefused, acknowledge, resolve

        actor = args.actor.strip().lower()
        if actor not in {p.email.lower() for p in config.people}:
            raise UsageError(f"--as {args.actor}: not a person in the config")
        try:
            if args.feedback_command == "ack":
                acknowledge(ledger, args.item_id, actor)
            else:
                resolve(ledger, args.item_id, actor, args.status, args.note)
        except ActionRefused as error:
            raise UsageError(str(error)) from None
        out.print(
            f"{args.item_id} {'acknowledged' if args.feedback_command == 'ack' else args.status}"
        )
        if args.feedback_command == "resolve":
            from opsrhythm.rituals.feedback.temporal_import import wake_for_replies

            out.print(asyncio.run(wake_for_replies()))
        return 0
    if args.feedback_command in ("merge", "unmerge"):
        from opsrhythm.rituals.feedback.merging import MergeError, merge, unmerge

        try:
            if args.feedback_command == "merge":
                merge(ledger, args.item_id, args.into, "cli")
                out.print(f"{args.item_id} linked to {args.into}")
            else:
                original = unmerge(ledger, args.item_id, "cli")
                out.print(f"{args.item_id} split off from {original}")
        except MergeError as error:
            raise UsageError(str(error)) from None
        return 0
    if args.feedback_command == "quarantine":
        out.print(quarantine_table(ledger.quarantined()))
        return 0
    items = ledger.find(
        area=args.area, status=args.status, breaching_at=now if args.breaching else None
    )
    out.print(items_table(items))
    out.print(f"{len(items)} item(s)")
    return 0


def _import_in_process(
    path: Path,
    settings: FeedbackSettings,
    ledger: FeedbackLedger,
    now: datetime,
    progress: Progress,
    task: TaskID,
) -> ImportSummary:
    try:
        rows = read_file(path, now=now)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"{path}: {error}") from None
    progress.update(task, total=len(rows))
    advance = functools.partial(progress.advance, task)
    return triage_all(rows, settings, ledger, origin=path.name, now=now, progress=advance)


def _import_through_temporal(
    args: argparse.Namespace, config: OpsRhythmConfig, progress: Progress, task: TaskID
) -> ImportSummary | ImportCounts:
    from opsrhythm.rituals.feedback.temporal_import import ImportFailed, import_file

    def show(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    try:
        return asyncio.run(import_file(config, args.file, show))
    except ImportFailed as error:
        raise UsageError(str(error)) from None


def _watch() -> int:
    from opsrhythm.rituals.feedback.sla_models import SLA_WATCH_ID
    from opsrhythm.rituals.feedback.temporal_import import start_configured_sla_watch

    asyncio.run(start_configured_sla_watch())
    print(f"SLA watcher running: {SLA_WATCH_ID}")
    return 0


def _rules_test(args: argparse.Namespace, settings: FeedbackSettings, out: Console) -> int:
    record = _record(args) | {"text": args.text, "submitter": "test@opsrhythm.invalid"}
    try:
        item = FeedbackInput.model_validate(record | {"created_at": datetime.now(UTC)})
    except ValidationError as error:
        raise UsageError(error.errors()[0]["msg"]) from None
    print_rule_test(item, settings, out)
    return 0


def _record(args: argparse.Namespace) -> dict[str, object]:
    record: dict[str, object] = {"source": args.source, "tags": args.tags}
    for field in ("customer", "segment", "arr"):
        if getattr(args, field) is not None:
            record[field] = getattr(args, field)
    return record
