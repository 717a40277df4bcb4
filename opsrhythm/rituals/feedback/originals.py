"""The open originals that new items are deduplicated against, kept current across chunks.

Loading every open original for each chunk made an import quadratic in the backlog. Instead
the index is loaded once, then each chunk reads only the items whose history moved since the
last look (one query): new originals join, resolved or merged ones leave. An index is kept
for one import at a time, so another writer's item is missed for at most that import's length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsrhythm.rituals.feedback.config import Dedupe
from opsrhythm.rituals.feedback.dedupe import DuplicateIndex

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger


class OpenOriginals:
    def __init__(self, rules: Dedupe) -> None:
        self._rules = rules
        self._index = DuplicateIndex(rules)
        self._seen: int | None = None

    def current(self, ledger: FeedbackLedger) -> DuplicateIndex:
        """The index brought up to date with the ledger; the caller may add to it."""
        from opsrhythm.rituals.feedback.ledger import OPEN_ORIGINAL

        if self._seen is None:
            self._seen, originals = ledger.open_originals()
            for item_id, text, customer in originals:
                self._index.add(item_id, text, customer)
            return self._index
        for row in ledger.changed_since(self._seen):
            self._seen = max(self._seen, row.seq)
            is_original = row.duplicate_of is None and row.status in OPEN_ORIGINAL
            if is_original and row.id not in self._index:
                self._index.add(row.id, row.text, row.customer)
            elif not is_original:
                self._index.discard(row.id)
        return self._index

    def forget(self) -> None:
        """Start over at the next ``current``: a chunk failed after adding to the index."""
        self._index = DuplicateIndex(self._rules)
        self._seen = None
