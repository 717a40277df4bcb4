"""The weekly digest per product area, to its owner: new items, top themes, SLA trouble; and
one for the triage queue, to its lead (else the first of its rotation).

A digest covers exactly the week before its slot: items created from the slot minus 7 days up
to (not including) the slot, and the items near or past their SLA at the slot, so an item that
arrives after the slot is in the next digest only. Themes are the words that recur across the
week's items (stop words left out), ranked by how many items mention them and by the ARR behind
those items. The digest is due at a fixed local weekday and time; the sweep sends it once per
area per week (the send ledger keys it by date). A week with nothing to say is recorded there
as done, without an email, so a later item cannot set off a late "weekly" digest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from opsrhythm.platform.models import RenderedEmail
from opsrhythm.rituals.feedback.config import FeedbackSettings, ProductArea
from opsrhythm.rituals.feedback.dedupe import tokens
from opsrhythm.rituals.feedback.models import FeedbackItem, snippet
from opsrhythm.rituals.feedback.rules import TRIAGE_AREA
from opsrhythm.rituals.feedback.sla_clock import local_label
from opsrhythm.rituals.feedback.vocabulary import OPEN

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

TOP = 5


def last_digest_time(now: datetime, timezone: str, weekday: int, at: str) -> datetime:
    """The latest scheduled digest moment at or before ``now`` (weekday 0 = Monday)."""
    local = now.astimezone(ZoneInfo(timezone))
    hour, minute = (int(part) for part in at.split(":"))
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    moment = datetime.combine(day, time(hour, minute), ZoneInfo(timezone))
    if moment > local:
        moment = datetime.combine(day - timedelta(days=7), time(hour, minute), ZoneInfo(timezone))
    return moment


@dataclass(frozen=True)
class Digest:
    new: list[FeedbackItem]
    themes_by_count: list[tuple[str, int]]
    themes_by_arr: list[tuple[str, float]]
    at_risk: list[FeedbackItem]
    """Open items past their warning time or their SLA."""


def digest_areas(settings: FeedbackSettings) -> list[ProductArea]:
    """The areas that get a digest: every product area, then the triage queue."""
    lead = settings.triage.lead or settings.triage.rotation[0]
    triage = ProductArea(
        id=TRIAGE_AREA,
        name="Triage queue",
        owner_team=settings.triage.owner_team,
        owner=lead,
        lead=lead,
    )
    return [*settings.areas, triage]


def build_digest(ledger: FeedbackLedger, area: str, since: datetime, until: datetime) -> Digest:
    """Items created in [since, until), and those near or past their SLA at ``until``."""
    import sqlalchemy as sa  # loaded on the first digest, not at worker start

    t = ledger.items
    new = ledger.select_items(
        sa.and_(
            t.c.area == area,
            t.c.duplicate_of.is_(None),
            t.c.created_at >= since,
            t.c.created_at < until,
        )
    )
    new.sort(key=lambda item: (item.created_at, item.id))
    counts: Counter[str] = Counter()
    arr: dict[str, float] = {}
    for item in new:
        for word in tokens(item.text):
            counts[word] += 1
            arr[word] = arr.get(word, 0.0) + (item.arr or 0.0)
    at_risk = ledger.select_items(
        sa.and_(
            t.c.area == area,
            t.c.status == OPEN,
            t.c.duplicate_of.is_(None),
            t.c.warn_at <= until,
        )
    )
    return Digest(
        new=new,
        themes_by_count=[(w, c) for w, c in sorted(counts.items(), key=_by_value)[:TOP] if c > 1],
        themes_by_arr=[(w, a) for w, a in sorted(arr.items(), key=_by_value)[:TOP] if a > 0],
        at_risk=at_risk,
    )


def render_digest(
    digest: Digest, area_name: str, owner_name: str, timezone: str = "UTC"
) -> RenderedEmail:
    """Deadlines in ``timezone`` (the owner's), with the zone's abbreviation."""
    subject = f"{area_name}: {len(digest.new)} new feedback items this week"
    sections: list[tuple[str, list[str]]] = [
        ("New this week", [f"{i.id} [{i.priority}] {snippet(i.text, 120)}" for i in digest.new]),
        ("Top themes by count", [f"{w} ({c} items)" for w, c in digest.themes_by_count]),
        ("Top themes by ARR", [f"{w} ({a:,.0f} ARR)" for w, a in digest.themes_by_arr]),
        (
            "Near or past their SLA",
            [
                f"{i.id} [{i.priority}] due {local_label(i.due_at, timezone)}"
                for i in digest.at_risk
            ],
        ),
    ]
    text = [f"Hello {owner_name},", ""]
    html = [f"<p>Hello {escape(owner_name)},</p>"]
    for title, lines in sections:
        text += [title, *(f"- {line}" for line in lines or ["none"]), ""]
        entries = "".join(f"<li>{escape(line)}</li>" for line in lines or ["none"])
        html.append(f"<h3>{escape(title)}</h3><ul>{entries}</ul>")
    return RenderedEmail(subject=subject, text="\n".join(text), html="".join(html))


def _by_value(entry: tuple[str, float]) -> tuple[float, str]:
    # Ties go alphabetically: the word sets' order varies from run to run.
    return -entry[1], entry[0]
