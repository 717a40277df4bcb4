"""The page behind a participant's retro link: while collection is open, their own items (to
edit or delete) and a form to add one; while voting is open, the themes and their dots.

Every change is a POST from the page (CSRF-checked, as every signed link's) written straight to
the retro store under the participant's author key; nothing goes to the workflow, whose history
would keep who wrote what. Only the link's participant's own items and votes are ever shown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from temporalio.client import Client

from opsrhythm.platform.approvals.client import ApprovalNotFound, ApprovalUnavailable
from opsrhythm.platform.approvals.links import LinkError, LinkSigner
from opsrhythm.platform.approvals.models import Contact
from opsrhythm.platform.db.schema import DatabaseNotReady
from opsrhythm.platform.web_pages import Refusal, SignedLinkPages
from opsrhythm.rituals.process_retro.client import retro_status
from opsrhythm.rituals.process_retro.keys import AuthorKeys
from opsrhythm.rituals.process_retro.links import RetroLinkClaims, verify_retro_token
from opsrhythm.rituals.process_retro.models import RetroPlan, RetroStatus
from opsrhythm.rituals.process_retro.store import RetroRefused, RetroStore
from opsrhythm.rituals.process_retro.tables import parse_label
from opsrhythm.rituals.process_retro.votes import VoteRefused, ballot

OPEN_STAGES = ("collecting", "voting")
LATER = "Nothing was recorded. Your link still works: open it again in a few minutes."


class RetroPages(SignedLinkPages):
    def __init__(
        self,
        client: Client,
        signer: LinkSigner,
        templates_dir: Path,
        open_store: Callable[[], RetroStore],
        keys: Callable[[], AuthorKeys],
        organization: str = "OpsRhythm",
    ) -> None:
        super().__init__(signer, templates_dir, cookie_path="/retros")
        self._client = client
        self._open_store = open_store
        self._keys = keys
        self._organization = organization

    @functools.cached_property
    def _store(self) -> RetroStore:
        return self._open_store()

    def routes(self) -> list[Route]:
        return [
            Route("/retros/{workflow_id}", self.page, methods=["GET"]),
            Route("/retros/{workflow_id}", self.change, methods=["POST"]),
        ]

    def _page(self, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        return super()._page(name, code, **{"organization": self._organization, **context})

    async def page(self, request: Request) -> Response:
        """GET: the participant's items or the voting form; changes nothing."""
        token = request.query_params.get("token", "")
        try:
            claims = self._claims(request, token)
            status, plan = await self._open_retro(claims)
            with _database():
                return self._show(request, token, claims, status, plan, notice="")
        except Refusal as refusal:
            return self._refused(refusal)

    async def change(self, request: Request) -> Response:
        """POST from the page: add, edit or delete an own item, or replace one's votes."""
        try:
            form = await self._posted_form(request)
            token = form.get("token", "")
            claims = self._claims(request, token)
            status, plan = await self._open_retro(claims)
            with _database():
                notice = self._apply(form, claims, status, plan)
                return self._show(request, token, claims, status, plan, notice=notice)
        except Refusal as refusal:
            return self._refused(refusal)

    def _apply(
        self, form: dict[str, str], claims: RetroLinkClaims, status: RetroStatus, plan: RetroPlan
    ) -> str:
        wf, key = claims.workflow_id, self._keys().author_key(claims.workflow_id, claims.email)
        what = form.get("do", "")
        wanted = "vote" if status.stage == "voting" else ("add", "edit", "delete")
        if what not in wanted:
            raise Refusal(409, "Not now", f"The retro is at '{status.stage}': that is closed.")
        try:
            if what == "add":
                prompt = form.get("prompt", "")
                if prompt not in {p.prompt_id for p in plan.prompts}:
                    raise Refusal(400, "Choose a prompt", "Go back and pick one of the prompts.")
                name = _participant(plan, claims).name if form.get("sign") else None
                added = self._store.add_item(wf, key, prompt, form.get("text", ""), name)
                return f"Added {added.item_id}."
            if what == "vote":
                return self._vote(form, wf, key, plan)
            number = _number("I", form.get("item", ""))
            if what == "delete":
                self._store.delete_item(wf, key, number)
                return f"Deleted I{number}."
            self._store.edit_item(wf, key, number, form.get("text", ""))
            return f"Saved I{number}."
        except (RetroRefused, VoteRefused) as error:
            raise Refusal(400, "Not recorded", f"{error}.") from None

    def _vote(self, form: dict[str, str], wf: str, key: str, plan: RetroPlan) -> str:
        chosen: list[int] = []
        for field, value in form.items():
            if field.startswith("dots:") and value.strip():
                if not value.strip().isdigit():
                    raise Refusal(400, "Dots are whole numbers", f"{value!r} is not one.")
                chosen += [_number("G", field.removeprefix("dots:"))] * int(value)
        known = [g.group_no for g in self._store.groups(wf)]
        dots = ballot(chosen, known, plan.votes_per_person, plan.votes_per_group)
        self._store.replace_votes(
            wf, key, dots, per_person=plan.votes_per_person, per_group=plan.votes_per_group
        )
        return f"Your {sum(dots.values())} dot(s) are recorded; voting again replaces them."

    def _show(
        self,
        request: Request,
        token: str,
        claims: RetroLinkClaims,
        status: RetroStatus,
        plan: RetroPlan,
        notice: str,
    ) -> Response:
        key = self._keys().author_key(claims.workflow_id, claims.email)
        voting = status.stage == "voting"
        return self._form_page(
            request,
            token,
            "retro_form.html",
            status=status,
            plan=plan,
            email=claims.email,
            notice=notice,
            voting=voting,
            items=[] if voting else self._store.own_items(claims.workflow_id, key),
            groups=self._store.groups(claims.workflow_id) if voting else [],
            votes=self._store.own_votes(claims.workflow_id, key) if voting else {},
        )

    def _claims(self, request: Request, token: str) -> RetroLinkClaims:
        try:
            claims = verify_retro_token(self._signer, token)
        except LinkError as error:
            raise Refusal(error.status, "This link cannot be used", str(error)) from None
        if claims.workflow_id != request.path_params["workflow_id"]:
            raise Refusal(403, "This link is not yours", "It was issued for another retro.")
        return claims

    async def _open_retro(self, claims: RetroLinkClaims) -> tuple[RetroStatus, RetroPlan]:
        try:
            status = await retro_status(self._client, claims.workflow_id, claims.run_id or None)
        except ApprovalNotFound as error:
            raise Refusal(404, "Retro not found", str(error)) from None
        except ApprovalUnavailable:
            raise Refusal(503, "Try again later", LATER) from None
        if status.plan is None:
            raise Refusal(503, "Try again later", LATER)
        _participant(status.plan, claims)
        if status.stage not in OPEN_STAGES:
            raise Refusal(
                409,
                "Nothing to do here now",
                f"The retro is at '{status.stage}': items are taken while collecting and "
                "dots while voting.",
            )
        return status, status.plan


@contextmanager
def _database() -> Iterator[None]:
    """The store unreachable (or lost mid-request) is a page asking to come back, never a 500."""
    try:
        yield
    except (DatabaseNotReady, sa.exc.DBAPIError):
        raise Refusal(503, "Try again later", LATER) from None


def _participant(plan: RetroPlan, claims: RetroLinkClaims) -> Contact:
    person = plan.participant(claims.email)
    if person is None:
        raise Refusal(403, "This retro is not yours", "You are not one of its participants.")
    return person


def _number(prefix: str, text: str) -> int:
    try:
        return parse_label(prefix, text)
    except ValueError as error:
        raise Refusal(400, "Not recorded", f"{error}.") from None
