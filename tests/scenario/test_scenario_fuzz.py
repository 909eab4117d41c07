"""Fuzzing the loader: whatever the input, it returns a Scenario or raises ScenarioError.

Documents are built three ways: shaped like the schema (so validation goes deep, with random
mutations at every level), free nested data using the schema's field names as keys, and
arbitrary text or bytes. Every problem line must follow the error contract.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.scenario import Scenario, ScenarioError, dump_scenario, load_scenario, load_scenario_text
from sim.scenario.load import resolve_raw
from sim.scenario.plans import RolePlan

SCENARIOS = Path(__file__).resolve().parent.parent.parent / "scenarios"

LINE = re.compile(r"^error: (?P<file>[^\n]+?): (?P<path>(?:(?!: ).)+): (?P<message>\S.*)$")
"""``error: <file>: <path>: <message>`` on one line; the path never holds ``": "``."""


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.append(m)
        for f in m.model_fields.values():
            todo.extend(_inner_models(f.annotation))
    return seen


def _inner_models(ann: Any) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for a in typing.get_args(ann) for m in _inner_models(a)]


def _literals(ann: Any) -> list[Any]:
    if typing.get_origin(ann) is typing.Literal:
        return list(typing.get_args(ann))
    return [v for a in typing.get_args(ann) for v in _literals(a)]


MODELS = _models(Scenario)
FIELD_NAMES = sorted({name for m in MODELS for name in m.model_fields})
LITERALS = sorted({str(v) for m in MODELS for f in m.model_fields.values() for v in _literals(f.annotation)})

keys = st.one_of(
    st.sampled_from(FIELD_NAMES),
    st.sampled_from(FIELD_NAMES).map(lambda k: k[:-1] or "x"),  # near-misses for "did you mean"
    st.text(max_size=12),
    st.sampled_from(["extends", "based_on", "name", "<<"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(LITERALS),
    st.sampled_from(["base-company.yaml", "seed-plans.yaml", "missing.yaml", "conventional"]),
)
free_data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=40,
)


def _unwrap(ann: Any) -> Any:
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann
            ann = args[0]
        else:
            return ann


def _leaf(ann: Any) -> st.SearchStrategy[Any]:
    """Mostly plausible values for a scalar field, sometimes anything."""
    lits = _literals(ann)
    base = _unwrap(ann)
    if lits:
        good: st.SearchStrategy[Any] = st.sampled_from(lits)
    elif base is bool:
        good = st.booleans()
    elif base is int:
        good = st.integers(min_value=-2, max_value=50)
    elif base is float:
        good = st.floats(min_value=-0.5, max_value=3.0)
    else:
        good = st.text(max_size=10)
    return st.one_of(good, good, good, scalars)


def shaped(ann: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Data shaped like ``ann`` (a model, list, dict or scalar), with random mutations."""
    base = _unwrap(ann)
    origin = typing.get_origin(base)
    if depth > 6:
        return scalars
    if isinstance(base, type) and issubclass(base, BaseModel):
        fields = {name: shaped(f.annotation, depth + 1) for name, f in base.model_fields.items()}
        known = st.fixed_dictionaries({}, optional=fields)
        extra = st.dictionaries(keys, free_data, max_size=1)
        return st.one_of(
            known,
            known,
            known,
            st.builds(lambda a, b: {**a, **b}, known, extra),
            free_data,
        )
    if origin is list:
        (item,) = typing.get_args(base)
        return st.one_of(st.lists(shaped(item, depth + 1), max_size=3), free_data)
    if origin is dict:
        _, value = typing.get_args(base)
        return st.one_of(
            st.dictionaries(
                st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)),
                shaped(value, depth + 1),
                max_size=4,
            ),
            free_data,
        )
    return _leaf(ann)


REAL = resolve_raw(SCENARIOS / "seed-plans.yaml")
"""A real, valid scenario (resolved); mutating it a little reaches every depth of the tree."""

small_values = st.one_of(
    st.floats(min_value=-1.0, max_value=2.0),
    st.integers(min_value=-3, max_value=3),
    scalars,
    free_data,
)


@st.composite
def mutated_real(draw: st.DrawFn) -> Any:
    """The real scenario with up to three values replaced, keys removed or keys added."""
    data = copy.deepcopy(REAL)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        node: Any = data
        while True:
            if isinstance(node, dict) and node:
                key: Any = draw(st.sampled_from(sorted(node)))
            elif isinstance(node, list) and node:
                key = draw(st.integers(min_value=0, max_value=len(node) - 1))
            else:
                break
            child = node[key]
            if isinstance(child, dict | list) and draw(st.integers(0, 4)) > 0:
                node = child
                continue
            action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
            if action == "replace":
                node[key] = draw(small_values)
            elif action == "delete":
                del node[key]
            elif isinstance(node, dict):
                node[draw(keys)] = draw(small_values)
            else:
                node.append(draw(small_values))
            break
    return data


plan_names = st.sampled_from(["conventional", "a", "b", "conventional"])
documents = st.one_of(
    mutated_real(),
    shaped(Scenario),
    # Scenarios that extend a real file and base plans on its plans.
    st.builds(
        lambda doc, plans: {
            "extends": "base-company.yaml",
            **(doc if isinstance(doc, dict) else {}),
            "plans": plans,
        },
        shaped(Scenario),
        st.lists(
            st.fixed_dictionaries(
                {"name": plan_names}, optional={"based_on": plan_names, "ae": shaped(RolePlan)}
            ),
            max_size=3,
        ),
    ),
    st.dictionaries(keys, free_data, max_size=8),
    free_data,
)


def _check(call: typing.Callable[[], Scenario]) -> Scenario | None:
    try:
        scenario = call()
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            line = problem.line()
            assert "\n" not in line
            match = LINE.match(line)
            assert match is not None, line
            assert ": " not in problem.path, problem.path
        return None
    assert isinstance(scenario, Scenario)
    return scenario


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_documents_validate_or_raise_scenario_error(doc: Any) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    scenario = _check(lambda: load_scenario_text(text, name="<fuzz>", base_dir=SCENARIOS))
    if scenario is not None:
        # A valid scenario survives its own dump (what a results folder records).
        assert load_scenario_text(dump_scenario(scenario), name="<dump>") == scenario


@given(st.text(max_size=300))
def test_random_text_validates_or_raises(text: str) -> None:
    _check(lambda: load_scenario_text(text, name="<fuzz>", base_dir=SCENARIOS))


TRICKY_SCALARS = [
    "2026-02-30",
    "2026-13-01",
    "2026-01-01 25:00:00",
    "9" * 5000,
    "0x1F",
    "0o17",
    "1_000",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "~",
    "yes",
    "on",
    "!!binary x",
    "!!float abc",
    "!!int abc",
    "!!timestamp abc",
    "!!bool maybe",
    "!!str 1",
    "!!python/tuple [1]",
    "!!set {a}",
    "!!omap [a]",
    "!x y",
    "&a 1",
    "*a",
    "*undefined",
    "[1, 2",
    "{a: 1}",
    "'x'",
    '"\\x00"',
    "|",
    ">-",
    "",
    "- a",
    "<<: 1",
]
yaml_lines = st.tuples(
    st.sampled_from(["", "  ", "    ", "- ", "  - "]),
    st.one_of(st.sampled_from(FIELD_NAMES), st.sampled_from(["extends", "based_on", "<<", "? a"])),
    st.sampled_from(TRICKY_SCALARS),
).map(lambda t: f"{t[0]}{t[1]}: {t[2]}\n")
yaml_fragments = st.one_of(
    st.lists(yaml_lines, max_size=12).map("".join),
    st.lists(
        st.sampled_from(
            [
                "name: x\n",
                "plans:\n",
                "  - name: a\n",
                "    based_on: conventional\n",
                "extends: base-company.yaml\n",
                "company: {reps: {headcount: 3}}\n",
                "- ",
                "  ",
                ": ",
                "&a ",
                "*a ",
                "!!python/tuple ",
                "!!set ",
                "!x ",
                "<<: ",
                "{",
                "}",
                "[",
                "]",
                ", ",
                "'",
                '"',
                "#",
                "\t",
                "---\n",
                "...\n",
                "? ",
                "|\n",
                "\n",
                *TRICKY_SCALARS,
            ]
        ),
        max_size=25,
    ).map("".join),
)


@given(yaml_fragments)
def test_yaml_like_text_validates_or_raises(text: str) -> None:
    _check(lambda: load_scenario_text(text, name="<fuzz>", base_dir=SCENARIOS))


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@given(data=st.binary(max_size=200))
def test_random_bytes_in_a_file_validate_or_raise(data: bytes, fuzz_dir: Path) -> None:
    path = fuzz_dir / "case.yaml"
    path.write_bytes(data)
    _check(lambda: load_scenario(path))


@given(
    overrides=st.dictionaries(
        st.lists(
            st.one_of(st.sampled_from(FIELD_NAMES), st.sampled_from(["0", "-1", "9", "conventional"])),
            min_size=1,
            max_size=5,
        ).map(".".join),
        st.one_of(
            st.text(max_size=12), st.sampled_from(["[1, 2]", "{a: 1}", "0.5", "-3", "null", "[", "!!x"])
        ),
        max_size=3,
    )
)
def test_random_overrides_validate_or_raise(overrides: dict[str, str]) -> None:
    items = [f"{k}={v}" for k, v in overrides.items()]
    _check(lambda: load_scenario(SCENARIOS / "seed-plans.yaml", items))


def test_fuzz_inputs_reach_deep_fields() -> None:
    """The shaped strategy produces documents that fail (or pass) deep in the tree, not only at the top."""
    depths: list[int] = []

    @settings(
        max_examples=120,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(shaped(Scenario))
    def collect(doc: Any) -> None:
        try:
            load_scenario_text(yaml.safe_dump(doc), name="<fuzz>")
        except ScenarioError as exc:
            depths.extend(p.path.count(".") for p in exc.problems)

    collect()
    assert max(depths) >= 4
