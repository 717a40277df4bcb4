"""What triage needs to know of the ledger, kept current from one chunk to the next.

Loading every open original and counting the triage queue for each chunk made an import
quadratic in the backlog. Instead both are read once, then each chunk reads only the items whose
history moved since the last look: new originals join the dedupe index, resolved or merged ones
leave it, and items newly routed to the triage queue advance its rotation. A view is kept for
one import at a time, so another writer's item is missed for at most that import's length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsrhythm.rituals.feedback.config import Dedupe
from opsrhythm.rituals.feedback.dedupe import DuplicateIndex
from opsrhythm.rituals.feedback.rules import TRIAGE_AREA

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger


class LedgerView:
    def __init__(self, rules: Dedupe) -> None:
        self._rules = rules
        self._index = DuplicateIndex(rules)
        self._seen: int | None = None
        self.triage_turn = 0
        """Items ever routed to the triage queue: where its round robin stands."""

    def current(self, ledger: FeedbackLedger) -> DuplicateIndex:
        """The dedupe index brought up to date with the ledger; the caller may add to it."""
        from opsrhythm.rituals.feedback.ledger import OPEN_ORIGINAL

        if self._seen is None:
            self._seen, originals = ledger.open_originals()
            self.triage_turn = ledger.count_in_area(TRIAGE_AREA)
            for item_id, text, customer in originals:
                self._index.add(item_id, text, customer)
            return self._index
        self._seen, routed, rows = ledger.changed_since(self._seen)
        for row in rows:
            is_original = row.duplicate_of is None and row.status in OPEN_ORIGINAL
            if is_original and row.id not in self._index:
                self._index.add(row.id, row.text, row.customer)
            elif not is_original:
                self._index.discard(row.id)
            self.triage_turn += row.id in routed and row.area == TRIAGE_AREA
        return self._index

    def forget(self) -> None:
        """Start over at the next ``current``: a chunk failed after adding to the index."""
        self._index = DuplicateIndex(self._rules)
        self._seen = None
