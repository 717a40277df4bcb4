"""The KPI report's entry in ``rituals[]``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from opsrhythm.platform.config import PlatformConfig, RitualBase
from opsrhythm.platform.config_types import Slug
from opsrhythm.platform.ritual_kind import PeriodicKind
from opsrhythm.rituals.kpi_report.kind import KPI_REPORT
from opsrhythm.rituals.kpi_report.kpi_plans import DEFAULT_NOTABLE_CHANGE, DEFAULT_TOLERANCE


class KpiReportRitual(RitualBase):
    ritual_kind: ClassVar[PeriodicKind] = KPI_REPORT

    kind: Literal["kpi_report"]
    kpis: list[Slug] | None = Field(
        default=None, description="KPIs in this ritual; all KPIs if omitted."
    )
    tolerance: float = Field(default=DEFAULT_TOLERANCE, ge=0, le=1)
    notable_change: float = Field(default=DEFAULT_NOTABLE_CHANGE, gt=0)

    def reference_problems(self, config: PlatformConfig) -> Iterator[tuple[str, str]]:
        known = {k.id for k in config.kpis}
        for index, kpi_id in enumerate(self.kpis or []):
            if kpi_id not in known:
                yield (
                    f"kpis[{index}]",
                    f"unknown KPI {kpi_id!r}"
                    + (f" (known: {', '.join(sorted(known))})" if known else ""),
                )
