"""The config loader, fuzzed: whatever the file holds, ``parse_config`` returns a config or
raises ``ConfigError`` whose every problem is one line with a path; never another exception.

Two sources of input: YAML-ish text from a small alphabet of YAML's syntax (which mostly finds
the parser's edges), and the example company's config with values, types and keys changed at
random paths (which gets past the parser into the models and the cross-reference checks, where
a surprise type is likeliest to escape as a TypeError). Derandomized, so CI sees the same cases.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from opsrhythm.config_loader import ConfigError, parse_config
from tests.conftest import EXAMPLE_CONFIG

EXAMPLE: dict[str, Any] = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
# LibYAML's dumper when there is one: five times faster than PyYAML's, which keeps 1,000 cases
# within seconds.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
FUZZ = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_EXAMPLE_REPRS = {key: repr(value) for key, value in EXAMPLE.items()}
_EXAMPLE_SECTIONS = {
    key: yaml.dump({key: value}, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    for key, value in EXAMPLE.items()
}

YAML_PIECES = [
    *"\n\n  -:{}[],&*!|>'\"#%?@`\t",
    "- ",
    ": ",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "!!str ",
    "!!int ",
    "!!binary ",
    "!!python/object:os.system ",
    "!!set ",
    "? ",
    "<<: *a\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "people",
    "rituals",
    "kind: kpi_report",
    "feedback",
    "sources",
    "kpis",
    "id",
    "null",
    "~",
    "true",
    "0x1F",
    "1e400",
    ".nan",
    "2026-13-40",
    "2026-10-01 09:00:00",
    "\ufeff",
    "\x00",
    "é",
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", " ", "ana", "warehouse", "P1", "2bd", "-1d", "09:00", "25:61", "0"]),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.datetimes(),
    st.binary(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=4,
)
KEYS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["id", "kind", "owner", "members", "match", "schedule", "approval"]),
    st.integers(),
    st.none(),
    st.booleans(),
)


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in the document, the document's own slot excluded."""
    found: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((node, key))
            found += _slots(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((node, index))
            found += _slots(value)
    return found


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """The example config after one to three random changes, dumped back to YAML."""
    document = copy.deepcopy(EXAMPLE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        slots = _slots(document)
        # An index rather than sampled_from: hashing ~400 nested slots per draw doubled the time.
        container, key = slots[draw(st.integers(min_value=0, max_value=len(slots) - 1))]
        change = draw(
            st.sampled_from(["value", "value", "delete", "add", "rename", "copy", "empty"])
        )
        if change == "value":
            container[key] = draw(VALUES)
        elif change == "delete":
            del container[key]
        elif change == "add" and isinstance(container, dict):
            container[draw(KEYS)] = draw(VALUES)
        elif change == "add":
            container.insert(draw(st.integers(0, len(container))), draw(VALUES))
        elif change == "rename" and isinstance(container, dict):
            container[draw(KEYS)] = container.pop(key)
        elif change == "copy":
            # A duplicate of a sibling: duplicate ids, two identical rules, one person twice.
            if isinstance(container, list):
                container.append(copy.deepcopy(container[key]))
            else:
                siblings = list(container.values())
                sibling = siblings[draw(st.integers(min_value=0, max_value=len(siblings) - 1))]
                container[key] = copy.deepcopy(sibling)
        elif change == "empty":
            value = container[key]
            container[key] = type(value)() if isinstance(value, dict | list | str) else None
        if not document:
            break
    return "".join(_dumped(key, value) for key, value in document.items())


def _dumped(key: Any, value: Any) -> str:
    """One top-level section as YAML; an untouched one from the cache (dumping is most of the
    cost of a case). repr, not ==, tells them apart: 1 == 1.0 == True, but a change of type is
    exactly what the fuzzer is after."""
    section = {key: value}
    if isinstance(key, str) and repr(value) == _EXAMPLE_REPRS.get(key):
        return _EXAMPLE_SECTIONS[key]
    return yaml.dump(section, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def _loads_or_reports_one_line_problems(text: str) -> None:
    try:
        parse_config(text, source="fuzz.yaml", base_dir=EXAMPLE_CONFIG.parent)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path, problem
            assert 1 == len(str(problem).splitlines()), str(problem)
        assert len(error.problems) == len(str(error).splitlines())


@FUZZ
@example('organization:\n  "\\x1E": null\n')  # a key holding a line break, which it found
@given(mutated_examples())
def test_a_mutated_example_loads_or_is_refused_in_lines(text: str) -> None:
    """Changed values, types and keys anywhere in the example: a config or ConfigError."""
    _loads_or_reports_one_line_problems(text)


@settings(FUZZ, max_examples=500)
# What it found, kept as fixed cases: PyYAML's two-line ReaderError, and a ValueError or
# IndexError from a constructor (an impossible date, an explicit tag on a wrong value).
@example("\x1f")
@example("organization:\n  at: 2026-13-40\n")
@example("!!int ")
@example("!!int people")
@given(st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=4), max_size=40).map("".join))
def test_yaml_ish_text_loads_or_is_refused_in_lines(text: str) -> None:
    """Text built from YAML's syntax (anchors, tags, flow collections, directives, BOMs)."""
    _loads_or_reports_one_line_problems(text)
