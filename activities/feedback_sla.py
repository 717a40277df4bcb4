"""The sweep: warn owners of items near their SLA, escalate breaches to the area's lead, and tell
submitters what became of their feedback.

One email per person per sweep, listing their items. Each (item, kind, recipient) is claimed in
the send ledger before sending, as every email OpsRhythm sends is, so a retried sweep never
emails anyone twice; only then is the item marked, so a failed send is tried again.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from temporalio import activity

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.config import Person
from opsrhythm.platform.ledger_keys import MessageKey
from opsrhythm.platform.mail.contract import MailTransport, MessageTags
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.rituals.feedback.config import ProductArea
from opsrhythm.rituals.feedback.digest import build_digest, last_digest_time, render_digest
from opsrhythm.rituals.feedback.models import FeedbackItem
from opsrhythm.rituals.feedback.rules import TRIAGE_AREA
from opsrhythm.rituals.feedback.sla_models import SWEEP_SLA, SlaSweepInput, SlaSweepResult

DIGEST_CATCH_UP = timedelta(days=1)
"""A watcher down at digest time still sends it within a day; later, the week is skipped."""

if TYPE_CHECKING:
    from opsrhythm.platform.ledger import SendLedger
    from opsrhythm.rituals.feedback.close_loop import Reply
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger
    from opsrhythm.rituals.feedback.links import ActionLinks
    from opsrhythm.rituals.feedback.sla import NoticeKind


class FeedbackSlaActivities:
    def __init__(
        self,
        config: OpsRhythmConfig,
        open_ledger: Callable[[], FeedbackLedger],
        open_send_ledger: Callable[[], SendLedger],
        transport: MailTransport,
        links: ActionLinks | None = None,
    ) -> None:
        """``links``: signs ack and resolve links into the SLA emails; without it, CLI only."""
        self._config = config
        self._links = links
        self._open_ledger = open_ledger
        self._open_send_ledger = open_send_ledger
        self._transport = transport

    @functools.cached_property
    def _ledger(self) -> FeedbackLedger:
        return self._open_ledger()

    @functools.cached_property
    def _sends(self) -> SendLedger:
        return self._open_send_ledger()

    @activity.defn(name=SWEEP_SLA.name)
    def sweep_sla(self, input: SlaSweepInput) -> SlaSweepResult:
        """Send the warnings and escalations due at ``now``; return when the next one is due."""
        # The ledger-backed modules import SQLAlchemy; loaded on first sweep, not at worker start.
        from opsrhythm.rituals.feedback import close_loop, sla

        result = SlaSweepResult()
        notices: tuple[NoticeKind, ...] = ("warning", "escalation")
        for notice in notices:
            by_person: dict[str, list[FeedbackItem]] = defaultdict(list)
            for item in sla.due_notices(self._ledger, notice, input.now):
                by_person[self._recipient(item, notice)].append(item)
            for person_id, items in by_person.items():
                self._notify(input.workflow_id, notice, self._config.person(person_id), items)
            count = sum(len(items) for items in by_person.values())
            if notice == "warning":
                result.warned = count
            else:
                result.escalated = count
        settings = self._config.feedback
        assert settings is not None
        window = parse_duration(settings.reply_window)
        for email, replies in close_loop.replies_due(self._ledger, input.now, window).items():
            self._reply(input.workflow_id, email, replies)
            result.replied += 1
        digest_at = last_digest_time(
            input.now,
            self._config.organization.timezone,
            settings.digest_weekday,
            settings.digest_at,
        )
        if input.now - digest_at < DIGEST_CATCH_UP:
            for area in settings.areas:
                result.digests += self._digest(input.workflow_id, area, digest_at, input.now)
        moments = [
            sla.next_deadline(self._ledger, input.now),
            close_loop.next_reply_at(self._ledger, window),
            digest_at + timedelta(days=7),
        ]
        result.next_at = min((m for m in moments if m is not None), default=None)
        return result

    def _digest(self, workflow_id: str, area: ProductArea, at: datetime, now: datetime) -> int:
        owner = self._config.person(area.owner)
        key = MessageKey(workflow_id, area.id, f"digest-{at:%Y-%m-%d}", owner.email)
        if self._sends.statuses([key]):
            return 0
        digest = build_digest(self._ledger, area.id, at - timedelta(days=7), now)
        if not digest.new and not digest.at_risk:
            return 0  # nothing to say this week
        message = render_digest(digest, area.name, owner.name)
        self._send([key], lambda claimed: message, owner.email, owner.name)
        return 1

    def _reply(self, workflow_id: str, email: str, replies: list[Reply]) -> None:
        from opsrhythm.rituals.feedback import close_loop

        keys = {MessageKey(workflow_id, r.item_id, "close-loop", email): r for r in replies}
        self._send(
            list(keys),
            lambda claimed: close_loop.render_replies([keys[k] for k in claimed]),
            email,
            "",
        )
        close_loop.mark_replied(self._ledger, email, [r.item_id for r in replies])

    def _send(
        self,
        keys: list[MessageKey],
        render: Callable[[list[MessageKey]], RenderedEmail],
        email: str,
        name: str,
    ) -> None:
        """Send one email covering the keys not sent before; the send ledger prevents repeats."""
        claim = self._sends.claim(keys, transport=self._transport.name)
        if not claim.claimed:
            return
        tags = MessageTags(categories=["opsrhythm", "feedback"])
        try:
            self._transport.send(
                render(claim.claimed), [Recipient(name=name or email, email=email)], tags
            )
        except Exception as error:
            self._sends.release(claim.claimed, str(error))
            raise
        self._sends.mark_sent(claim.claimed)

    def _recipient(self, item: FeedbackItem, kind: NoticeKind) -> str:
        if kind == "warning":
            return item.assignee
        settings = self._config.feedback
        assert settings is not None
        if item.area == TRIAGE_AREA:
            return settings.triage.lead or settings.triage.rotation[0]
        return settings.area(item.area).lead

    def _notify(
        self, workflow_id: str, kind: NoticeKind, person: Person, items: list[FeedbackItem]
    ) -> None:
        from opsrhythm.rituals.feedback import sla, sla_mail

        keys = {MessageKey(workflow_id, i.id, f"sla-{kind}", person.email): i for i in items}

        def render(claimed: list[MessageKey]) -> RenderedEmail:
            chosen = [keys[k] for k in claimed]
            links, listed = self._links, chosen[: sla_mail.LISTED]
            by_item = {i.id: links.for_item(i.id, person.email) for i in listed} if links else {}
            return sla_mail.render_sla_notice(kind, person.name, chosen, by_item, person.timezone)

        self._send(list(keys), render, person.email, person.name)
        sla.mark_notified(self._ledger, items, kind, person.email)
