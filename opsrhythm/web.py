"""``opsrhythm web``: the pages behind the signed links in emails (approvals, the full draft
behind an approver's link, the owner's redraft, each registered kind's own pages through its
``web_routes``, and feedback ack and resolve when the config has a ``feedback:`` section), and
``POST /feedback``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from temporalio.client import Client

from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.redraft_pages import RedraftPages
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.rendering import default_archive_dir
from opsrhythm.platform.ritual_kind import RitualKind, WebContext
from opsrhythm.platform.web_pages import CSRF_COOKIE
from opsrhythm.registry import RITUAL_KINDS

if TYPE_CHECKING:
    from opsrhythm.config import OpsRhythmConfig
    from opsrhythm.platform.config import PlatformConfig

__all__ = ["CSRF_COOKIE", "create_app", "feedback_routes", "serve"]


def create_app(
    client: Client,
    signer: LinkSigner,
    used: UsedLinks,
    templates_dir: Path | None = None,
    extra_routes: Sequence[Route] = (),
    *,
    archive_dir: Path | None = None,
    organization: str = "OpsRhythm",
    kinds: Iterable[RitualKind] = RITUAL_KINDS,
) -> Starlette:
    """The pages, with each of ``kinds``' own; full drafts are read from ``archive_dir``
    (default: OPSRHYTHM_ARCHIVE, as the worker), and ``organization`` heads every page."""
    context = WebContext(
        client,
        signer,
        used,
        templates_dir or resources.templates_dir(),
        archive_dir or default_archive_dir(),
        organization,
    )
    pages = RedraftPages(
        client, signer, used, context.templates_dir, context.archive_dir, organization
    )
    kinds_routes: list[BaseRoute] = [route for kind in kinds for route in kind.routes(context)]

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    approval = "/approvals/{workflow_id}/{approver}"
    return Starlette(
        routes=[
            Route(approval, pages.confirm, methods=["GET"]),
            Route(approval, pages.decide, methods=["POST"]),
            Route(approval + "/draft/{token}/{name:path}", pages.draft, methods=["GET"]),
            Route(approval + "/redraft", pages.confirm_redraft, methods=["GET"]),
            Route(approval + "/redraft", pages.redraft, methods=["POST"]),
            *kinds_routes,
            Route("/healthz", health, methods=["GET"]),
            *extra_routes,
        ]
    )


async def serve(
    client: Client, signer: LinkSigner, config: PlatformConfig | None, *, host: str, port: int
) -> int:
    """Serve the pages on ``host:port`` until interrupted (checked first by ``opsrhythm web``).

    The feedback pages come on when ``config`` has a ``feedback:`` section.
    """
    import uvicorn

    from opsrhythm.config import OpsRhythmConfig
    from opsrhythm.platform.approvals.links import public_url
    from opsrhythm.platform.ledger_keys import default_database_url

    used = UsedLinks.from_url(default_database_url())
    try:
        feedback = (
            feedback_routes(config, client, signer, used)
            if isinstance(config, OpsRhythmConfig)
            else []
        )
        print(f"Web pages on http://{host}:{port} (links in emails use {public_url()})")
        # The worker's archive must be this one, or approvers' draft links find nothing.
        print(f"Full drafts from {default_archive_dir().resolve()} (OPSRHYTHM_ARCHIVE)")
        if feedback:
            print("Feedback: " + ", ".join(sorted({route.path for route in feedback})))
        else:
            print("Feedback pages off: no config with a feedback: section (see --config)")
        # No access log: the links' tokens are in the URLs.
        server_config = uvicorn.Config(
            create_app(
                client,
                signer,
                used,
                extra_routes=feedback,
                organization=config.organization.name if config else "OpsRhythm",
            ),
            host=host,
            port=port,
            access_log=False,
        )
        await uvicorn.Server(server_config).serve()
    finally:
        used.close()
    return 0


def feedback_routes(
    config: OpsRhythmConfig, client: Client, signer: LinkSigner, used: UsedLinks
) -> list[Route]:
    """The ack and resolve pages, and ``POST /feedback`` when its token is set too."""
    from opsrhythm.platform.ledger_keys import default_database_url
    from opsrhythm.rituals.feedback.action_pages import FeedbackActionPages
    from opsrhythm.rituals.feedback.ledger import FeedbackLedger
    from opsrhythm.rituals.feedback.temporal_import import start_sla_watch
    from opsrhythm.rituals.feedback.web import intake_from_environment

    if config.feedback is None:
        return []
    ledger = FeedbackLedger.from_url(default_database_url())
    pages = FeedbackActionPages(
        ledger,
        {person.email for person in config.people},
        signer,
        used,
        resources.templates_dir(),
        on_resolved=lambda: start_sla_watch(client),
        timezone=config.feedback.timezone or config.organization.timezone,
    )
    intake = intake_from_environment(config.feedback, ledger)
    return pages.routes() + (intake.routes() if intake else [])
