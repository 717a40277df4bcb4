"""The retrospective's ``web_routes`` (its registry entry): a participant's page."""

from __future__ import annotations

from starlette.routing import Route

from opsrhythm.platform.ritual_kind import WebContext
from opsrhythm.rituals.process_retro.keys import author_keys_from_environment
from opsrhythm.rituals.process_retro.pages import RetroPages
from opsrhythm.rituals.process_retro.store import RetroStore


def web_routes(context: WebContext) -> list[Route]:
    return RetroPages(
        context.client,
        context.signer,
        context.templates_dir,
        _open_store,
        author_keys_from_environment,
        context.organization,
    ).routes()


def _open_store() -> RetroStore:
    # Opened on a page's first use, so `opsrhythm web` starts without its database.
    from opsrhythm.platform.ledger_keys import default_database_url

    return RetroStore.from_url(default_database_url())
