"""Routing rules: ordered, first match wins; the unmatched go to the ops rotation's triage queue.

Pure functions of the config and the item, so the same code routes in-process, in an activity
and in ``feedback rules test``, which prints the reasons each rule matched or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsrhythm.rituals.feedback.config import FeedbackSettings, Rule, RuleMatch, Scoring
from opsrhythm.rituals.feedback.models import FeedbackInput, Routing
from opsrhythm.rituals.feedback.word_forms import contains_phrase

TRIAGE_AREA = "triage"


@dataclass(frozen=True)
class RuleVerdict:
    rule: str
    matched: bool
    reasons: list[str]


def evaluate(rule: Rule, item: FeedbackInput) -> RuleVerdict:
    """Whether every condition of the rule holds, with one reason per condition checked."""
    reasons: list[str] = []
    ok = True

    def check(passed: bool, why: str) -> None:
        nonlocal ok
        ok = ok and passed
        reasons.append(("✓ " if passed else "✗ ") + why)

    m: RuleMatch = rule.match
    if m.keywords:
        found = [k for k in m.keywords if contains_phrase(item.text, k)]
        check(bool(found), f"keywords {m.keywords}: " + (f"found {found}" if found else "none"))
    if m.regex is not None:
        hit = re.search(m.regex, item.text, re.IGNORECASE)
        check(hit is not None, f"regex {m.regex!r}: " + (repr(hit.group(0)) if hit else "no match"))
    if m.tags:
        common = sorted(set(m.tags) & set(item.tags))
        check(bool(common), f"tags {m.tags}: " + (f"has {common}" if common else "none"))
    if m.sources:
        check(item.source in m.sources, f"source {item.source!r} in {m.sources}")
    if m.segments:
        check(item.segment in m.segments, f"segment {item.segment!r} in {m.segments}")
    arr = item.arr or 0.0
    if m.min_arr is not None:
        check(arr >= m.min_arr, f"ARR {arr:,.0f} >= {m.min_arr:,.0f}")
    if m.max_arr is not None:
        check(arr < m.max_arr, f"ARR {arr:,.0f} < {m.max_arr:,.0f}")
    return RuleVerdict(rule.id, ok, reasons)


def score(item: FeedbackInput, scoring: Scoring) -> float:
    arr_points = min((item.arr or 0.0) / scoring.arr_per_point, scoring.arr_cap)
    segment = scoring.segments.get(item.segment or "", 0.0)
    source = scoring.sources.get(item.source, 0.0)
    return round(arr_points + segment + source, 2)


def route(item: FeedbackInput, settings: FeedbackSettings, triage_turn: int) -> Routing:
    """The first matching rule's area, team and priority; else the triage queue, in turn."""
    points = score(item, settings.scoring)
    for rule in settings.rules:
        verdict = evaluate(rule, item)
        if verdict.matched:
            area = settings.area(rule.area)
            return Routing(
                area=area.id,
                owner_team=rule.owner_team or area.owner_team,
                assignee=area.owner,
                priority=rule.priority,
                score=points,
                rule=rule.id,
                reasons=verdict.reasons,
            )
    rotation = settings.triage.rotation
    return Routing(
        area=TRIAGE_AREA,
        owner_team=settings.triage.owner_team,
        assignee=rotation[triage_turn % len(rotation)],
        priority=settings.triage.priority,
        score=points,
        rule=None,
        reasons=["no rule matched: triage queue"],
    )


def explain(item: FeedbackInput, settings: FeedbackSettings) -> list[RuleVerdict]:
    """Every rule's verdict up to and including the first match."""
    verdicts: list[RuleVerdict] = []
    for rule in settings.rules:
        verdicts.append(evaluate(rule, item))
        if verdicts[-1].matched:
            break
    return verdicts
