"""The SLA emails: one per person per sweep, listing their items; feedback text is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from opsrhythm.platform.models import RenderedEmail
from opsrhythm.rituals.feedback.models import FeedbackItem, snippet
from opsrhythm.rituals.feedback.sla import NoticeKind
from opsrhythm.rituals.feedback.sla_clock import local_label

LISTED = 50
"""Items listed in one email; the rest are counted, so a backlog cannot make a huge email."""
ACTION_WORDS = {"ack": "Acknowledge", "resolve": "Resolve"}


def render_sla_notice(
    kind: NoticeKind,
    name: str,
    items: Sequence[FeedbackItem],
    links: Mapping[str, Mapping[str, str]] | None = None,
    timezone: str = "UTC",
) -> RenderedEmail:
    """``links``: per item id, the signed ``ack`` and ``resolve`` links, when links are on;
    ``timezone``: the recipient's, for the deadlines."""
    links = links or {}
    count = len(items)
    plural = "item" if count == 1 else "items"
    if kind == "warning":
        subject = f"Feedback SLA: {count} {plural} due soon"
        intro = f"{count} feedback {plural} assigned to you will breach their SLA soon."
    else:
        subject = f"Feedback SLA breached: {count} {plural}"
        intro = f"{count} feedback {plural} in your area passed their SLA unacknowledged."
    shown, hidden = items[:LISTED], max(0, len(items) - LISTED)
    more = f"... and {hidden} more: opsrhythm feedback list --area AREA" if hidden else ""
    lines = []
    for i in shown:
        due = local_label(i.due_at, timezone)
        lines.append(f"- {i.id} [{i.priority}, {i.area}, due {due}] {snippet(i.text, 200)}")
        lines += [f"  {ACTION_WORDS[a]}: {url}" for a, url in links.get(i.id, {}).items()]
    lines += [more] if more else []
    command = "opsrhythm feedback ack ID --as YOUR_EMAIL"
    text = "\n".join([f"Hello {name},", "", intro, "", *lines, "", f"Acknowledge: {command}"])
    rows = "".join(
        f"<tr><td>{escape(i.id)}</td><td>{escape(i.priority)}</td><td>{escape(i.area)}</td>"
        f"<td>{escape(local_label(i.due_at, timezone))}</td><td>{escape(snippet(i.text, 200))}</td>"
        f"<td>{_action_links(links.get(i.id, {}))}</td></tr>"
        for i in shown
    )
    html = (
        f"<p>Hello {escape(name)},</p><p>{escape(intro)}</p>"
        "<table><tr><th>id</th><th>priority</th><th>area</th><th>due</th><th>feedback</th>"
        "<th></th></tr>"
        f"{rows}</table><p>{escape(more)}</p><p>Acknowledge: <code>{escape(command)}</code></p>"
    )
    return RenderedEmail(subject=subject, html=html, text=text)


def _action_links(links: Mapping[str, str]) -> str:
    return " · ".join(
        f'<a href="{escape(url)}">{ACTION_WORDS[action]}</a>' for action, url in links.items()
    )


def render_failure_notice(name: str, lines: Sequence[str]) -> RenderedEmail:
    """To an area's lead: the feedback emails of their area that could not be sent, and why."""
    count = len(lines)
    plural = "email" if count == 1 else "emails"
    subject = f"Feedback: {count} {plural} could not be sent"
    intro = (
        f"OpsRhythm could not send {count} feedback {plural} about your area; everything else "
        "went out. Each is recorded in the item's history (opsrhythm feedback list --json)."
    )
    shown, hidden = lines[:LISTED], max(0, count - LISTED)
    more = [f"... and {hidden} more: see the worker's log"] if hidden else []
    text = "\n".join([f"Hello {name},", "", intro, "", *(f"- {line}" for line in shown), *more])
    entries = "".join(f"<li>{escape(line)}</li>" for line in [*shown, *more])
    html = f"<p>Hello {escape(name)},</p><p>{escape(intro)}</p><ul>{entries}</ul>"
    return RenderedEmail(subject=subject, html=html, text=text)
