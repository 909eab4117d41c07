"""Documentation generated from the scenario schema: the JSON Schema and ``docs/scenarios.md``.

Regenerate the reference after changing a model::

    python -m sim.scenario.docs docs/scenarios.md

``python -m sim.scenario.docs --check docs/scenarios.md`` exits 1 when the file is stale.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import sys
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.files import atomic_write_text
from sim.scenario.schema import Scenario

REGENERATE = "python -m sim.scenario.docs docs/scenarios.md"


# --- JSON Schema ------------------------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario *file*, for editors and other tools.

    It is the schema of :class:`~sim.scenario.schema.Scenario` plus what only files have:
    ``extends`` (then ``name`` and ``plans`` may come from the extended file) and a plan's
    ``based_on``. Cross-field checks (shares summing to 1, a baseline that exists...) are not
    expressible here; ``incentsim validate`` makes them.
    """
    schema = copy.deepcopy(Scenario.model_json_schema())
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "incentsim scenario"
    required = schema.pop("required", [])
    schema["properties"] = {
        "extends": {
            "type": "string",
            "minLength": 1,
            "title": "Extends",
            "description": "Path of a scenario file this one overlays, relative to this file: "
            "mappings merge key by key, lists are replaced whole.",
        },
        **schema["properties"],
    }
    schema["if"] = {"required": ["extends"]}
    schema["then"] = {}
    schema["else"] = {"required": required}
    plan = schema["$defs"]["PlanDesign"]
    plan["properties"]["based_on"] = {
        "type": "string",
        "minLength": 1,
        "title": "Based On",
        "description": "Name of a plan (in this file or the extended one) this plan overlays.",
    }
    return schema


# --- Markdown reference -----------------------------------------------------------------------


def _unwrap_optional(ann: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1 and len(args) < len(typing.get_args(ann)):
            return args[0], True
    return ann, False


def _constraints(metadata: Sequence[Any]) -> str:
    parts: list[str] = []
    for m in metadata:
        if isinstance(m, FieldInfo):
            parts.extend(filter(None, [_constraints(m.metadata)]))
        elif isinstance(m, at.Ge):
            parts.append(f"≥ {m.ge}")
        elif isinstance(m, at.Gt):
            parts.append(f"> {m.gt}")
        elif isinstance(m, at.Le):
            parts.append(f"≤ {m.le}")
        elif isinstance(m, at.Lt):
            parts.append(f"< {m.lt}")
        elif isinstance(m, at.MinLen):
            parts.append(f"at least {m.min_length} item(s)" if m.min_length != 1 else "not empty")
        elif hasattr(m, "pattern") and getattr(m, "pattern", None):
            parts.append(f"matches `{m.pattern}`")
    return ", ".join(parts)


def _type_text(ann: Any, metadata: Sequence[Any] = ()) -> str:
    """A short human type such as ``number ≥ 0``, ``list of [Tier](#tier)`` or ``'a' or 'b'``."""
    ann, optional = _unwrap_optional(ann)
    extra: list[Any] = list(metadata)
    while typing.get_origin(ann) is typing.Annotated:
        args = typing.get_args(ann)
        ann, extra = args[0], [*extra, *args[1:]]
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        text = " or ".join(f"`{v}`" for v in typing.get_args(ann))
    elif origin is list:
        text = f"list of {_type_text(typing.get_args(ann)[0])}"
    elif origin is dict:
        key, value = typing.get_args(ann)
        text = f"mapping of {_type_text(key)} to {_type_text(value)}"
    elif isinstance(ann, type) and issubclass(ann, BaseModel):
        text = f"[{ann.__name__}](#{ann.__name__.lower()})"
    else:
        names = {float: "number", int: "integer", str: "text", bool: "true/false", dt.date: "date (ISO)"}
        text = names.get(ann, str(ann))
    bounds = _constraints(extra)
    if bounds:
        text = f"{text} ({bounds})"
    return f"{text} or null" if optional else text


def _default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True, validated_data={})
    if isinstance(value, BaseModel):
        return "(defaults below)"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        value = int(value)
    return f"`{json.dumps(value)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _models_in_order(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Models reachable from ``root``, depth first in field order (the order of a file)."""
    out: list[type[BaseModel]] = []

    def inner(ann: Any) -> list[type[BaseModel]]:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return [ann]
        return [m for a in typing.get_args(ann) for m in inner(a)]

    def visit(model: type[BaseModel]) -> None:
        if model in out:
            return
        out.append(model)
        for field in model.model_fields.values():
            for child in inner(field.annotation):
                visit(child)

    visit(root)
    return out


def _paths(root: type[BaseModel]) -> dict[type[BaseModel], list[str]]:
    """Where each model appears in a file, e.g. ``company.segments.smb``."""
    found: dict[type[BaseModel], list[str]] = {root: ["(top level)"]}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            ann, _ = _unwrap_optional(field.annotation)
            suffix = ""
            if typing.get_origin(ann) is list:
                ann, suffix = typing.get_args(ann)[0], ".N"
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                path = f"{prefix}{name}{suffix}"
                found.setdefault(ann, []).append(path)
                walk(ann, path + ".")

    walk(root, "")
    return found


INTRO = """\
A scenario is one YAML file: the company (segments, market, headcount), the behaviour
parameters (the uncertainties), the plan designs to compare (the levers), the experiment
settings and the output settings. Check one with `incentsim validate FILE`.

Rules that hold everywhere:

- **Strict keys.** An unknown key is an error that lists the valid keys and suggests the
  closest (`did you mean 'annual_churn'?`).
- **Units in names.** `_usd` is US dollars, `_days`/`_months`/`_years` are durations,
  `annual_` rates are per year. Shares and probabilities are fractions from 0 to 1, never
  percents (`annual_churn: 0.1`, not `10`). Numbers must be finite (no `.nan`, `.inf`).
- **`extends: other.yaml`** (top level) overlays this file on another, relative to this
  file's folder. Mappings merge key by key; lists (such as `plans`) are replaced whole.
  Chains are allowed; cycles are errors.
- **`based_on: <plan name>`** (in a plan) starts the plan from another plan of the same list,
  or of the extended file's plans, and overlays the keys given here (the same merge rules;
  a plan of another name does not inherit the base's `description`). A plan may be based on
  the inherited plan of its own name, to keep it in a replaced plan list.
- **`--set path=value`** on the command line overrides one field after `extends` and
  `based_on`: `--set experiment.seed=7`, `--set plans.conventional.ae.quota.annual_amount=9e5`
  (a plan by name or by index). The value is read as the field's type: text fields keep the
  text as is (`--set name=123`), other fields read it as YAML (`--set
  experiment.precision={nrr: 0.01}`).
- **Plain YAML only.** Files are read with a safe loader: tags that build objects
  (`!!python/...`) or custom tags are errors, as are duplicate keys.

Every problem is reported on one line, `error: <file>: <field.path>: <expected, found>`; see
[cli.md](cli.md). The same schema is printed as JSON Schema by `incentsim schema`.
"""


def markdown() -> str:
    """The scenario reference, generated from the models' fields and docstrings."""
    lines = [
        "# Scenario file reference",
        "",
        f"<!-- Generated from the pydantic models in sim/scenario/ by `{REGENERATE}`;",
        "     do not edit by hand (tests/scenario/test_scenario_docs.py checks it is current). -->",
        "",
        INTRO,
        "## Contents",
        "",
    ]
    models = _models_in_order(Scenario)
    where = _paths(Scenario)
    lines += [f"- [{m.__name__}](#{m.__name__.lower()})" for m in models]
    lines.append("")
    for model in models:
        lines += [f"## {model.__name__}", ""]
        doc = " ".join((model.__doc__ or "").split())
        if doc:
            lines += [doc, ""]
        found = where.get(model, [])
        places = ", ".join(f"`{p}`" for p in found[:3])
        if len(found) > 3:
            places += f" and {len(found) - 3} more"
        if places:
            lines += [f"Appears at: {places}.", ""]
        lines += ["| field | type | default | description |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            lines.append(
                f"| `{name}` | {_cell(_type_text(field.annotation, field.metadata))} "
                f"| {_cell(_default_text(field))} | {_cell(field.description or '')} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or ``--check``) the generated scenario reference."""
    parser = argparse.ArgumentParser(prog="python -m sim.scenario.docs", description=__doc__)
    parser.add_argument("output", nargs="?", default="docs/scenarios.md", help="file to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    args = parser.parse_args(argv)
    text = markdown()
    path = Path(args.output)
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale; regenerate with: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    atomic_write_text(path, text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
