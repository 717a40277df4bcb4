"""Keyword matching that sees past simple word forms: "invoices", "invoicing" and "invoiced"
all match the keyword "invoice", "reports" matches "report", "categories" matches "category".

Both the text and the keyword are cut into words and punctuation marks, and each word is reduced
to a stem: a plural ending (-s, -es, -ies), then an -ing or -ed ending (with a doubled final
consonant undone: "planned" is "plan"), then a final silent -e. A keyword or phrase matches
where its stems appear in the text in the same order, side by side. Short words (three letters
or fewer, such as "sso" or "api"), words with digits and anything that is not a letter are
compared as they are, case-blind. Only endings are removed: "reporter" is not "report".
"""

from __future__ import annotations

import functools
import re

_TOKEN = re.compile(r"\w+|[^\w\s]")
_SHORTEST_STEM = 3
_KEEP_DOUBLED = "lsz"
"""Doubled finals kept when an ending goes: "billing" is "bill", but "running" is "run"."""


def word_stem(word: str) -> str:
    stem = word.lower()
    if len(stem) <= _SHORTEST_STEM or not stem.isalpha():
        return stem
    stem = _drop_plural(stem)
    stem = _drop_verb_ending(stem)
    if len(stem) > _SHORTEST_STEM and stem.endswith("e") and not stem.endswith("ee"):
        stem = stem[:-1]
    return stem


@functools.lru_cache(maxsize=8192)
def stems(text: str) -> tuple[str, ...]:
    """The text's words as stems, punctuation marks kept as tokens of their own."""
    return tuple(word_stem(token) for token in _TOKEN.findall(text))


def contains_phrase(text: str, phrase: str) -> bool:
    wanted, found = stems(phrase), stems(text)
    if not wanted:
        return False
    size = len(wanted)
    return any(found[i : i + size] == wanted for i in range(len(found) - size + 1))


def _cut(word: str, ending: str, replacement: str = "") -> str | None:
    if word.endswith(ending) and len(word) - len(ending) + len(replacement) >= _SHORTEST_STEM:
        return word[: -len(ending)] + replacement
    return None


def _drop_plural(word: str) -> str:
    for ending, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch")):
        cut = _cut(word, ending, replacement)
        if cut is not None:
            return cut
    cut = _cut(word, "shes", "sh")
    if cut is not None:
        return cut
    if word.endswith(("ss", "us", "is")):
        return word
    return _cut(word, "s") or word


def _drop_verb_ending(word: str) -> str:
    cut = _cut(word, "ied", "y")
    if cut is not None:
        return cut
    if word.endswith("eed"):
        return word  # "need", "speed": not a past tense
    for ending in ("ing", "ed"):
        cut = _cut(word, ending)
        if cut is not None:
            doubled = len(cut) > _SHORTEST_STEM and cut[-1] == cut[-2]
            if doubled and cut[-1] not in _KEEP_DOUBLED and cut[-1] not in "aeiou":
                return cut[:-1]
            return cut
    return word
