"""What the ``feedback`` intake and view commands do (an owner's actions: ``action_handlers``).

Items are in the feedback ledger at ``$OPSRHYTHM_DATABASE_URL``. Bad input is a ``UsageError``
(one line, exit 2). Temporal is imported only by the commands that use it (``import`` without
``--in-process``, ``resolve``, ``watch``): the views and in-process intake never load it.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from rich.progress import Progress, TaskID

from opsrhythm.platform.cli import CliContext
from opsrhythm.platform.cli_errors import UsageError
from opsrhythm.platform.config import PlatformConfig
from opsrhythm.platform.ledger_keys import default_database_url
from opsrhythm.platform.terminal import console, print_json
from opsrhythm.rituals.feedback import views
from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import (
    parse_record,
    read_file,
    unknown_columns,
    unknown_columns_line,
)
from opsrhythm.rituals.feedback.ledger import FeedbackLedger
from opsrhythm.rituals.feedback.models import FeedbackInput
from opsrhythm.rituals.feedback.queue import QueueFilter, item_history, queue_page
from opsrhythm.rituals.feedback.triage import ImportSummary, triage_all, triage_chunk

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.workflow_models import ImportCounts

FILE_TYPES = (".csv", ".jsonl", ".ndjson")
NO_WATCHER = (
    "No Temporal server configured: SLA emails and replies are sent only by the SLA watcher; "
    "run `opsrhythm worker` against a server (TEMPORAL_ADDRESS) and `opsrhythm feedback watch`"
)
IN_PROCESS_NOTE = (
    "Imported in process: SLA emails and replies for these items are sent only by the SLA "
    "watcher; run `opsrhythm worker` against a server (TEMPORAL_ADDRESS) and "
    "`opsrhythm feedback watch`"
)


def watcher_note() -> str | None:
    """``NO_WATCHER`` when no server is configured: an embedded one stops with the command."""
    from opsrhythm.platform.temporal_runtime import configured_address

    return NO_WATCHER if configured_address() is None else None


def feedback_config(
    args: argparse.Namespace, context: CliContext
) -> tuple[PlatformConfig, FeedbackSettings]:
    config = context.config(args, check_calendars=True)
    settings: FeedbackSettings | None = getattr(config, "feedback", None)
    if settings is None:
        raise UsageError("the config has no feedback: section")
    return config, settings


@contextmanager
def open_ledger() -> Iterator[FeedbackLedger]:
    ledger = FeedbackLedger.from_url(default_database_url())
    try:
        yield ledger
    finally:
        ledger.close()


def import_file(args: argparse.Namespace, context: CliContext) -> int:
    config, settings = feedback_config(args, context)
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if path.suffix.lower() not in FILE_TYPES:
        raise UsageError(f"{path}: expected a .csv or .jsonl file")
    out = console()
    with Progress(console=out, transient=True) as progress:
        task = progress.add_task("Triaging", total=None)
        summary: ImportSummary | ImportCounts
        if args.in_process:
            with open_ledger() as ledger:
                summary = _import_in_process(path, settings, ledger, progress, task)
        else:
            summary = _import_through_temporal(path, config, context, progress, task)
    out.print(
        f"imported {summary.imported} ({summary.linked} near-duplicates linked), "
        f"duplicates {summary.duplicates}, "
        f"quarantined {summary.quarantined} ({summary.quarantined_new} new)"
    )
    ignored = unknown_columns_line(unknown_columns(path.read_bytes(), path.name, settings.columns))
    if ignored is not None:
        out.print(ignored, markup=False, highlight=False, soft_wrap=True)
    # An in-process import starts no SLA watcher, and stays clear of temporalio to say so.
    note = IN_PROCESS_NOTE if args.in_process else watcher_note()
    if note is not None:
        out.print(note, soft_wrap=True)
    return 0


def _import_in_process(
    path: Path, settings: FeedbackSettings, ledger: FeedbackLedger, progress: Progress, task: TaskID
) -> ImportSummary:
    now = datetime.now(UTC)
    try:
        rows = read_file(path, now=now, columns=settings.columns)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"{path}: {error}") from None
    progress.update(task, total=len(rows))
    advance = functools.partial(progress.advance, task)
    return triage_all(rows, settings, ledger, origin=path.name, now=now, progress=advance)


def _import_through_temporal(
    path: Path, config: PlatformConfig, context: CliContext, progress: Progress, task: TaskID
) -> ImportCounts:
    import asyncio

    from opsrhythm.rituals.feedback.temporal_import import ImportFailed, import_file

    def show(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    try:
        return asyncio.run(import_file(config, path, show, context.worker_factory, context.connect))
    except ImportFailed as error:
        raise UsageError(str(error)) from None


def submit(args: argparse.Namespace, context: CliContext) -> int:
    _, settings = feedback_config(args, context)
    now = datetime.now(UTC)
    record = _record(args) | {"text": args.text, "submitter": args.submitter}
    row = parse_record(record, line=0, raw=repr(record), now=now)
    if row.input is None:
        raise UsageError(row.reason)
    with open_ledger() as ledger:
        summary = triage_chunk([row], settings, ledger, origin="cli", now=now, actor="cli")
        item = ledger.get(row.item_id)
    assert item is not None
    verb = "stored" if summary.imported else "already stored"
    console().print(f"{item.id} {verb}: {item.area} / {item.owner_team} / {item.assignee}")
    return 0


def list_items(args: argparse.Namespace, context: CliContext) -> int:
    config, settings = feedback_config(args, context)
    if args.json and args.csv:
        raise UsageError("--json and --csv: choose one")
    which = QueueFilter(
        area=args.area,
        status=args.status,
        breaching_at=datetime.now(UTC) if args.breaching else None,
        hide_duplicates=args.hide_duplicates,
    )
    limit = args.limit or None
    with open_ledger() as ledger:
        page = queue_page(ledger, which, sort=args.sort, limit=limit, offset=args.offset)
        failures = ledger.email_failures()
    if args.json:
        print_json(views.page_json(page, failures))
    elif args.csv:
        views.write_csv(page, failures, sys.stdout)
    else:
        timezone = feedback_timezone(config, settings)
        out = console()
        out.print(views.items_table(page, failures, timezone=timezone, boxed=sys.stdout.isatty()))
        out.print(views.page_footer(page))
    return 0


def history(args: argparse.Namespace, context: CliContext) -> int:
    config, settings = feedback_config(args, context)
    with open_ledger() as ledger:
        item = ledger.get(args.item_id)
        if item is None:
            raise UsageError(f"no feedback item {args.item_id!r}")
        events = item_history(ledger, item.id)
    if args.json:
        print_json(views.history_json(item, events))
        return 0
    out = console()
    zone = feedback_timezone(config, settings)
    out.print(views.history_table(item, events, zone, boxed=sys.stdout.isatty()))
    return 0


def feedback_timezone(config: PlatformConfig, settings: FeedbackSettings) -> str:
    """The feedback timezone: the section's own, else the organization's."""
    return settings.timezone or config.organization.timezone


def quarantine(args: argparse.Namespace, context: CliContext) -> int:
    feedback_config(args, context)
    with open_ledger() as ledger:
        rows = ledger.quarantined()
    if args.json:
        print_json(views.quarantine_json(rows))
    else:
        console().print(views.quarantine_table(rows))
    return 0


def rules_test(args: argparse.Namespace, context: CliContext) -> int:
    _, settings = feedback_config(args, context)
    record = _record(args) | {"text": args.text, "submitter": "test@opsrhythm.invalid"}
    try:
        item = FeedbackInput.model_validate(record | {"created_at": datetime.now(UTC)})
    except ValidationError as error:
        raise UsageError(error.errors()[0]["msg"]) from None
    views.print_rule_test(item, settings, console())
    return 0


def _record(args: argparse.Namespace) -> dict[str, object]:
    record: dict[str, object] = {"source": args.source, "tags": args.tags}
    for field in ("customer", "segment", "arr"):
        if getattr(args, field) is not None:
            record[field] = getattr(args, field)
    return record
