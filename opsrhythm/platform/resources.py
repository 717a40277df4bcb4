"""Where the files that ship with OpsRhythm are: the Jinja2 templates and the example company.

An installed wheel holds ``templates/`` and ``examples/`` inside the ``opsrhythm`` package
(setup.py maps them there). A source checkout, which an editable install runs from, keeps them
at the top of the repository, beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def templates_dir() -> Path:
    return _shipped("templates")


def example_dir() -> Path:
    """The demo company: its config, SQLite warehouse and CSV files."""
    return _shipped("examples") / "acme"


def example_config() -> Path:
    return example_dir() / "opsrhythm.yaml"


def _shipped(name: str) -> Path:
    installed = _PACKAGE / name
    if installed.is_dir():
        return installed
    # Only a checkout's own folder, never a stray one of that name beside an installed package.
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return checkout / name
    raise FileNotFoundError(
        f"OpsRhythm's {name}/ folder is missing: not in the installed package ({installed}) "
        f"nor in a source checkout ({checkout / name}); reinstall opsrhythm"
    )
