"""Reading scenario files: strict YAML, ``extends``, ``based_on`` plans, ``--set`` overrides.

Every failure becomes a :class:`~sim.scenario.errors.ScenarioError` whose problems name
the file and the field path; nothing else escapes from :func:`load_scenario`.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.schema import PATH_MARK, Scenario

FILE = "(file)"
"""Path slot used for problems with the file itself rather than a field."""

MAX_BYTES = 10 * 1024 * 1024


class _StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also rejects duplicate keys (a silent-overwrite trap)."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        try:
            hash(key)
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found an unhashable key", key_node.start_mark,
            ) from exc
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark,
            )
        seen[key] = True
    return loader.construct_mapping(node, deep=True)


_StrictSafeLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _yaml_problem(file: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(yaml)"
    problem = getattr(exc, "problem", None) or str(exc)
    if "could not determine a constructor for the tag" in str(problem):
        tag = str(problem).split("tag", 1)[1].strip().strip("'")
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        message = f"YAML tag {tag} is not allowed; expected plain YAML data (no object tags)"
    else:
        context = getattr(exc, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return Problem(file, where, " ".join(message.split()))


def parse_yaml_text(text: str, file: str) -> Any:
    """Parse one YAML document with the strict safe loader."""
    try:
        return yaml.load(text, Loader=_StrictSafeLoader)
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(file, exc)]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, FILE, "YAML nested too deeply")]) from None


def read_yaml_mapping(path: Path, label: str | None = None) -> dict[str, Any]:
    """Read a file that must hold one YAML mapping."""
    file = label or str(path)
    try:
        if path.is_dir():
            raise ScenarioError([Problem(file, FILE, "expected a YAML file, found a directory")])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(file, FILE, "file not found")]) from None
    except PermissionError:
        raise ScenarioError([Problem(file, FILE, "file is not readable (permission denied)")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file, FILE, f"file cannot be read: {exc.strerror}")]) from None
    return parse_mapping_bytes(data, file)


def parse_mapping_bytes(data: bytes, file: str) -> dict[str, Any]:
    """Decode and parse bytes that must hold one YAML mapping."""
    if len(data) > MAX_BYTES:
        raise ScenarioError([Problem(file, FILE, f"file is larger than {MAX_BYTES} bytes")])
    if b"\x00" in data:
        raise ScenarioError([Problem(file, FILE, "expected YAML text, found binary data")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(file, FILE, f"expected UTF-8 YAML text, found undecodable byte at {exc.start}")]
        ) from None
    return parse_mapping_text(text, file)


def parse_mapping_text(text: str, file: str) -> dict[str, Any]:
    """Parse text that must hold one YAML mapping."""
    if not text.strip():
        raise ScenarioError([Problem(file, FILE, "file is empty; expected a YAML mapping")])
    doc = parse_yaml_text(text, file)
    if doc is None:
        raise ScenarioError([Problem(file, FILE, "document is empty; expected a YAML mapping")])
    if not isinstance(doc, dict):
        raise ScenarioError(
            [Problem(file, "(top level)", f"expected a mapping of fields, found {_kind(doc)}")]
        )
    bad = [k for k in doc if not isinstance(k, str)]
    if bad:
        raise ScenarioError(
            [Problem(file, str(bad[0]), f"expected text keys, found {_kind(bad[0])} key {bad[0]!r}")]
        )
    return doc


def _kind(value: Any) -> str:
    return {
        dict: "a mapping", list: "a list", str: "text", int: "an integer", float: "a number",
        bool: "a boolean", type(None): "null",
    }.get(type(value), type(value).__name__)


def deep_merge(base: Any, overlay: Any) -> Any:
    """Overlay ``overlay`` on ``base``: mappings merge recursively, everything else replaces."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for k, v in overlay.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(overlay)


def _resolve_file(path: Path, label: str, stack: tuple[Path, ...]) -> dict[str, Any]:
    raw = read_yaml_mapping(path, label)
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        merged, library = raw, []
    else:
        if not isinstance(parent_ref, str) or not parent_ref.strip():
            raise ScenarioError(
                [Problem(label, "extends", f"expected a relative file path, found {_kind(parent_ref)}")]
            )
        parent_path = (path.parent / parent_ref).resolve()
        if parent_path in stack or parent_path == path.resolve():
            chain = " -> ".join(p.name for p in (*stack, parent_path))
            raise ScenarioError([Problem(label, "extends", f"cycle in extends: {chain}")])
        if not parent_path.exists():
            raise ScenarioError(
                [Problem(label, "extends", f"expected an existing file, {parent_ref!r} not found")]
            )
        parent = _resolve_file(parent_path, str(parent_path.name), (*stack, path.resolve()))
        library = parent.get("plans") if isinstance(parent.get("plans"), list) else []
        merged = deep_merge(parent, raw)
    if isinstance(merged.get("plans"), list):
        merged["plans"] = _resolve_based_on(merged["plans"], library, label)
    return merged


def _resolve_based_on(plans: list[Any], library: list[Any], file: str) -> list[Any]:
    """Expand ``based_on: <plan name>`` by overlaying the plan on the named one."""
    def by_name(items: list[Any]) -> dict[str, Any]:
        return {p["name"]: p for p in items if isinstance(p, dict) and isinstance(p.get("name"), str)}

    local, inherited = by_name(plans), by_name(library)

    def expand(i: int, plan: Any, seen: tuple[str, ...]) -> Any:
        if not isinstance(plan, dict) or "based_on" not in plan:
            return plan
        ref = plan["based_on"]
        where = f"plans.{i}.based_on"
        if not isinstance(ref, str):
            raise ScenarioError([Problem(file, where, f"expected a plan name, found {_kind(ref)}")])
        if ref in local and local[ref] is not plan:
            if ref in seen:
                chain = " -> ".join((*seen, ref))
                raise ScenarioError([Problem(file, where, f"cycle in based_on: {chain}")])
            parent = expand(i, local[ref], (*seen, ref))
        elif ref in inherited:
            # Plans of the extended file are already resolved.
            parent = inherited[ref]
        else:
            known = sorted(set(local) | set(inherited))
            raise ScenarioError([Problem(file, where, _unknown(ref, known, "plan"))])
        child = {k: v for k, v in plan.items() if k != "based_on"}
        return deep_merge({k: v for k, v in parent.items() if k != "description"}, child)

    out = []
    for i, p in enumerate(plans):
        name = p.get("name") if isinstance(p, dict) else None
        out.append(expand(i, p, (name,) if isinstance(name, str) else ()))
    return out


def _unknown(found: str, valid: Iterable[str], what: str = "key") -> str:
    valid = list(valid)
    close = difflib.get_close_matches(str(found), valid, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {found!r}{hint} valid {what}s: {', '.join(valid)}"


# --- walking the schema (for --set typing and for listing valid keys) ---------------------

def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional so the structural type remains."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _child(annotation: Any, key: str | int) -> Any:
    """The annotation one step down from ``annotation`` by ``key``, or ``_MISSING``."""
    ann = _unwrap(annotation)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        field = ann.model_fields.get(str(key))
        return _unwrap(field.annotation) if field is not None else _MISSING
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is list and args:
        return _unwrap(args[0])
    if origin is dict and len(args) == 2:
        return _unwrap(args[1])
    return _MISSING


_MISSING = object()


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    ann: Any = Scenario
    for part in loc:
        ann = _child(ann, part)
        if ann is _MISSING:
            return None
    ann = _unwrap(ann)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


# --- --set overrides ------------------------------------------------------------------------

def parse_set(items: Iterable[str], source: str = "--set") -> dict[str, str]:
    """Split ``path.to.field=value`` strings; values stay text until typed by the schema."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(
                [Problem(source, item, "expected path.to.field=value, found no '='")]
            )
        key, value = item.split("=", 1)
        key = key.strip()
        if not key:
            raise ScenarioError([Problem(source, "(empty)", "expected a field path before '='")])
        out[key] = value
    return out


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], source: str) -> None:
    """Set dotted paths in raw scenario data, typing text values by the schema.

    A list of named items (plans) may be addressed by index or by name:
    ``plans.upfront.ae.quota.annual_amount=900000``.
    """
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = data
        ann: Any = Scenario
        walked: list[str] = []
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            here = ".".join([*walked, part])
            key: str | int = part
            if isinstance(node, list):
                idx = _list_index(node, part)
                if idx is None:
                    names = [str(x.get("name")) for x in node if isinstance(x, dict)]
                    raise ScenarioError([Problem(source, here, _unknown(part, names, "item"))])
                key = idx
            next_ann = _child(ann, key)
            if next_ann is _MISSING:
                model = _unwrap(ann)
                valid = list(model.model_fields) if isinstance(model, type) and issubclass(
                    model, BaseModel) else []
                raise ScenarioError([Problem(source, here, _unknown(part, valid))])
            if last:
                node[key] = _typed(value, next_ann)
            else:
                if isinstance(node, dict) and not isinstance(node.get(key), dict | list):
                    node[key] = {}
                node = node[key]
            ann = next_ann
            walked.append(str(key) if isinstance(key, int) else part)


def _list_index(items: list[Any], part: str) -> int | None:
    if part.lstrip("-").isdigit():
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
    ann = _unwrap(annotation)
    if ann is str:
        return value
    try:
        return yaml.safe_load(value) if value.strip() else value
    except yaml.YAMLError:
        return value


# --- pydantic errors -> problems --------------------------------------------------------------

def _is_internal(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def validation_problems(exc: ValidationError, file: str) -> list[Problem]:
    """Turn a pydantic ValidationError into one problem per field path."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not _is_internal(p))
        msg = str(err.get("msg", ""))
        etype = err.get("type", "")
        path = ".".join(str(p) for p in loc) or "(top level)"
        if etype == "extra_forbidden":
            model = _model_at(loc[:-1])
            valid = list(model.model_fields) if model else []
            message = _unknown(str(loc[-1]), valid)
        elif etype == "missing":
            message = "required field is missing"
        else:
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            if msg.startswith(PATH_MARK) and ": " in msg:
                marked, msg = msg[len(PATH_MARK):].split(": ", 1)
                path = ".".join([*(str(p) for p in loc), marked])
            msg = msg.replace("Input should be ", "expected ")
            message = msg
            if "input" in err and not isinstance(err["input"], dict | list) and etype not in (
                "value_error", "assertion_error"):
                message = f"{msg}, found {_short(err['input'])}"
        if path in seen:
            continue
        seen.add(path)
        problems.append(Problem(file, path, message))
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- public entry points ------------------------------------------------------------------------

def resolve_raw(path: str | Path) -> dict[str, Any]:
    """The raw scenario mapping after ``extends`` and ``based_on``, before validation."""
    p = Path(path)
    return _resolve_file(p, str(path), ())


def validate_data(data: dict[str, Any], file: str) -> Scenario:
    """Validate raw data into a Scenario, raising ScenarioError with field paths."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, file)) from None
    except RecursionError:
        raise ScenarioError([Problem(file, FILE, "data nested too deeply")]) from None


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Load, resolve and validate a scenario file.

    ``overrides`` is a mapping of dotted paths to values, or ``path=value`` strings as given
    to ``--set``.
    """
    data = resolve_raw(path)
    _apply(data, overrides, str(path))
    return validate_data(data, str(path))


def load_scenario_text(
    text: str,
    name: str = "<string>",
    base_dir: str | Path | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Load a scenario from YAML text; ``extends`` is resolved relative to ``base_dir``."""
    data = parse_mapping_text(text, name)
    if "extends" in data:
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
        tmp = folder / "<inline>"
        parent_ref = data.pop("extends")
        if not isinstance(parent_ref, str):
            raise ScenarioError([Problem(name, "extends", "expected a relative file path")])
        parent_path = (tmp.parent / parent_ref).resolve()
        parent = _resolve_file(parent_path, str(parent_ref), ())
        library = parent.get("plans") if isinstance(parent.get("plans"), list) else []
        data = deep_merge(parent, data)
        if isinstance(data.get("plans"), list):
            data["plans"] = _resolve_based_on(data["plans"], library, name)
    elif isinstance(data.get("plans"), list):
        data["plans"] = _resolve_based_on(data["plans"], [], name)
    _apply(data, overrides, name)
    return validate_data(data, name)


def _apply(
    data: dict[str, Any], overrides: Mapping[str, Any] | Iterable[str] | None, file: str
) -> None:
    if not overrides:
        return
    mapping = overrides if isinstance(overrides, Mapping) else parse_set(overrides)
    apply_overrides(data, mapping, "--set")


def dump_scenario(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML (what a results folder records)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
