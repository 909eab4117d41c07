"""``--set path=value`` overrides: parsed, typed by walking the scenario schema to the field they
name, and applied to raw scenario data (an unknown step is an error naming the path)."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from sim.problems import (
    Problem,
    ScenarioError,
    format_path,
    path_part,
    split_path,
    unknown,
)
from sim.scenario.paths import structural
from sim.scenario.schema import Scenario
from sim.scenario.yamlfile import StrictSafeLoader


def _child(annotation: Any, key: str | int) -> Any:
    """The annotation one step down from ``annotation`` by ``key``, or ``_MISSING``."""
    ann = structural(annotation)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        field = ann.model_fields.get(str(key))
        return structural(field.annotation) if field is not None else _MISSING
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is list and args:
        return structural(args[0])
    if origin is dict and len(args) == 2:
        return structural(args[1])
    return _MISSING


_MISSING = object()


def model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    ann: Any = Scenario
    for part in loc:
        ann = _child(ann, part)
        if ann is _MISSING:
            return None
    ann = structural(ann)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def parse_set(items: Iterable[str], source: str = "--set") -> dict[str, str]:
    """Split ``path.to.field=value`` strings; values stay text until typed by the schema."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            shown = item if ": " not in item and item.isprintable() else path_part(item)
            raise ScenarioError([Problem(source, shown, "expected path.to.field=value, found no '='")])
        key, value = item.split("=", 1)
        key = key.strip()
        if not key:
            raise ScenarioError([Problem(source, "(empty)", "expected a field path before '='")])
        out[key] = value
    return out


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A validated copy of ``scenario`` with dotted-path overrides applied (as ``--set``)."""
    data = scenario.model_dump(mode="json")
    apply_overrides(data, overrides, source="<overrides>")
    return Scenario.model_validate(data)


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], source: str) -> None:
    """Set dotted paths in raw scenario data, typing text values by the schema.

    A list of named items (plans, components) may be addressed by index or by name, as error
    lines print them: ``plans.upfront.ae.quota.annual_amount=900000`` or
    ``plans[upfront].ae.components[commission].rates.0.rate=0.08``.
    """
    for dotted, value in overrides.items():
        parts = split_path(dotted)
        node: Any = data
        ann: Any = Scenario
        walked: list[str] = []
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            here = format_path([*walked, part])
            key: str | int = part
            if isinstance(node, list):
                idx = _list_index(node, part)
                if idx is None:
                    names = [str(x.get("name")) for x in node if isinstance(x, dict)]
                    raise ScenarioError([Problem(source, here, unknown(part, names, "item"))])
                key = idx
            next_ann = _child(ann, key)
            if next_ann is _MISSING:
                model = structural(ann)
                valid = (
                    list(model.model_fields)
                    if isinstance(model, type) and issubclass(model, BaseModel)
                    else []
                )
                raise ScenarioError([Problem(source, here, unknown(part, valid))])
            if last:
                node[key] = _typed(value, next_ann)
            else:
                current = node.get(key) if isinstance(node, dict) else node[key]
                if not isinstance(current, dict | list):
                    # Missing or not a container: start an empty one of the kind the schema wants.
                    is_list = typing.get_origin(structural(next_ann)) is list
                    node[key] = [] if is_list else {}
                node = node[key]
            ann = next_ann
            walked.append(str(key) if isinstance(key, int) else part)


def _list_index(items: list[Any], part: str) -> int | None:
    if part.lstrip("-").isdecimal():
        i = int(part)
        return i if -len(items) <= i < len(items) else None
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    return None


def _typed(value: Any, annotation: Any) -> Any:
    """Interpret a ``--set`` text value the way the target field needs it."""
    if not isinstance(value, str):
        return value
    ann = structural(annotation)
    if ann is str:
        return value
    if not value.strip():
        return value
    try:
        return yaml.load(value, Loader=StrictSafeLoader)
    except (yaml.YAMLError, RecursionError):
        # Not YAML: keep the text and let validation say what the field expected.
        return value
