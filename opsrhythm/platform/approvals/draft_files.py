"""The archived draft an approval link may read: files beside the draft's page, in the archive.

A draft is a folder in the report archive (``<archive>/<workflow id>/``): its index page, one
page per audience, and the charts those pages show by relative name. A link may read a plain
file of a known kind in that folder, and nothing outside the configured archive (no other
folder, no ``..``, no symlink out of it, none of the approval emails in its subfolder).
"""

from __future__ import annotations

from pathlib import Path

from opsrhythm.platform.web_pages import Refusal

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".css": "text/css; charset=utf-8",
}
NOT_FOUND = Refusal(404, "Not part of this draft", "The draft has no such page.")


def draft_file(archive_dir: Path, location: str, name: str) -> Path:
    """The file ``name`` of the draft archived at ``location`` (its index when ``name`` is '').

    Refusal 404 for anything that is not a file of the draft inside ``archive_dir``.
    """
    if not location:
        raise Refusal(404, "No draft to show", "This request has no archived draft.")
    archive = archive_dir.resolve()
    index = Path(location)
    folder = index.parent.resolve()
    if not folder.is_relative_to(archive):
        raise Refusal(
            404,
            "The draft is not in this server's archive",
            "Ask the ritual's owner: the web app's OPSRHYTHM_ARCHIVE must be the worker's.",
        )
    name = name or index.name
    if Path(name).name != name or name.startswith(".") or "\\" in name:
        raise NOT_FOUND
    if Path(name).suffix.lower() not in MEDIA_TYPES:
        raise NOT_FOUND
    found = (folder / name).resolve()
    if found.parent != folder or not found.is_relative_to(archive) or not found.is_file():
        raise NOT_FOUND
    return found


def media_type(path: Path) -> str:
    return MEDIA_TYPES[path.suffix.lower()]
