"""The ``sources`` and ``kpis`` sections: where numbers come from, shared by every ritual.

Secrets never appear in the file: sources name environment variables instead.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from opsrhythm.platform.config_types import Slug, StrictModel


class SqlSource(StrictModel):
    id: Slug
    kind: Literal["sql"]
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL without a password; relative SQLite paths are relative "
        "to the config file.",
    )
    url_env: str | None = Field(
        default=None, description="Environment variable holding the URL, for URLs with secrets."
    )


class CsvSource(StrictModel):
    id: Slug
    kind: Literal["csv"]
    path: Path = Field(description="CSV file; relative to the config file.")
    period_column: str = "period"


class HttpSource(StrictModel):
    id: Slug
    kind: Literal["http"]
    url: str = Field(description="JSON endpoint; '{period}' is replaced with YYYY-MM.")
    token_env: str | None = Field(
        default=None, description="Environment variable holding a bearer token."
    )
    timeout_seconds: float = Field(default=10.0, gt=0)


Source = Annotated[SqlSource | CsvSource | HttpSource, Field(discriminator="kind")]


class Kpi(StrictModel):
    id: Slug
    name: str
    unit: str = ""
    format: str = Field(
        default="{value:,.0f}",
        description="Python format string with a {value} field, e.g. '£{value:,.0f}'.",
    )
    description: str = ""
    owner: Slug
    source: Slug
    query: str | None = Field(
        default=None,
        description="SQL sources: a query returning one number; binds :period_start and "
        ":period_end (ISO dates, end exclusive) and :period (YYYY-MM).",
    )
    column: str | None = Field(
        default=None,
        description="CSV sources: the column; HTTP sources: a dotted path into the JSON.",
    )
    aggregate: Literal["sum", "mean", "last"] = Field(
        default="sum", description="How CSV rows of one period combine."
    )
    quarter_aggregate: Literal["mean", "sum", "last"] = Field(
        default="mean",
        description="How a quarter's value comes from its three months (for a ritual that "
        "reports by quarter): mean reads like a month, against the monthly target; sum is a flow's "
        "total, against three times the target; last is a level where the quarter ended.",
    )
    target: float | None = None
    direction: Literal["higher", "lower"] = Field(
        default="higher", description="Which way is better for this KPI."
    )
    tolerance: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="How far short of target (as a fraction) still counts as at risk.",
    )
    notable_change: float | None = Field(
        default=None, gt=0, description="Relative move vs the previous period that is flagged."
    )
    audiences: list[Slug] = Field(min_length=1)

    @field_validator("format")
    @classmethod
    def _format_has_value_field(cls, text: str) -> str:
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        if fields != {"value"}:
            raise ValueError("format must contain exactly one {value} field, e.g. '{value:,.0f}'")
        try:
            text.format(value=1234.5)
        except (ValueError, TypeError) as error:
            raise ValueError(f"format {text!r} cannot format a number: {error}") from None
        return text
