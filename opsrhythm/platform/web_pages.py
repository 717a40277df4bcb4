"""What every page behind a signed email link shares: safe headers, refusals as pages, the form
of a POST, and the signed double-submit CSRF check.

A GET behind a link only ever shows a confirmation page (mail scanners fetch links before
people click); the change is a POST from that page, whose CSRF value binds it to both the
link's token and a cookie in the browser that opened the page.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.rendering import render_template

CSRF_COOKIE = "opsrhythm_csrf"
MAX_FORM_BYTES = 64 * 1024
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is over ``limit`` bytes (nothing more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


class Refusal(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class SignedLinkPages:
    def __init__(self, signer: LinkSigner, templates_dir: Path, cookie_path: str) -> None:
        self._signer = signer
        self._templates_dir = templates_dir
        self._cookie_path = cookie_path

    def _page(self, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        html = render_template(self._templates_dir, f"web/{name}", context)
        return HTMLResponse(html, status_code=code, headers=HEADERS)

    def _refused(self, refusal: Refusal) -> HTMLResponse:
        return self._page(
            "message.html", refusal.status, title=refusal.title, message=refusal.message
        )

    def _form_page(self, request: Request, token: str, name: str, **context: Any) -> Response:
        """A confirmation page whose form carries the CSRF value for this link and browser."""
        browser_nonce = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = self._page(
            name, token=token, csrf=self._signer.csrf_value(token, browser_nonce), **context
        )
        response.set_cookie(
            CSRF_COOKIE,
            browser_nonce,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path=self._cookie_path,
        )
        return response

    async def _posted_form(self, request: Request) -> dict[str, str]:
        """The POSTed form, once its size and CSRF value are checked."""
        body = await read_body(request, MAX_FORM_BYTES)
        if body is None:
            raise Refusal(413, "Too long", "Please shorten what you wrote.")
        form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        if not self._signer.csrf_ok(
            form.get("token", ""), request.cookies.get(CSRF_COOKIE, ""), form.get("csrf", "")
        ):
            raise Refusal(
                403,
                "Please confirm from the page your link opened",
                "This form did not come from that page. Open the link from your email again.",
            )
        return form
