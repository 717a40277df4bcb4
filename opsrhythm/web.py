"""``opsrhythm web``: the pages behind the signed links in emails (approvals, and feedback ack
and resolve when the config has a ``feedback:`` section), and ``POST /feedback``.
"""

from __future__ import annotations

import os
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
from opsrhythm.platform.approvals.pages import ApprovalPages
from opsrhythm.platform.approvals.store import UsedLinks
from opsrhythm.platform.web_pages import CSRF_COOKIE

if TYPE_CHECKING:
    from opsrhythm.config import OpsRhythmConfig

__all__ = ["CSRF_COOKIE", "create_app", "feedback_routes", "serve"]


def create_app(
    client: Client,
    signer: LinkSigner,
    used: UsedLinks,
    templates_dir: Path | None = None,
    extra_routes: Sequence[Route] = (),
) -> Starlette:
    pages = ApprovalPages(client, signer, used, templates_dir or resources.templates_dir())

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


def serve(host: str, port: int, config_file: str | None = None) -> int:
    """Run the web app until interrupted; needs OPSRHYTHM_SECRET and a reachable Temporal.

    The feedback pages come on when the config (``--config``, else the default file if there
    is one) has a ``feedback:`` section; approvals need no config.
    """
    import asyncio
    import sys

    import uvicorn

    from opsrhythm.config_loader import CONFIG_ENV, ConfigError, config_path, load_config
    from opsrhythm.platform.approvals.links import SECRET_ENV, public_url, signer_from_environment
    from opsrhythm.platform.db.schema import DatabaseNotReady
    from opsrhythm.platform.db.startup import startup_check
    from opsrhythm.platform.ledger_keys import default_database_url
    from opsrhythm.platform.temporal_runtime import TemporalUnavailable, connect

    try:
        signer = signer_from_environment()
        # Only the default file may be absent: a config that was named must be there.
        named = config_file is not None or bool(os.environ.get(CONFIG_ENV))
        use_config = named or config_path().is_file()
        config = load_config(config_file, check_calendars=True) if use_config else None
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if signer is None:
        print(f"opsrhythm: set {SECRET_ENV} (the same value as the worker's)", file=sys.stderr)
        return 2
    try:
        startup_check()  # an old schema is refused now, in one line, not on the first click
    except DatabaseNotReady as error:
        print(f"opsrhythm: {error}", file=sys.stderr)
        return error.exit_code
    used = UsedLinks.from_url(default_database_url())

    async def main() -> int:
        try:
            client = await connect()
        except TemporalUnavailable as error:
            print(f"opsrhythm: {error}", file=sys.stderr)
            return 1
        feedback = feedback_routes(config, client, signer, used) if config else []
        print(f"Web pages on http://{host}:{port} (links in emails use {public_url()})")
        if feedback:
            print("Feedback: " + ", ".join(sorted({route.path for route in feedback})))
        else:
            print("Feedback pages off: no config with a feedback: section (see --config)")
        # No access log: the links' tokens are in the URLs.
        server_config = uvicorn.Config(
            create_app(client, signer, used, extra_routes=feedback),
            host=host,
            port=port,
            access_log=False,
        )
        await uvicorn.Server(server_config).serve()
        return 0

    try:
        return asyncio.run(main())
    finally:
        used.close()


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
