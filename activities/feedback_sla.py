"""The sweep: warn owners of items near their SLA, escalate breaches to the area's lead, tell
submitters what became of their feedback, and send each area's weekly digest.

One email per person per sweep, listing their items. Each (item, kind, recipient) is claimed in
the send ledger before sending (``sla_sending``), so a retried sweep never emails anyone twice;
only then is the item marked, so a failed send is tried again. An email that cannot go (a person
gone from the config, an address SendGrid refuses, an outcome unknown) is recorded on its items,
the area's lead is told once, and the sweep goes on with everything else.
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
from opsrhythm.platform.mail.contract import MailTransport
from opsrhythm.platform.models import Recipient, RenderedEmail
from opsrhythm.platform.schedules.config import parse_duration
from opsrhythm.rituals.feedback.config import FeedbackSettings, ProductArea
from opsrhythm.rituals.feedback.digest import (
    build_digest,
    digest_areas,
    last_digest_time,
    render_digest,
)
from opsrhythm.rituals.feedback.models import FeedbackItem
from opsrhythm.rituals.feedback.rules import TRIAGE_AREA
from opsrhythm.rituals.feedback.sla_failures import Failure, Sweep, tell_leads
from opsrhythm.rituals.feedback.sla_models import SWEEP_SLA, SlaSweepInput, SlaSweepResult
from opsrhythm.rituals.feedback.sla_sending import (
    OUTCOME_UNKNOWN_REASON,
    MailBlocked,
    Sent,
    Undeliverable,
    one_line,
    send_once,
)

DIGEST_CATCH_UP = timedelta(days=1)
"""A watcher down at digest time still sends it within a day; later, the week is skipped."""
EMPTY_WEEK = "empty-week"
"""The send ledger's transport for a digest week with nothing to say: recorded, not sent."""
BLOCKED_RETRY = timedelta(minutes=15)
"""How soon a sweep stopped by SendGrid refusing the account (401, 403) tries again."""

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

    @property
    def _settings(self) -> FeedbackSettings:
        settings = self._config.feedback
        assert settings is not None
        return settings

    @activity.defn(name=SWEEP_SLA.name)
    def sweep_sla(self, input: SlaSweepInput) -> SlaSweepResult:
        """Send what is due at ``now``; return when the next thing is due.

        A passing failure (429, 5xx) is raised once everything else is sent, so Temporal
        retries the sweep; SendGrid refusing the account ends the sweep until a later one.
        """
        # The ledger-backed modules import SQLAlchemy; loaded on first sweep, not at worker start.
        from opsrhythm.rituals.feedback import close_loop, sla

        sweep, result, settings = Sweep(input.workflow_id), SlaSweepResult(), self._settings
        window = parse_duration(settings.reply_window)
        digest_at = last_digest_time(
            input.now,
            self._config.organization.timezone,
            settings.digest_weekday,
            settings.digest_at,
        )
        try:
            result.warned = self._notices(sweep, "warning", input.now)
            result.escalated = self._notices(sweep, "escalation", input.now)
            for email, replies in close_loop.replies_due(self._ledger, input.now, window).items():
                result.replied += self._reply(sweep, email, replies)
            if input.now - digest_at < DIGEST_CATCH_UP:
                for area in digest_areas(settings):
                    result.digests += self._digest(sweep, area, digest_at)
            for failure in sweep.failures:
                activity.logger.warning("Feedback email not sent: %s", failure.line)
            tell_leads(sweep, self._config.people, settings, self._send)
        except MailBlocked as error:
            activity.logger.error("SendGrid refuses every email; the SLA sweep paused: %s", error)
            result.failed = len(sweep.failures) + 1
            result.next_at = input.now + BLOCKED_RETRY
            return result
        if sweep.passing:
            raise sweep.passing[0]
        result.failed = len(sweep.failures)
        moments = [
            sla.next_deadline(self._ledger, input.now),
            close_loop.next_reply_at(self._ledger, window),
            digest_at + timedelta(days=7),
        ]
        result.next_at = min((m for m in moments if m is not None), default=None)
        return result

    def _notices(self, sweep: Sweep, kind: NoticeKind, now: datetime) -> int:
        from opsrhythm.rituals.feedback import sla

        by_person: dict[str, list[FeedbackItem]] = defaultdict(list)
        for item in sla.due_notices(self._ledger, kind, now):
            try:
                by_person[self._recipient(item, kind)].append(item)
            except Undeliverable as error:
                self._notice_failed(sweep, kind, [item], "the area's lead", str(error))
        return sum(self._notify(sweep, kind, p, items) for p, items in by_person.items())

    def _notify(
        self, sweep: Sweep, kind: NoticeKind, person_id: str, items: list[FeedbackItem]
    ) -> int:
        from opsrhythm.rituals.feedback import sla, sla_mail

        try:
            person = self._person(person_id)
        except Undeliverable as error:
            self._notice_failed(sweep, kind, items, person_id, str(error))
            return 0
        keys = {MessageKey(sweep.workflow_id, i.id, f"sla-{kind}", person.email): i for i in items}

        def render(claimed: list[MessageKey]) -> RenderedEmail:
            chosen = [keys[k] for k in claimed]
            links, listed = self._links, chosen[: sla_mail.LISTED]
            by_item = {i.id: links.for_item(i.id, person.email) for i in listed} if links else {}
            return sla_mail.render_sla_notice(kind, person.name, chosen, by_item, person.timezone)

        sent = sweep.attempt(
            lambda: self._send(list(keys), render, person),
            lambda reason: self._notice_failed(sweep, kind, items, person.email, reason),
        )
        if sent is None:
            return 0
        done = [keys[k] for k in sent.done]
        sla.mark_notified(self._ledger, done, kind, person.email)
        unknown = [keys[k] for k in sent.unknown]
        self._notice_failed(sweep, kind, unknown, person.email, OUTCOME_UNKNOWN_REASON, held=True)
        return len(done)

    def _reply(self, sweep: Sweep, email: str, replies: list[Reply]) -> int:
        from opsrhythm.rituals.feedback import close_loop

        keys = {
            MessageKey(sweep.workflow_id, r.item_id, close_loop.reply_kind(r.round), email): r
            for r in replies
        }
        sent = sweep.attempt(
            lambda: self._send(
                list(keys),
                lambda claimed: close_loop.render_replies([keys[k] for k in claimed]),
                Recipient(name=email, email=email),
            ),
            lambda reason: self._reply_failed(sweep, email, replies, reason),
        )
        if sent is None:
            return 0
        if sent.done:
            close_loop.mark_replied(self._ledger, email, [keys[k].item_id for k in sent.done])
        unknown = [keys[k] for k in sent.unknown]
        self._reply_failed(sweep, email, unknown, OUTCOME_UNKNOWN_REASON)
        return 1 if sent.done else 0

    def _digest(self, sweep: Sweep, area: ProductArea, at: datetime) -> int:
        kind = f"digest-{at:%Y-%m-%d}"

        def failed(recipient: str, reason: str) -> None:
            # Nothing to settle: a digest that failed is tried again at the next sweep.
            line = f"{area.name}: the weekly digest of {at:%Y-%m-%d} to {recipient}: {reason}"
            sweep.failures.append(
                Failure(area.id, kind, area.id, recipient, one_line(line), lambda told: None)
            )

        try:
            owner = self._person(area.owner)
        except Undeliverable as error:
            failed(area.owner, str(error))
            return 0
        key = MessageKey(sweep.workflow_id, area.id, kind, owner.email)
        status = self._sends.statuses([key]).get(key)
        if status == "sent":
            return 0
        if status == "sending":
            failed(owner.email, OUTCOME_UNKNOWN_REASON)
            return 0
        digest = build_digest(self._ledger, area.id, at - timedelta(days=7), at)
        if not digest.new and not digest.at_risk:
            # Nothing to say: the week is recorded as done, so no later sweep digests it.
            empty = self._sends.claim([key], transport=EMPTY_WEEK)
            self._sends.mark_sent(empty.claimed)
            return 0
        message = render_digest(digest, area.name, owner.name, owner.timezone)
        sent = sweep.attempt(
            lambda: self._send([key], lambda claimed: message, owner),
            lambda reason: failed(owner.email, reason),
        )
        if sent is not None and sent.unknown:
            failed(owner.email, OUTCOME_UNKNOWN_REASON)
        return 1 if sent is not None and sent.done else 0

    def _notice_failed(
        self,
        sweep: Sweep,
        kind: NoticeKind,
        items: list[FeedbackItem],
        to: str,
        reason: str,
        *,
        held: bool = False,
    ) -> None:
        """``held``: the outcome is unknown; the item stays due and its ledger row decides."""
        from opsrhythm.rituals.feedback import sla

        for item in items:
            line = one_line(f"{item.id} ({item.area}): the SLA {kind} to {to}: {reason}")

            def settle(told: str, item_id: str = item.id, line: str = line) -> None:
                detail = one_line(f"{line}; {told}", 1000)
                sla.mark_failed(self._ledger, [item_id], kind, detail, held=held)

            sweep.failures.append(Failure(item.id, f"sla-{kind}", item.area, to, line, settle))

    def _reply_failed(self, sweep: Sweep, email: str, replies: list[Reply], reason: str) -> None:
        from opsrhythm.rituals.feedback import close_loop

        for reply in replies:
            line = one_line(f"{reply.item_id} ({reply.area}): the reply to {email}: {reason}")

            def settle(told: str, item_id: str = reply.item_id, line: str = line) -> None:
                detail = one_line(f"{line}; {told}", 1000)
                close_loop.mark_reply_failed(self._ledger, email, [item_id], detail)

            notice = f"{reply.item_id}:{email}"[:255]
            sweep.failures.append(Failure(notice, "close-loop", reply.area, email, line, settle))

    def _send(
        self,
        keys: list[MessageKey],
        render: Callable[[list[MessageKey]], RenderedEmail],
        to: Person | Recipient,
    ) -> Sent:
        recipient = Recipient(name=to.name, email=to.email)
        return send_once(self._sends, self._transport, keys, render, recipient)

    def _person(self, person_id: str) -> Person:
        found = next((p for p in self._config.people if p.id == person_id), None)
        if found is None:
            raise Undeliverable(f"person '{person_id}' is not in the config")
        return found

    def _recipient(self, item: FeedbackItem, kind: NoticeKind) -> str:
        if kind == "warning":
            return item.assignee
        settings = self._settings
        if item.area == TRIAGE_AREA:
            return settings.triage.lead or settings.triage.rotation[0]
        area = next((a for a in settings.areas if a.id == item.area), None)
        if area is None:
            raise Undeliverable(f"area '{item.area}' is not in the config")
        return area.lead
