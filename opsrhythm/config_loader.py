"""Find, parse and check the config file, reporting every problem as ``path: message``.

Problems carry the YAML path (``kpis[3].target``) and, where known, the line, so a user can
fix them all in one pass. Nothing here raises anything but ``ConfigError`` for bad input.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from opsrhythm.config import OpsRhythmConfig
from opsrhythm.platform import resources
from opsrhythm.platform.approvals.plan import approval_problems

# Re-exported: the loader is where callers expect its error.
from opsrhythm.platform.config_errors import ConfigError as ConfigError
from opsrhythm.platform.config_errors import ConfigProblem as ConfigProblem
from opsrhythm.platform.kpi_config import CsvSource, HttpSource, SqlSource
from opsrhythm.platform.schedules.config import holiday_calendar_problem
from opsrhythm.registry import RITUAL_KINDS
from opsrhythm.rituals.feedback.config import feedback_problems

DEFAULT_CONFIG_FILE = "opsrhythm.yaml"
CONFIG_ENV = "OPSRHYTHM_CONFIG"
# LibYAML's loader when PyYAML was built with it: several times faster at worker start-up.
if TYPE_CHECKING:
    _FastLoader = yaml.SafeLoader
else:
    _FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_FastLoader):
    """PyYAML's safe loader, except that a scalar it cannot convert (``2026-13-40``, ``!!int
    x``) is a ``ConstructorError`` at that scalar's line, not the bare ValueError or IndexError
    PyYAML's constructors raise."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, IndexError, OverflowError) as error:
            tag = node.tag.rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else tag
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {value!r} as {tag}: {error}", node.start_mark
            ) from None


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config FILE``, else ``$OPSRHYTHM_CONFIG``, else ``./opsrhythm.yaml``."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE)


def load_config(
    explicit: str | os.PathLike[str] | None = None, *, check_calendars: bool = False
) -> OpsRhythmConfig:
    """Load and check the config; ``check_calendars`` also asks the holidays package."""
    path = config_path(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problem = ConfigProblem("file", f"not found{_not_found_hint(explicit)}")
        raise ConfigError(str(path), [problem]) from None
    except OSError as error:
        raise ConfigError(
            str(path), [ConfigProblem("file", error.strerror or str(error))]
        ) from None
    return parse_config(
        text, source=str(path), base_dir=path.resolve().parent, check_calendars=check_calendars
    )


def _not_found_hint(explicit: str | os.PathLike[str] | None) -> str:
    """Where the missing file's name came from, unless the user just typed it."""
    if explicit:
        return ""
    if os.environ.get(CONFIG_ENV):
        return f" (named by ${CONFIG_ENV})"
    return f" (pass --config FILE or set {CONFIG_ENV})"


def parse_config(
    text: str, *, source: str, base_dir: Path, check_calendars: bool = False
) -> OpsRhythmConfig:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as error:
        # Its str() is two lines and names no line; the character's offset gives the line.
        at = text.count("\n", 0, error.position) + 1
        problem = f"character #x{error.character:04x}: {error.reason}"
        raise ConfigError(source, [ConfigProblem("yaml", problem, at)]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(source, [ConfigProblem("yaml", problem, line)]) from None
    lines = dict(_node_lines(node)) if node is not None else {}
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigProblem("file", "expected a mapping of sections")])
    try:
        config = OpsRhythmConfig.model_validate(data)
    except ValidationError as error:
        problems = [_problem_from_pydantic(detail, lines) for detail in error.errors()]
        raise ConfigError(source, problems) from None
    config._base_dir = base_dir
    found = list(_reference_problems(config))
    if check_calendars:
        found += _calendar_problems(config)
    problems = [ConfigProblem(path, message, lines.get(path)) for path, message in found]
    if problems:
        raise ConfigError(source, problems)
    return config


def _problem_from_pydantic(detail: Any, lines: dict[str, int]) -> ConfigProblem:
    loc = list(detail["loc"])
    # A discriminated union adds the tag (e.g. 'sql') to the location; the user never wrote it.
    if len(loc) >= 3 and loc[0] in ("sources", "rituals") and loc[2] in _union_tags():
        del loc[2]
    path = _format_path(loc)
    message = detail["msg"]
    if detail["type"] == "extra_forbidden":
        message = "unknown field"
    elif detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
        # A discriminated union (rituals[], sources[]) names the entry; the tag is what is wrong.
        path += "." + detail["ctx"]["discriminator"].strip("'")
        tags = detail["ctx"].get("expected_tags", "").replace(", ", " or ")
        message = f"Input should be {tags}" if tags else "Field required"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return ConfigProblem(path, message, _nearest_line(path, lines))


def _union_tags() -> set[str]:
    return {"sql", "csv", "http", *(kind.kind for kind in RITUAL_KINDS)}


def _format_path(loc: list[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{_key(part)}" if path else _key(part)
    return path or "file"


def _key(part: object) -> str:
    """A key as written; quoted, with escapes, if it holds a character that would break the
    report's one line per problem (a line break, or a control character such as U+001E)."""
    text = str(part)
    return text if text.isprintable() else repr(text)


def _nearest_line(path: str, lines: dict[str, int]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def _node_lines(node: yaml.Node, path: str = "") -> Iterator[tuple[str, int]]:
    yield path or "file", node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{_key(key.value)}" if path else _key(key.value)
            yield child, key.start_mark.line + 1
            yield from _node_lines(value, child)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _node_lines(item, f"{path}[{index}]")


def _reference_problems(config: OpsRhythmConfig) -> Iterator[tuple[str, str]]:
    for section in ("people", "audiences", "sources", "kpis", "rituals"):
        seen: set[str] = set()
        for index, item in enumerate(getattr(config, section)):
            if item.id in seen:
                yield f"{section}[{index}].id", f"duplicate id {item.id!r}"
            seen.add(item.id)

    people = {p.id for p in config.people}
    audiences = {a.id for a in config.audiences}
    sources = {s.id: s for s in config.sources}

    def unknown(kind: str, value: str, known: set[str] | dict[str, Any]) -> str:
        return f"unknown {kind} {value!r}" + (
            f" (known: {', '.join(sorted(known))})" if known else ""
        )

    for index, audience in enumerate(config.audiences):
        for m, member in enumerate(audience.members):
            if member not in people:
                yield f"audiences[{index}].members[{m}]", unknown("person", member, people)

    for index, source in enumerate(config.sources):
        yield from (
            (f"sources[{index}].{field}", message) for field, message in _source_problems(source)
        )

    for index, kpi in enumerate(config.kpis):
        where = f"kpis[{index}]"
        if kpi.owner not in people:
            yield f"{where}.owner", unknown("person", kpi.owner, people)
        for a, audience_id in enumerate(kpi.audiences):
            if audience_id not in audiences:
                yield f"{where}.audiences[{a}]", unknown("audience", audience_id, audiences)
        kpi_source = sources.get(kpi.source)
        if kpi_source is None:
            yield f"{where}.source", unknown("source", kpi.source, sources)
        elif isinstance(kpi_source, SqlSource) and not kpi.query:
            yield f"{where}.query", f"required for SQL source {kpi_source.id!r}"
        elif isinstance(kpi_source, CsvSource | HttpSource) and not kpi.column:
            kind = kpi_source.kind.upper()
            yield f"{where}.column", f"required for {kind} source {kpi_source.id!r}"

    for index, ritual in enumerate(config.rituals):
        where = f"rituals[{index}]"
        if ritual.owner not in people:
            yield f"{where}.owner", unknown("person", ritual.owner, people)
        for a, audience_id in enumerate(ritual.audiences):
            if audience_id not in audiences:
                yield f"{where}.audiences[{a}]", unknown("audience", audience_id, audiences)
        for field, message in ritual.reference_problems(config):
            yield f"{where}.{field}", message
        if ritual.templates is not None and (problem := _templates_problem(ritual.templates)):
            yield f"{where}.templates", problem
        if ritual.approval is not None:
            for field, message in approval_problems(ritual.approval, ritual.owner, people):
                yield f"{where}.approval.{field}", message

    if config.feedback is not None:
        for field, message in feedback_problems(config.feedback, people):
            yield f"feedback.{field}", message


def _templates_problem(folder: str) -> str | None:
    templates = resources.templates_dir()
    if all((templates / folder / name).is_file() for name in ("email.html", "email.txt")):
        return None
    known = sorted(p.parent.name for p in templates.glob("*/email.html"))
    return f"no folder {folder!r} with email.html and email.txt under {templates} (known: " + (
        ", ".join(known) + ")"
    )


def _source_problems(source: SqlSource | CsvSource | HttpSource) -> Iterator[tuple[str, str]]:
    if isinstance(source, SqlSource):
        if (source.url is None) == (source.url_env is None):
            yield "url", "give exactly one of url or url_env"
        elif source.url is not None:
            if urlsplit(source.url).password:
                yield "url", "has a password; put the URL in an environment variable (url_env)"
            elif "://" not in source.url:
                yield "url", "is not a SQLAlchemy URL such as sqlite:///kpis.sqlite"
    elif isinstance(source, HttpSource) and not source.url.startswith(("http://", "https://")):
        yield "url", "must start with http:// or https://"


def _calendar_problems(config: OpsRhythmConfig) -> Iterator[tuple[str, str]]:
    for index, ritual in enumerate(config.rituals):
        calendar = ritual.schedule.holidays if ritual.schedule else None
        if calendar is not None and (problem := holiday_calendar_problem(calendar)):
            yield f"rituals[{index}].schedule.holidays", problem
    calendar = config.feedback.holidays if config.feedback else None
    if calendar is not None and (problem := holiday_calendar_problem(calendar)):
        yield "feedback.holidays", problem
