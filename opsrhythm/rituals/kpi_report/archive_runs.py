"""Where one run of a workflow id archives its drafts, so a later run never overwrites them.

``run --again`` starts a new run under the same workflow id. The first run to render claims
``<archive>/<workflow id>/`` (a ``.run`` file naming it); any other run archives in
``<archive>/<workflow id>/run-<run id>/``. Round N after a redraft goes into ``round-N/`` below
the run's folder. A folder with files but no claim is an earlier version's run: kept as it is.
"""

from __future__ import annotations

from pathlib import Path

from opsrhythm.platform.rendering import safe_name, write_atomic

CLAIM_NAME = ".run"


def run_folder(archive_dir: Path, workflow_id: str, run_id: str, round: int) -> Path:
    """The folder this run's ``round`` is archived in (``run_id`` '': the id's own folder)."""
    folder = (archive_dir / safe_name(workflow_id, "workflow id")).resolve()
    if run_id and not _claimed(folder, run_id):
        folder /= f"run-{safe_name(run_id, 'run id')}"
    if round > 1:
        # Each redraft keeps the rounds before it; round 1 keeps the path links already name.
        folder /= f"round-{round}"
    return folder


def _claimed(folder: Path, run_id: str) -> bool:
    """Whether ``folder`` is ``run_id``'s, claiming it when nobody has (a retry finds its own)."""
    claim = folder / CLAIM_NAME
    if claim.is_file():
        return claim.read_text(encoding="utf-8").strip() == run_id
    if folder.is_dir() and any(folder.iterdir()):
        return False
    write_atomic(claim, run_id.encode())
    return True
