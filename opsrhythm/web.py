"""``opsrhythm web``: the pages behind the signed links in emails (approvals, the full draft
behind an approver's link, the owner's redraft, a strategy review owner's update form, a retro
participant's items and dots, and feedback ack and resolve when the config has a ``feedback:``
section), and ``POST /feedback``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from temporalio.client import Client

from opsrhythm.platform import resources
from opsrhythm.platform.approvals.links import LinkSigner
from opsrhythm.platform.approvals.redraft_pages import RedraftPages
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.rendering import default_archive_dir
from opsrhythm.platform.web_pages import CSRF_COOKIE
from opsrhythm.rituals.process_retro.keys import author_keys_from_environment
from opsrhythm.rituals.process_retro.pages import RetroPages
from opsrhythm.rituals.strategy_review.pages import ReviewPages

if TYPE_CHECKING:
    from opsrhythm.config import OpsRhythmConfig
    from opsrhythm.platform.config import PlatformConfig
    from opsrhythm.rituals.process_retro.store import RetroStore

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
) -> Starlette:
    """The pages; full drafts are read from ``archive_dir`` (default: OPSRHYTHM_ARCHIVE, as the
    worker), and ``organization`` heads every page."""
    pages = RedraftPages(
        client,
        signer,
        used,
        templates_dir or resources.templates_dir(),
        archive_dir or default_archive_dir(),
        organization,
    )

    reviews = ReviewPages(client, signer, templates_dir or resources.templates_dir(), organization)
    retros = RetroPages(
        client,
        signer,
        templates_dir or resources.templates_dir(),
        _open_retro_store,
        author_keys_from_environment,
        organization,
    )

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
            *reviews.routes(),
            *retros.routes(),
            Route("/healthz", health, methods=["GET"]),
            *extra_routes,
        ]
    )


def _open_retro_store() -> RetroStore:
    from opsrhythm.platform.ledger_keys import default_database_url
    from opsrhythm.rituals.process_retro.store import RetroStore

    return RetroStore.from_url(default_database_url())


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
