"""Activities named once and called by name, with their input and result types.

Workflows call activities through these instead of importing the activity classes, so a
workflow module never loads what activities use (SQLAlchemy, Jinja2, SendGrid, matplotlib),
and every call stays typed. Each activity takes its name from the same reference.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")


class ActivityRef(Generic[InputT, ResultT]):
    def __init__(self, name: str, result_type: type[ResultT]) -> None:
        self.name = name
        self.result_type = result_type

    async def execute(self, arg: InputT, **options: Any) -> ResultT:
        """``workflow.execute_activity`` by name; ``options`` are its keyword arguments."""
        # Imported here: the models that declare references are also read by the CLI, which
        # must not pay for temporalio when it only reads the database.
        from temporalio import workflow

        result = await workflow.execute_activity(
            self.name, arg, result_type=self.result_type, **options
        )
        return cast(ResultT, result)
