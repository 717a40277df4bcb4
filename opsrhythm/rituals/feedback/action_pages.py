"""The pages behind the ack and resolve links in SLA emails: a GET shows the item and a form,
a POST from that form acts, once, as the person the link was sent to.

The action is the same guarded ledger update that ``opsrhythm feedback ack|resolve`` makes, so
a link and the CLI racing for one item cannot both succeed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from opsrhythm.platform.approvals.links import LinkError, LinkSigner
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.web_pages import Refusal, SignedLinkPages
from opsrhythm.rituals.feedback.actions import ActionRefused, acknowledge, resolve
from opsrhythm.rituals.feedback.links import ActionClaims, verify_action
from opsrhythm.rituals.feedback.models import FeedbackItem
from opsrhythm.rituals.feedback.sla_clock import local_label
from opsrhythm.rituals.feedback.vocabulary import RESOLUTIONS, Resolution

if TYPE_CHECKING:
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger

logger = logging.getLogger(__name__)

ONCE = "Each link acts once. The email also gives the command to run from a terminal."


class FeedbackActionPages(SignedLinkPages):
    def __init__(
        self,
        ledger: FeedbackLedger,
        actors: set[str],
        signer: LinkSigner,
        used: UsedLinks,
        templates_dir: Path,
        on_resolved: Callable[[], Awaitable[None]] | None = None,
        timezone: str = "UTC",
    ) -> None:
        """``actors``: the emails of the config's people; ``on_resolved`` wakes the replies;
        ``timezone``: the one times are shown in."""
        self._timezone = timezone
        super().__init__(signer, templates_dir, cookie_path="/feedback/items")
        self._ledger = ledger
        self._actors = {email.lower() for email in actors}
        self._used = used
        self._on_resolved = on_resolved

    def routes(self) -> list[Route]:
        path = "/feedback/items/{item_id}/{action}"
        return [
            Route(path, self.confirm, methods=["GET"]),
            Route(path, self.act, methods=["POST"]),
        ]

    async def confirm(self, request: Request) -> Response:
        """GET: show the item and the form; changes nothing."""
        token = request.query_params.get("token", "")
        try:
            claims = await self._claims(request, token)
            item = await self._open_item(claims)
        except Refusal as refusal:
            return self._refused(refusal)
        return self._form_page(
            request,
            token,
            "feedback_action.html",
            item=item,
            actor=claims.actor,
            action=claims.action,
            resolutions=RESOLUTIONS,
            due=local_label(item.due_at, self._timezone),
            received=local_label(item.created_at, self._timezone),
        )

    async def act(self, request: Request) -> Response:
        """POST from the page: check the form, spend the link, update the ledger."""
        try:
            form = await self._posted_form(request)
            claims = await self._claims(request, form.get("token", ""))
            status, note = form.get("status", ""), form.get("note", "").strip()
            if claims.action == "resolve":
                if status not in RESOLUTIONS:
                    raise Refusal(400, "Choose a status", f"One of: {', '.join(RESOLUTIONS)}.")
                if not note:
                    raise Refusal(
                        400, "A note is needed", "The submitters are told it; go back and add one."
                    )
            await self._open_item(claims)
            item = await self._spend(claims, cast(Resolution, status), note)
        except Refusal as refusal:
            return self._refused(refusal)
        if claims.action == "resolve":
            await self._wake_replies()
        return self._page("feedback_done.html", item=item, action=claims.action)

    async def _claims(self, request: Request, token: str) -> ActionClaims:
        """The token's claims, if genuine, current, unused, for this URL and a known person."""
        try:
            claims = verify_action(self._signer, token)
        except LinkError as error:
            raise Refusal(error.status, "This link cannot be used", str(error)) from None
        path = request.path_params
        if (claims.item_id, claims.action) != (path["item_id"], path["action"]):
            raise Refusal(403, "This link is not valid here", "It was issued for another page.")
        if claims.actor not in self._actors:
            raise Refusal(403, "You are not listed", "Your email is no longer in the config.")
        if await run_in_threadpool(self._used.is_used, claims.nonce):
            raise Refusal(410, "This link was already used", ONCE)
        return claims

    async def _open_item(self, claims: ActionClaims) -> FeedbackItem:
        """The item, if the action still applies to it."""
        item = await run_in_threadpool(self._ledger.get, claims.item_id)
        if item is None:
            raise Refusal(404, "Feedback not found", f"There is no item {claims.item_id}.")
        if item.duplicate_of is not None:
            raise Refusal(
                409,
                "This item was merged",
                f"It duplicates {item.duplicate_of}; act on that item instead.",
            )
        still_open = ("new",) if claims.action == "ack" else ("new", "acknowledged")
        if item.status not in still_open:
            raise Refusal(409, "Nothing left to do", f"{item.id} is already {item.status}.")
        return item

    async def _spend(self, claims: ActionClaims, status: Resolution, note: str) -> FeedbackItem:
        """Claim the link, then act; if the database fails, give the link back for a retry."""
        if not await run_in_threadpool(
            self._used.claim, claims.nonce, claims.item_id, claims.actor, claims.action
        ):
            raise Refusal(410, "This link was already used", ONCE)
        try:
            return await run_in_threadpool(self._apply, claims, status, note)
        except SQLAlchemyError:
            logger.warning("feedback %s failed on %s", claims.action, claims.item_id, exc_info=True)
            await run_in_threadpool(self._used.release, claims.nonce)
            raise Refusal(
                503, "Try again shortly", "The feedback database did not answer."
            ) from None

    def _apply(self, claims: ActionClaims, status: Resolution, note: str) -> FeedbackItem:
        try:
            if claims.action == "ack":
                acknowledge(self._ledger, claims.item_id, claims.actor)
            else:
                resolve(self._ledger, claims.item_id, claims.actor, status, note)
        except ActionRefused as error:
            raise Refusal(409, "Nothing was changed", f"{error}.") from None
        item = self._ledger.get(claims.item_id)
        assert item is not None
        return item

    async def _wake_replies(self) -> None:
        """Have the SLA watcher schedule the submitters' replies now, not at its next sweep."""
        if self._on_resolved is None:
            return
        try:
            await self._on_resolved()
        except Exception:
            # The resolution is stored; the watcher's next sweep sends the replies anyway.
            logger.warning("could not wake the SLA watcher", exc_info=True)
