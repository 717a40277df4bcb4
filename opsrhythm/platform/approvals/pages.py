"""The pages behind approval links: a GET shows the draft and the buttons, a POST decides.

The link's token names the request and the approver; it must match the URL, be unexpired and
unused. The decision goes to the workflow as the ``decide`` Update, whose validator has the last
word on who may decide.
"""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from temporalio.client import Client

from opsrhythm.platform.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    DecisionRefused,
    approval_status,
    send_decision,
)
from opsrhythm.platform.approvals.links import LinkClaims, LinkError, LinkSigner
from opsrhythm.platform.approvals.models import ApprovalDecision
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.web_pages import Refusal, SignedLinkPages

NOT_AN_APPROVER = "This request does not list you as an approver (any more)."
DECISIONS = ("approve", "reject", "request_changes")


class ApprovalPages(SignedLinkPages):
    def __init__(
        self, client: Client, signer: LinkSigner, used: UsedLinks, templates_dir: Path
    ) -> None:
        super().__init__(signer, templates_dir, cookie_path="/approvals")
        self._client = client
        self._used = used

    async def _claims(self, request: Request, token: str) -> LinkClaims:
        """The token's claims, if it is genuine, current, unused and for the URL's request."""
        try:
            claims = self._signer.verify(token)
        except LinkError as error:
            raise Refusal(error.status, "This link cannot be used", str(error)) from None
        path = request.path_params
        if (claims.workflow_id, claims.approver) != (path["workflow_id"], path["approver"].lower()):
            raise Refusal(
                403, "This link is not yours", "It was issued for another approver or request."
            )
        if await run_in_threadpool(self._used.is_used, claims.nonce):
            raise Refusal(410, "This link was already used", "Each link decides once.")
        return claims

    async def confirm(self, request: Request) -> Response:
        """GET: show what is to be decided and the buttons; never decides anything."""
        token = request.query_params.get("token", "")
        try:
            claims = await self._claims(request, token)
            status = await approval_status(self._client, claims.workflow_id)
        except Refusal as refusal:
            return self._refused(refusal)
        except ApprovalNotFound as error:
            return self._refused(Refusal(404, "Request not found", str(error)))
        except ApprovalUnavailable as error:
            return self._refused(Refusal(503, "Try again shortly", str(error)))
        if status.state != "pending" or status.round != claims.round:
            why = f"It is {status.state}" + (f": {status.reason}" if status.reason else "")
            return self._refused(Refusal(409, "This request is no longer open", why + "."))
        if claims.approver not in {a.email.lower() for a in status.approvers}:
            # A courtesy only: the workflow's validator refuses such a decision anyway.
            return self._refused(Refusal(403, "You are not an approver", NOT_AN_APPROVER))
        return self._form_page(
            request,
            token,
            "confirm.html",
            status=status,
            approver=claims.approver,
            action=request.query_params.get("action", "approve"),
        )

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
            after = await send_decision(self._client, claims.workflow_id, request)
        except DecisionRefused as error:
            raise Refusal(409, "Your decision was not taken", str(error)) from None
        except ApprovalNotFound as error:
            raise Refusal(404, "Request not found", str(error)) from None
        except ApprovalUnavailable as error:
            await run_in_threadpool(self._used.release, claims.nonce)
            raise Refusal(503, "Try again shortly", str(error)) from None
        return self._page("done.html", status=after, decision=decision)
