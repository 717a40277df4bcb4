"""Near-duplicate detection: token Jaccard similarity over an inverted index of open originals.

An item is a duplicate of an earlier one when they come from the same customer and read alike,
or when they read almost the same whoever sent them. Only items that share a word that is not
common in the backlog are compared, so a batch of thousands is checked without comparing every
pair; two texts alike only in their common words can go unlinked (``merge`` links them).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from opsrhythm.rituals.feedback.config import Dedupe

COMMON = 200
"""A word in more open items than this is not used to look for candidates on its own."""
FEW = 20
"""Candidates found through common words are narrowed by the next word until this few."""
SCANNED = 2000
"""A text whose least common word is in more open items than this is not looked up: each
lookup stays bounded however large the backlog grows (``merge`` links such items by hand)."""
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "please",
        "the",
        "this",
        "to",
        "was",
        "we",
        "were",
        "with",
        "would",
        "you",
        "your",
    ]
)


def tokens(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1)


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word sets (stop words left out)."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


@dataclass
class DuplicateIndex:
    """Open originals, searchable for the best near-duplicate of a new text."""

    rules: Dedupe
    _tokens: dict[str, frozenset[str]] = field(default_factory=dict)
    _customer: dict[str, str] = field(default_factory=dict)
    _order: dict[str, int] = field(default_factory=dict)
    _postings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, item_id: str, text: str, customer: str | None) -> None:
        words = tokens(text)
        self._tokens[item_id] = words
        self._order.setdefault(item_id, len(self._order))
        self._customer[item_id] = (customer or "").strip().lower()
        for word in words:
            self._postings[word].add(item_id)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._tokens

    def discard(self, item_id: str) -> None:
        """Forget an item that is no longer an open original (resolved, merged)."""
        for word in self._tokens.pop(item_id, frozenset()):
            self._postings[word].discard(item_id)
        self._customer.pop(item_id, None)

    def original_of(self, text: str, customer: str | None) -> str | None:
        """The most similar original above the threshold that applies, else None."""
        words = tokens(text)
        if not words:
            return None
        who = (customer or "").strip().lower()
        lowest = min(self.rules.same_customer, self.rules.any_customer)
        best: tuple[float, int, str] | None = None
        for item_id in self._candidates(words):
            theirs = self._tokens[item_id]
            shared = len(words & theirs)
            score = shared / (len(words) + len(theirs) - shared)
            if score < lowest:
                continue
            same = bool(who) and who == self._customer[item_id]
            needed = self.rules.same_customer if same else self.rules.any_customer
            # A tie links to the earliest original, whatever the order of the candidates.
            ranked = (score, -self._order[item_id], item_id)
            if score >= needed and (best is None or ranked > best):
                best = ranked
        return None if best is None else best[2]

    def _candidates(self, words: frozenset[str]) -> set[str]:
        # Words shared by a large part of the backlog would make each lookup scan it all. An
        # original at the lowest threshold shares at least that share of the text's words, so it
        # has one of the rarest len - ceil(share * len) + 1 of them (counting the rare ones
        # alone may miss it). With no rare word, the originals sharing the least common words
        # (narrowed while many) are compared: a set intersection, not a scan, and none at all
        # past SCANNED.
        known = sorted((len(self._postings[w]), w) for w in words if self._postings.get(w))
        lowest = min(self.rules.same_customer, self.rules.any_customer)
        enough = len(words) - math.ceil(lowest * len(words)) + 1
        rare = [w for count, w in known[:enough] if count <= COMMON]
        if rare:
            return set().union(*(self._postings[w] for w in rare))
        if not known or known[0][0] > SCANNED:
            return set()  # only words in most of the backlog: no lookup would stay cheap
        if len(known) < 2:
            return set(self._postings[known[0][1]])
        found = self._postings[known[0][1]] & self._postings[known[1][1]]
        for _, word in known[2:]:
            if len(found) <= FEW:
                break
            found &= self._postings[word]
        return found
