"""The error for a config that cannot be used, with every problem found in it.

It lives in the platform, apart from the loader, so that anything reading settings (the link
signer, the CLI runner) can raise or print it without importing the app's config models.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else self.path
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; ``problems`` lists each issue."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))
