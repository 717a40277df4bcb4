"""The KPI report's own command, ``opsrhythm preview``, declared (handler in ``commands``)."""

from __future__ import annotations

import argparse

from opsrhythm.platform.cli import Command


def _preview(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ritual", help="ritual id from the config, e.g. monthly-kpi-report")
    parser.add_argument("--period", help="YYYY-MM (default: the last complete month)")
    parser.add_argument("--out", required=True, help="folder for the rendered emails")


COMMANDS = (
    Command(
        "preview",
        "Render every audience's email to files, without Temporal or sending.",
        "opsrhythm.rituals.kpi_report.commands:preview_command",
        _preview,
    ),
)
