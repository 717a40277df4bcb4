"""The fixed words of feedback triage: sources, statuses and resolutions.

Standard library only, so the ``feedback`` command declarations can offer them as choices
without importing the models (pydantic) to build ``opsrhythm --help``.
"""

from __future__ import annotations

from typing import Literal, get_args

FeedbackSource = Literal["sales", "support", "customer", "internal"]
SOURCES: tuple[FeedbackSource, ...] = get_args(FeedbackSource)
Resolution = Literal["shipped", "planned", "declined", "duplicate"]
RESOLUTIONS: tuple[Resolution, ...] = get_args(Resolution)
OPEN = "new"
STATUSES = (OPEN, "acknowledged", *RESOLUTIONS)
