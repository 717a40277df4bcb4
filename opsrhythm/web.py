"""``opsrhythm web``: the pages behind the approval links in emails.

A GET only shows a confirmation page (mail scanners fetch links before people click); the
decision is a POST from that page, guarded by a signed double-submit CSRF value. The link's
token names the request and the approver; it must match the URL, be unexpired and unused.
The decision itself goes to the workflow as the ``decide`` Update, whose validator has the
last word on who may decide.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from temporalio.client import Client

from opsrhythm.approvals.client import (
    ApprovalNotFound,
    ApprovalUnavailable,
    DecisionRefused,
    approval_status,
    send_decision,
)
from opsrhythm.approvals.links import LinkClaims, LinkError, LinkSigner
from opsrhythm.approvals.models import ApprovalDecision
from opsrhythm.approvals.store import UsedLinks
from opsrhythm.rendering import default_templates_dir, render_template

CSRF_COOKIE = "opsrhythm_csrf"
MAX_FORM_BYTES = 64 * 1024
NOT_AN_APPROVER = "This request does not list you as an approver (any more)."
DECISIONS = ("approve", "reject", "request_changes")
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}


class Refusal(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class ApprovalPages:
    def __init__(
        self, client: Client, signer: LinkSigner, used: UsedLinks, templates_dir: Path
    ) -> None:
        self._client = client
        self._signer = signer
        self._used = used
        self._templates_dir = templates_dir

    def _page(self, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        html = render_template(self._templates_dir, f"web/{name}", context)
        return HTMLResponse(html, status_code=code, headers=HEADERS)

    def _refused(self, refusal: Refusal) -> HTMLResponse:
        return self._page(
            "message.html", refusal.status, title=refusal.title, message=refusal.message
        )

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
        browser_nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = self._page(
            "confirm.html",
            status=status,
            approver=claims.approver,
            action=request.query_params.get("action", "approve"),
            token=token,
            csrf=self._signer.csrf_value(token, browser_nonce),
        )
        response.set_cookie(
            CSRF_COOKIE,
            browser_nonce,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/approvals",
        )
        return response

    async def decide(self, request: Request) -> Response:
        """POST from the confirmation page: check the form, spend the link, send the Update."""
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return self._refused(Refusal(413, "Too long", "Please shorten your comment."))
        form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        token, decision = form.get("token", ""), form.get("decision", "")
        comment = form.get("comment", "").strip()
        try:
            if not self._signer.csrf_ok(
                token, request.cookies.get(CSRF_COOKIE, ""), form.get("csrf", "")
            ):
                raise Refusal(
                    403,
                    "Please confirm from the approval page",
                    "This form did not come from the page your link opened. Open the link "
                    "from your email again.",
                )
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


def create_app(
    client: Client,
    signer: LinkSigner,
    used: UsedLinks,
    templates_dir: Path | None = None,
    extra_routes: Sequence[Route] = (),
) -> Starlette:
    pages = ApprovalPages(client, signer, used, templates_dir or default_templates_dir())

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/approvals/{workflow_id}/{approver}", pages.confirm, methods=["GET"]),
            Route("/approvals/{workflow_id}/{approver}", pages.decide, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
            *extra_routes,
        ]
    )


def serve(host: str, port: int) -> int:
    """Run the web app until interrupted; needs OPSRHYTHM_SECRET and a reachable Temporal."""
    import asyncio
    import sys

    import uvicorn

    from opsrhythm.approvals.links import SECRET_ENV, public_url, signer_from_environment
    from opsrhythm.config_loader import ConfigError
    from opsrhythm.ledger_keys import default_database_url
    from opsrhythm.temporal_runtime import TemporalUnavailable, connect

    try:
        signer = signer_from_environment()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if signer is None:
        print(f"opsrhythm: set {SECRET_ENV} (the same value as the worker's)", file=sys.stderr)
        return 2
    used = UsedLinks.from_url(default_database_url())
    extra_routes = _feedback_routes()

    async def main() -> int:
        try:
            client = await connect()
        except TemporalUnavailable as error:
            print(f"opsrhythm: {error}", file=sys.stderr)
            return 1
        print(f"Approval pages on http://{host}:{port} (links in emails use {public_url()})")
        # No access log: the links' tokens are in the URLs.
        config = uvicorn.Config(
            create_app(client, signer, used, extra_routes=extra_routes),
            host=host,
            port=port,
            access_log=False,
        )
        await uvicorn.Server(config).serve()
        return 0

    try:
        return asyncio.run(main())
    finally:
        used.close()


def _feedback_routes() -> list[Route]:
    """``POST /feedback`` when the config has a feedback section and its token is set."""
    from opsrhythm.config_loader import load_config
    from opsrhythm.feedback.ledger import FeedbackLedger
    from opsrhythm.feedback.web import TOKEN_ENV, intake_from_environment
    from opsrhythm.ledger_keys import default_database_url

    if not os.environ.get(TOKEN_ENV):
        return []
    config = load_config()
    intake = intake_from_environment(
        config.feedback, FeedbackLedger.from_url(default_database_url())
    )
    return intake.routes() if intake else []
