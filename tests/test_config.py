"""Config loading: every problem reported as one line with its YAML path, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsrhythm.config_loader import ConfigError, load_config, parse_config
from tests.conftest import EXAMPLE_CONFIG


def problems_for(edit: dict[str, object] | None = None, text: str | None = None) -> list[str]:
    """Problems for the example config with ``edit`` applied to its parsed data."""
    if text is None:
        data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
        for dotted, value in (edit or {}).items():
            node = data
            *parents, last = dotted.split(".")
            for part in parents:
                node = node[int(part)] if part.isdigit() else node[part]
            node[int(last) if last.isdigit() else last] = value
        text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(ConfigError) as error:
        parse_config(text, source="test.yaml", base_dir=EXAMPLE_CONFIG.parent)
    return [f"{problem.path}: {problem.message}" for problem in error.value.problems]


def test_example_config_is_valid() -> None:
    """The shipped example loads, with relative paths resolved next to the file."""
    config = load_config(EXAMPLE_CONFIG)
    assert EXAMPLE_CONFIG.parent == config.base_dir
    assert ["monthly-kpi-report", "quarterly-strategy-review", "process-retro"] == [
        r.id for r in config.rituals
    ]


def test_wrong_type_names_path() -> None:
    """A non-number target is reported at its path with pydantic's reason."""
    assert [
        "kpis[3].target: Input should be a valid number, unable to parse string as a number"
    ] == problems_for({"kpis.3.target": "lots"})


def test_unknown_audience_in_ritual() -> None:
    """References between sections are checked and name what is known."""
    [problem] = problems_for({"rituals.0.audiences.1": "salez"})
    assert problem.startswith(
        "rituals[0].audiences[1]: unknown audience 'salez' (known: growth-squad"
    )


def test_every_problem_reported_at_once() -> None:
    """Several broken references come back together, one line each."""
    problems = problems_for(
        {"kpis.0.owner": "nobody", "kpis.1.source": "lake", "audiences.0.members.0": "zed"}
    )
    assert [
        "audiences[0].members[0]",
        "kpis[0].owner",
        "kpis[1].source",
    ] == [problem.split(":")[0] for problem in problems]


def test_unknown_field_is_rejected() -> None:
    """A typo in a field name is an error, not silently ignored."""
    assert ["kpis[0].tagret: unknown field"] == problems_for({"kpis.0.tagret": 5})


def test_source_tag_not_in_path() -> None:
    """Errors inside a source name the source's index, not pydantic's union tag."""
    assert ["sources[1].period_column: Input should be a valid string"] == problems_for(
        {"sources.1.period_column": [1]}
    )


def test_password_in_url_refused() -> None:
    """Secrets never live in the config: a URL with a password must move to url_env."""
    [problem] = problems_for({"sources.0.url": "postgresql://u:hunter2@db/x"})
    assert problem.startswith("sources[0].url: has a password")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            {"kpis.0.format": "{:,.0f}"},
            "kpis[0].format: format must contain exactly one {value} field",
        ),
        (
            {"people.0.timezone": "Mars/Olympus"},
            "people[0].timezone: unknown timezone 'Mars/Olympus'",
        ),
        ({"kpis.0.query": None}, "kpis[0].query: required for SQL source 'warehouse'"),
        ({"people.1.id": "ana"}, "people[1].id: duplicate id 'ana'"),
    ],
)
def test_field_checks(edit: dict[str, object], expected: str) -> None:
    """Formats, timezones, required queries and duplicate ids are checked."""
    assert any(problem.startswith(expected) for problem in problems_for(edit))


def test_yaml_syntax_error_has_line() -> None:
    """Broken YAML is reported with its line number."""
    with pytest.raises(ConfigError) as error:
        parse_config("people: [\n  - a\n", source="x.yaml", base_dir=Path("."))
    # The wording is the YAML parser's own (LibYAML's or PyYAML's); the place is ours.
    assert str(error.value).startswith("x.yaml: yaml (line 2): ")
    assert 1 == len(error.value.problems)


def test_problem_carries_line() -> None:
    """Validation problems point at the line that holds the bad value."""
    text = EXAMPLE_CONFIG.read_text().replace("target: 500000", "target: lots")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "target: lots" in row)
    with pytest.raises(ConfigError) as error:
        parse_config(text, source="x.yaml", base_dir=EXAMPLE_CONFIG.parent)
    assert line == error.value.problems[0].line


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is one clear problem."""
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "nope.yaml")
    assert f"{tmp_path / 'nope.yaml'}: file: not found" == str(error.value)


def test_holiday_calendars_checked_only_when_asked() -> None:
    """Commands that compute business days check the calendar; the worker's start skips it."""
    text = EXAMPLE_CONFIG.read_text().replace("country: GB", "country: XX")
    assert text != EXAMPLE_CONFIG.read_text()
    parse_config(text, source="x.yaml", base_dir=EXAMPLE_CONFIG.parent)
    with pytest.raises(ConfigError) as error:
        parse_config(text, source="x.yaml", base_dir=EXAMPLE_CONFIG.parent, check_calendars=True)
    assert ["rituals[0].schedule.holidays", "feedback.holidays"] == [
        problem.path for problem in error.value.problems
    ]


def test_unknown_templates_folder_is_named_with_the_known_ones() -> None:
    """A ritual's templates: must name a folder with both email templates."""
    [problem] = problems_for({"rituals.0.templates": "kpi_reprot"})
    assert problem.startswith("rituals[0].templates: no folder 'kpi_reprot' with email.html")
    assert "kpi_report" in problem.partition("known: ")[2]


def test_unknown_ritual_kind_lists_the_registered_kinds() -> None:
    """The kind tag picks the entry's model; a typo names every kind there is."""
    [problem] = problems_for({"rituals.0.kind": "kpi_reprot"})
    assert problem.startswith("rituals[0].kind: Input should be 'kpi_report'")
