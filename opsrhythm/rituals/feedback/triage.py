"""Triage: route parsed rows by the rules and write them to the ledger, in chunks.

The same function serves the CLI in-process and the Temporal activity that runs it per chunk.
A chunk costs a fixed handful of queries (existence, the triage turn, the originals changed
since the last chunk, the batched writes); writes are keyed by item id and only the attempt
whose insert stored an item records its history, so a chunk that runs twice, even two attempts
at once, stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING

from opsrhythm.rituals.feedback.config import FeedbackSettings
from opsrhythm.rituals.feedback.intake import ParsedRow
from opsrhythm.rituals.feedback.ledger_view import LedgerView
from opsrhythm.rituals.feedback.models import FeedbackInput, FeedbackItem
from opsrhythm.rituals.feedback.rules import TRIAGE_AREA, route
from opsrhythm.rituals.feedback.sla_clock import sla_deadlines, sla_start

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

CHUNK = 500


@dataclass
class ImportSummary:
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_new: int = 0
    linked: int = 0
    """Imported items linked to an earlier near-duplicate."""

    def add(self, other: ImportSummary) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


Deadlines = dict[tuple[str, datetime], tuple[datetime, datetime] | None]
"""(warn, due) by (priority, clock start): one import's rows mostly share both."""


def build_item(
    item_id: str,
    data: FeedbackInput,
    settings: FeedbackSettings,
    turn: int,
    now: datetime,
    deadlines: Deadlines | None = None,
) -> FeedbackItem:
    routing = route(data, settings, turn)
    start = sla_start(settings, data.created_at, now)
    known = {} if deadlines is None else deadlines
    key = (routing.priority, start)
    if key not in known:
        known[key] = sla_deadlines(settings, routing.priority, start)
    warn, due = known[key] or (None, None)
    return FeedbackItem(
        **data.model_dump(),
        id=item_id,
        area=routing.area,
        owner_team=routing.owner_team,
        assignee=routing.assignee,
        priority=routing.priority,
        score=routing.score,
        rule=routing.rule,
        due_at=due,
        warn_at=warn,
    )


def triage_chunk(
    rows: Sequence[ParsedRow],
    settings: FeedbackSettings,
    ledger: FeedbackLedger,
    *,
    origin: str,
    now: datetime,
    actor: str = "import",
    view: LedgerView | None = None,
) -> ImportSummary:
    """Quarantine the malformed rows, route and store the new ones, count the rest.

    ``view`` carries the dedupe index and the triage turn from one chunk of an import to the
    next; without it they are read for this chunk alone.
    """
    view = view or LedgerView(settings.dedupe)
    try:
        return _triage(rows, settings, ledger, origin, now, actor, view)
    except BaseException:
        view.forget()  # it may hold items of this chunk that were never stored
        raise


def _triage(
    rows: Sequence[ParsedRow],
    settings: FeedbackSettings,
    ledger: FeedbackLedger,
    origin: str,
    now: datetime,
    actor: str,
    view: LedgerView,
) -> ImportSummary:
    summary = ImportSummary()
    bad = [r for r in rows if r.input is None]
    summary.quarantined = len(bad)
    summary.quarantined_new = ledger.quarantine_rows([r.quarantine_record(origin) for r in bad])
    good = [r for r in rows if r.input is not None]
    known = ledger.existing_ids(r.item_id for r in good)
    index = view.current(ledger)
    turn = view.triage_turn
    items: dict[str, FeedbackItem] = {}
    deadlines: Deadlines = {}
    for row in good:
        if row.item_id in known or row.item_id in items:
            summary.duplicates += 1
            continue
        assert row.input is not None
        item = build_item(row.item_id, row.input, settings, turn, now, deadlines)
        turn += item.area == TRIAGE_AREA
        original = index.original_of(item.text, item.customer)
        if original is None:
            index.add(item.id, item.text, item.customer)
        else:
            item.duplicate_of = original
            summary.linked += 1
        items[item.id] = item
    summary.imported = ledger.add(list(items.values()), actor=actor)
    summary.duplicates += len(items) - summary.imported
    return summary


def triage_all(
    rows: Sequence[ParsedRow],
    settings: FeedbackSettings,
    ledger: FeedbackLedger,
    *,
    origin: str,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    total = ImportSummary()
    view = LedgerView(settings.dedupe)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        total.add(triage_chunk(chunk, settings, ledger, origin=origin, now=now, view=view))
        if progress is not None:
            progress(len(chunk))
    return total
