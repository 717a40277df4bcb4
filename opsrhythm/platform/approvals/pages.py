"""The pages behind approval links: a GET shows the draft and the buttons, a POST decides.

The link's token names the request (workflow id, run, round) and the approver; it must match
the URL, be unexpired and unused, and its run and round must be the open ones. The decision
goes to the workflow as the ``decide`` Update addressed to the token's run, so an earlier run's
link can never decide a later one; the Update's validator has the last word on who may decide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from temporalio.client import Client

from opsrhythm.platform.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    DecisionRefused,
    approval_status,
    send_decision,
)
from opsrhythm.platform.approvals.draft_files import draft_file, media_type
from opsrhythm.platform.approvals.links import LinkClaims, LinkError, LinkSigner, approval_path
from opsrhythm.platform.approvals.models import ApprovalDecision, ApprovalStatus
from opsrhythm.platform.approvals.page_checks import round_refusal, run_refusal
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.approvals.times import local_time
from opsrhythm.platform.web_pages import HEADERS, Refusal, SignedLinkPages

NOT_AN_APPROVER = "This request does not list you as an approver (any more)."
DECISIONS = ("approve", "reject", "request_changes")
DRAFT_HEADERS = HEADERS | {
    # The archived pages style themselves inline and show their charts by relative name;
    # nothing in them may run, post or frame, and no-referrer keeps the token in the path.
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}


class ApprovalPages(SignedLinkPages):
    def __init__(
        self,
        client: Client,
        signer: LinkSigner,
        used: UsedLinks,
        templates_dir: Path,
        archive_dir: Path,
        organization: str = "OpsRhythm",
    ) -> None:
        """``archive_dir`` is the report archive (the worker's): drafts are served from it only."""
        super().__init__(signer, templates_dir, cookie_path="/approvals")
        self._client = client
        self._used = used
        self._archive_dir = archive_dir
        self._organization = organization

    def _page(self, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return super()._page(name, code, **{"organization": self._organization, **context})

    async def _claims(
        self, request: Request, token: str, *, purpose: str = "link", unused: bool = True
    ) -> LinkClaims:
        """The token's claims, if it is genuine, current, for the URL's request and person, and
        (with ``unused``) not spent."""
        try:
            claims = self._signer.verify(token, purpose=purpose)
        except LinkError as error:
            raise Refusal(error.status, "This link cannot be used", str(error)) from None
        path = request.path_params
        if (claims.workflow_id, claims.approver) != (path["workflow_id"], path["approver"].lower()):
            raise Refusal(
                403, "This link is not yours", "It was issued for another approver or request."
            )
        if unused and await run_in_threadpool(self._used.is_used, claims.nonce):
            raise Refusal(410, "This link was already used", "Each link decides once.")
        return claims

    async def _status(self, workflow_id: str) -> ApprovalStatus:
        """The approval of the workflow id's current run: the one a link must belong to."""
        try:
            return await approval_status(self._client, workflow_id)
        except ApprovalNotFound as error:
            raise Refusal(404, "Request not found", str(error)) from None
        except ApprovalUnavailable as error:
            raise Refusal(503, "Try again shortly", str(error)) from None

    async def confirm(self, request: Request) -> Response:
        """GET: show what is to be decided and the buttons; never decides anything."""
        token = request.query_params.get("token", "")
        try:
            claims = await self._claims(request, token)
            status = await self._status(claims.workflow_id)
            refusal = round_refusal(status, claims)
            if refusal is not None:
                raise refusal
        except Refusal as refusal:
            return self._refused(refusal)
        people = {a.email.lower(): a for a in status.approvers}
        if claims.approver not in people:
            # A courtesy only: the workflow's validator refuses such a decision anyway.
            return self._refused(Refusal(403, "You are not an approver", NOT_AN_APPROVER))
        deadline = status.deadline
        return self._form_page(
            request,
            token,
            "confirm.html",
            status=status,
            approver=claims.approver,
            action=request.query_params.get("action", "approve"),
            deadline=local_time(deadline, people[claims.approver].timezone) if deadline else "",
            draft_url=(
                f"{approval_path(claims.workflow_id, claims.approver)}/draft/{token}/"
                if status.location
                else ""
            ),
        )

    async def draft(self, request: Request) -> Response:
        """GET: a file of the full draft, behind the approver's token (read, never spent).

        The token is in the path, so the draft's relative links (pages, charts) keep it. It
        reads the draft of its own run and round, decided or not; a later round's draft needs
        that round's link.
        """
        token = request.path_params["token"]
        try:
            claims = await self._claims(request, token, unused=False)
            status = await self._status(claims.workflow_id)
            refusal = run_refusal(status, claims)
            if refusal is None and claims.round != status.round:
                refusal = round_refusal(status, claims)
            if refusal is not None:
                raise refusal
            path = draft_file(self._archive_dir, status.location, request.path_params["name"])
            body = await run_in_threadpool(path.read_bytes)
        except Refusal as refusal:
            return self._refused(refusal)
        return Response(body, media_type=media_type(path), headers=DRAFT_HEADERS)

    async def decide(self, request: Request) -> Response:
        """POST from the confirmation page: check the form, spend the link, send the Update."""
        try:
            form = await self._posted_form(request)
            token, decision = form.get("token", ""), form.get("decision", "")
            comment = form.get("comment", "").strip()
            claims = await self._claims(request, token)
            if decision not in DECISIONS:
                raise Refusal(400, "Unknown decision", "Choose Approve, Reject or Request changes.")
            if decision != "approve" and not comment:
                raise Refusal(400, "A reason is needed", "Go back and say why, then try again.")
            return await self._spend(claims, decision, comment)
        except Refusal as refusal:
            return self._refused(refusal)

    async def _spend(self, claims: LinkClaims, decision: str, comment: str) -> Response:
        spent = await run_in_threadpool(
            self._used.claim, claims.nonce, claims.workflow_id, claims.approver, decision
        )
        if not spent:
            raise Refusal(410, "This link was already used", "Each link decides once.")
        request = ApprovalDecision(
            approver=claims.approver,
            decision=decision,
            comment=comment,
            channel="email-link",
            round=claims.round,
        )
        try:
            after = await send_decision(
                self._client, claims.workflow_id, request, run_id=claims.run_id or None
            )
        except DecisionRefused as error:
            raise await self._why_refused(
                claims, Refusal(409, "Your decision was not taken", str(error))
            ) from None
        except ApprovalNotFound as error:
            # A run id that is not (or no longer) the id's: say which run is current.
            raise await self._why_refused(
                claims, Refusal(404, "Request not found", str(error))
            ) from None
        except ApprovalUnavailable as error:
            await run_in_threadpool(self._used.release, claims.nonce)
            raise Refusal(503, "Try again shortly", str(error)) from None
        return self._page("done.html", status=after, decision=decision)

    async def _why_refused(self, claims: LinkClaims, refused: Refusal) -> Refusal:
        """The plainer reason when the link's run or round has moved on; else ``refused``."""
        try:
            status = await approval_status(self._client, claims.workflow_id)
        except (ApprovalNotFound, ApprovalUnavailable):
            return refused
        return round_refusal(status, claims) or refused
