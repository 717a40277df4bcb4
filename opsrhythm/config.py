"""The whole config file: the shared sections, plus what each ritual kind in the registry adds.

``rituals[]`` is a union of every kind's entry model, told apart by ``kind``. Only structure
lives here; ``opsrhythm.config_loader`` checks the references between sections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field, model_validator

from opsrhythm.platform.config import PlatformConfig, RitualBase
from opsrhythm.platform.ritual_kind import PeriodicKind
from opsrhythm.registry import RITUAL_KINDS
from opsrhythm.rituals.feedback.config import FeedbackSettings


def _ritual_entry() -> Any:
    models = [k.load_config_model() for k in RITUAL_KINDS if isinstance(k, PeriodicKind)]
    if len(models) == 1:
        return models[0]
    return Annotated[Union[tuple(models)], Field(discriminator="kind")]  # noqa: UP007


if TYPE_CHECKING:
    RitualEntry = RitualBase
else:
    RitualEntry = _ritual_entry()


class OpsRhythmConfig(PlatformConfig):
    rituals: list[RitualEntry] = Field(default_factory=list)
    feedback: FeedbackSettings | None = Field(
        default=None, description="Feedback triage: product areas, routing rules, SLAs."
    )

    @model_validator(mode="after")
    def _feedback_timezone_defaults_to_the_organization(self) -> OpsRhythmConfig:
        if self.feedback is not None and self.feedback.timezone is None:
            self.feedback.timezone = self.organization.timezone
        return self
