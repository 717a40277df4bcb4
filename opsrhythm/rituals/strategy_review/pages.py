"""The form behind an owner's review link: a GET shows the item, the owner's own latest update
(prefilled) and their open actions; a POST from it sends the ``submit_status`` Update.

The token names the run, the item and the owner, and must match the URL and the run now
current for the id. Unlike an approval link it is not spent: an owner may send again, and each
version is kept, until the link expires. Only the token's owner's own update is ever shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from temporalio.client import Client

from opsrhythm.platform.actions.models import ActionItem, ActionUpdate
from opsrhythm.platform.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    DecisionRefused,
)
from opsrhythm.platform.approvals.links import LinkError, LinkSigner
from opsrhythm.platform.ritual_kind import WebContext
from opsrhythm.platform.web_pages import Refusal, SignedLinkPages
from opsrhythm.rituals.strategy_review.client import current_run_id, review_status, submit_status
from opsrhythm.rituals.strategy_review.links import ReviewLinkClaims, verify_review_token
from opsrhythm.rituals.strategy_review.models import (
    Rag,
    ReviewItemPlan,
    ReviewStatus,
    StatusSubmission,
    SubmittedStatus,
)

OPEN_STAGES = ("kick-off", "collecting", "redrafting")
RAGS = ("green", "amber", "red")
STATES = ("open", "done", "dropped")
LATER = "Nothing was recorded. Your link still works: open it again in a few minutes."


class ReviewPages(SignedLinkPages):
    def __init__(
        self,
        client: Client,
        signer: LinkSigner,
        templates_dir: Path,
        organization: str = "OpsRhythm",
    ) -> None:
        super().__init__(signer, templates_dir, cookie_path="/reviews")
        self._client = client
        self._organization = organization

    def routes(self) -> list[Route]:
        path = "/reviews/{workflow_id}/items/{item_id}"
        return [
            Route(path, self.form, methods=["GET"]),
            Route(path, self.submit, methods=["POST"]),
        ]

    def _page(self, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return super()._page(name, code, **{"organization": self._organization, **context})

    async def form(self, request: Request) -> Response:
        """GET: the item and the form; changes nothing."""
        token = request.query_params.get("token", "")
        try:
            claims = await self._claims(request, token)
            status = await self._status(claims)
            item = _item(status, claims)
        except Refusal as refusal:
            return self._refused(refusal)
        return self._form_page(
            request,
            token,
            "review_form.html",
            status=status,
            item=item,
            owner=claims.owner,
            latest=_latest_own(status, claims),
            actions=_open_actions(status, claims.owner),
            rags=RAGS,
            states=STATES,
        )

    async def submit(self, request: Request) -> Response:
        """POST from the form: check it, then send the owner's update to the link's run."""
        try:
            form = await self._posted_form(request)
            claims = await self._claims(request, form.get("token", ""))
            submission = _submission(form, claims)
            _item(await self._status(claims), claims)
            stored = await self._send(claims, submission)
        except Refusal as refusal:
            return self._refused(refusal)
        return self._page("review_done.html", stored=stored, workflow_id=claims.workflow_id)

    async def _claims(self, request: Request, token: str) -> ReviewLinkClaims:
        try:
            claims = verify_review_token(self._signer, token)
        except LinkError as error:
            raise Refusal(error.status, "This link cannot be used", str(error)) from None
        path = request.path_params
        if (claims.workflow_id, claims.item_id) != (path["workflow_id"], path["item_id"]):
            raise Refusal(
                403, "This link is not yours", "It was issued for another review or item."
            )
        return claims

    async def _current_run(self, claims: ReviewLinkClaims) -> None:
        current = await current_run_id(self._client, claims.workflow_id)
        if current is None:
            raise Refusal(404, "Review not found", f"There is no review {claims.workflow_id}.")
        if claims.run_id and claims.run_id != current:
            raise Refusal(
                410,
                "This link belongs to an earlier run",
                f"This link belongs to an earlier run of {claims.workflow_id}; "
                "use the newest email.",
            )

    async def _status(self, claims: ReviewLinkClaims) -> ReviewStatus:
        await self._current_run(claims)
        try:
            status = await review_status(self._client, claims.workflow_id)
        except ApprovalNotFound as error:
            raise Refusal(404, "Review not found", str(error)) from None
        except ApprovalUnavailable:
            raise Refusal(503, "Try again later", LATER) from None
        if status.stage not in OPEN_STAGES:
            raise Refusal(
                409,
                "Updates are closed",
                f"The review is at '{status.stage}': the pack no longer takes updates.",
            )
        return status

    async def _send(
        self, claims: ReviewLinkClaims, submission: StatusSubmission
    ) -> SubmittedStatus:
        try:
            return await submit_status(
                self._client, claims.workflow_id, submission, run_id=claims.run_id or None
            )
        except DecisionRefused as error:
            raise Refusal(409, "Your update was not recorded", str(error)) from None
        except ApprovalNotFound as error:
            raise Refusal(404, "Review not found", str(error)) from None
        except ApprovalUnavailable:
            raise Refusal(503, "Try again later", LATER) from None


def _item(status: ReviewStatus, claims: ReviewLinkClaims) -> ReviewItemPlan | None:
    """The link's item, if its owner is still the link's; None when the run lists no items."""
    item = next((i for i in status.items if i.item_id == claims.item_id), None)
    if item is None and status.items:
        raise Refusal(404, "Item not found", f"This review has no item {claims.item_id}.")
    if item is not None and item.owner.email.lower() != claims.owner:
        raise Refusal(403, "This item is not yours", "Someone else reports on it now.")
    return item


def _latest_own(status: ReviewStatus, claims: ReviewLinkClaims) -> SubmittedStatus | None:
    own = [
        entry
        for entry in status.submitted
        if entry.submission.item_id == claims.item_id
        and entry.submission.owner.strip().lower() == claims.owner
    ]
    return max(own, key=lambda entry: entry.version, default=None)


def _open_actions(status: ReviewStatus, owner: str) -> list[ActionItem]:
    return [a for a in status.open_actions if a.owner_email.lower() == owner and a.state == "open"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _submission(form: dict[str, str], claims: ReviewLinkClaims) -> StatusSubmission:
    """The form as a submission; a 400 page saying what to fix."""
    rag, confidence = form.get("rag", ""), form.get("confidence", "").strip()
    if rag not in RAGS:
        raise Refusal(400, "Choose a status", "Green, amber or red.")
    if not confidence.isdigit() or int(confidence) > 100:
        raise Refusal(400, "Confidence is a percentage", "A whole number from 0 to 100.")
    if not form.get("narrative", "").strip():
        raise Refusal(400, "A narrative is needed", "Go back and say how the quarter went.")
    try:
        updates = [
            ActionUpdate.model_validate(
                {
                    "action_id": key.removeprefix("action:"),
                    "state": state,
                    "note": form.get("note:" + key.removeprefix("action:"), "").strip(),
                }
            )
            for key, state in form.items()
            if key.startswith("action:") and state in STATES
        ]
        return StatusSubmission(
            item_id=claims.item_id,
            owner=claims.owner,
            rag=cast(Rag, rag),
            confidence=int(confidence),
            narrative=form["narrative"].strip(),
            risks=_lines(form.get("risks", "")),
            asks=_lines(form.get("asks", "")),
            action_updates=updates,
            channel="web",
        )
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise Refusal(400, "Please correct the form", f"{where}: {problem['msg']}") from None


def web_routes(context: WebContext) -> list[Route]:
    """The review's ``web_routes`` (its registry entry): the owners' update form."""
    return ReviewPages(
        context.client, context.signer, context.templates_dir, context.organization
    ).routes()
