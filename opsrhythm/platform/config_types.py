"""Building blocks of every config model: strict models, ids, email addresses and timezones."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name such as Europe/London)"
        ) from None
    return name


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Timezone = Annotated[str, AfterValidator(_check_timezone)]


class StrictModel(BaseModel):
    """Unknown fields are errors: a typo in the YAML must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")
