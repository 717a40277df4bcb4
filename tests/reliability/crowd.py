"""The example config with a crowd: thousands of people in audiences that every KPI reaches.

Fault and secret tests need audiences big enough that a report takes several SendGrid requests
(at most 1,000 recipients each), with the example's own sources, KPIs and templates.
"""

from __future__ import annotations

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform.config import Audience, Person

CROWD_DOMAIN = "@crowd.acme.example"


def crowd_email(index: int) -> str:
    return f"member{index:05d}{CROWD_DOMAIN}"


def with_crowd(config: OpsRhythmConfig, sizes: dict[str, int]) -> OpsRhythmConfig:
    """``config`` whose first ritual goes to new audiences of ``sizes`` people (no overlap)."""
    people: list[Person] = []
    audiences: list[Audience] = []
    for audience_id, size in sizes.items():
        members = [
            Person(
                id=f"member-{len(people) + i}",
                name=f"Member {len(people) + i}",
                email=crowd_email(len(people) + i),
            )
            for i in range(size)
        ]
        audiences.append(
            Audience(id=audience_id, name=audience_id, members=[p.id for p in members])
        )
        people += members
    kpis = [kpi.model_copy(update={"audiences": [*kpi.audiences, *sizes]}) for kpi in config.kpis]
    ritual = config.rituals[0].model_copy(update={"audiences": list(sizes)})
    crowded = config.model_copy(
        update={
            "people": [*config.people, *people],
            "audiences": [*config.audiences, *audiences],
            "kpis": kpis,
            "rituals": [ritual, *config.rituals[1:]],
        }
    )
    crowded._base_dir = config.base_dir
    return crowded
