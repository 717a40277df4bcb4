"""The owner's redraft link, from the notice that changes were requested: a GET shows what was
asked and a button, the POST sends the ``redraft`` Update to the link's run.

The token (purpose ``redraft``) was signed for the owner, one run and one round; the same
checks and CSRF scheme as the approval pages apply, and a link redrafts once.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from opsrhythm.platform.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    DecisionRefused,
    request_redraft,
)
from opsrhythm.platform.approvals.links import REDRAFT_PURPOSE, LinkClaims
from opsrhythm.platform.approvals.models import ApprovalStatus, RedraftRequest
from opsrhythm.platform.approvals.page_checks import run_refusal, settled_refusal
from opsrhythm.platform.approvals.pages import ApprovalPages
from opsrhythm.platform.approvals.times import local_time
from opsrhythm.platform.web_pages import Refusal


def redraft_refusal(status: ApprovalStatus, claims: LinkClaims) -> Refusal | None:
    """None while the link's round waits for its redraft; else why there is nothing to do."""
    refusal = run_refusal(status, claims) or settled_refusal(status)
    if refusal is not None:
        return refusal
    if status.round > claims.round:
        return Refusal(
            409,
            f"Already redrafted: round {status.round} was sent",
            f"The approvers were asked again in round {status.round}; nothing more to do here.",
        )
    if status.state != "redrafting" or status.round != claims.round:
        return Refusal(409, "Nothing to redraft", f"Round {claims.round} asked for no changes.")
    return None


class RedraftPages(ApprovalPages):
    async def _open(self, request: Request, token: str) -> tuple[LinkClaims, ApprovalStatus]:
        claims = await self._claims(request, token, purpose=REDRAFT_PURPOSE)
        status = await self._status(claims.workflow_id)
        refusal = redraft_refusal(status, claims)
        if refusal is not None:
            raise refusal
        return claims, status

    async def confirm_redraft(self, request: Request) -> Response:
        """GET: what the approvers asked for, and the button; changes nothing."""
        token = request.query_params.get("token", "")
        try:
            claims, status = await self._open(request, token)
        except Refusal as refusal:
            return self._refused(refusal)
        asked = [
            e for e in status.audit if e.round == status.round and e.action == "request_changes"
        ]
        due = status.redraft_due
        return self._form_page(
            request,
            token,
            "redraft.html",
            status=status,
            owner=claims.approver,
            asked=asked,
            redraft_due=local_time(due, status.owner.timezone if status.owner else "UTC")
            if due
            else "",
        )

    async def redraft(self, request: Request) -> Response:
        """POST from that page: check the form, spend the link, send ``redraft`` to its run."""
        try:
            form = await self._posted_form(request)
            claims, _ = await self._open(request, form.get("token", ""))
            spent = await run_in_threadpool(
                self._used.claim, claims.nonce, claims.workflow_id, claims.approver, "redraft"
            )
            if not spent:
                raise Refusal(410, "This link was already used", "Each link redrafts once.")
            order = RedraftRequest(
                requested_by=claims.approver, round=claims.round, channel="email-link"
            )
            try:
                after = await request_redraft(
                    self._client, claims.workflow_id, order, run_id=claims.run_id or None
                )
            except DecisionRefused as error:
                raise Refusal(409, "The redraft was not started", str(error)) from None
            except ApprovalNotFound as error:
                raise Refusal(404, "Request not found", str(error)) from None
            except ApprovalUnavailable as error:
                await run_in_threadpool(self._used.release, claims.nonce)
                raise Refusal(503, "Try again shortly", str(error)) from None
        except Refusal as refusal:
            return self._refused(refusal)
        return self._page("redraft_done.html", status=after)
