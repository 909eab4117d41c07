"""Reading scenario files: strict YAML, ``extends``, ``based_on`` plans, ``--set`` overrides.

Every failure becomes a :class:`~sim.problems.ScenarioError` whose problems name
the file and the field path; nothing else escapes from :func:`load_scenario`.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.files import read_regular_file
from sim.problems import (
    FILE,
    PATH_MARK,
    Problem,
    ScenarioError,
    format_path,
    named_path,
    split_path,
    unknown,
)
from sim.scenario.overrides import apply_overrides, model_at, parse_set
from sim.scenario.schema import Scenario
from sim.scenario.yamlfile import (
    MAX_BYTES,
    StrictSafeLoader,
    parse_mapping_bytes,
    parse_mapping_text,
    read_yaml_mapping,
    short_repr,
    yaml_kind,
)


def deep_merge(base: Any, overlay: Any) -> Any:
    """Overlay ``overlay`` on ``base``: mappings merge recursively, everything else replaces.

    The result shares no containers with either input, so changing one merged plan (for
    example with ``--set``) never changes another plan based on the same one.
    """
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = {k: deep_merge(v, overlay[k]) if k in overlay else copy.deepcopy(v) for k, v in base.items()}
        for k, v in overlay.items():
            if k not in base:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(overlay)


def _resolve_file(path: Path, label: str, stack: tuple[Path, ...]) -> dict[str, Any]:
    """Read ``path`` and resolve its ``extends`` chain; ``stack`` holds the files extending it."""
    raw = read_yaml_mapping(path, label)
    return _resolve_mapping(raw, label, path.parent, (*stack, path.resolve()))


def _resolve_mapping(
    raw: dict[str, Any], label: str, folder: Path, stack: tuple[Path, ...], label_dir: str | None = None
) -> dict[str, Any]:
    """Overlay ``raw`` on the file it ``extends`` (relative to ``folder``) and expand ``based_on``.

    ``label_dir`` is how ``folder`` is spelled in error lines (by default, ``label``'s folder).
    """
    parent_ref = raw.pop("extends", None)
    library: list[Any] = []
    if parent_ref is None:
        merged = raw
    else:
        if not isinstance(parent_ref, str) or not parent_ref.strip() or "\0" in parent_ref:
            found = yaml_kind(parent_ref) if not isinstance(parent_ref, str) else "empty text"
            if isinstance(parent_ref, str) and "\0" in parent_ref:
                found = "text with a NUL character"  # no file system takes one in a path
            raise ScenarioError([Problem(label, "extends", f"expected a relative file path, found {found}")])
        parent_path = (folder / parent_ref).resolve()
        if parent_path in stack:
            chain = " -> ".join(p.name for p in (*stack, parent_path))
            raise ScenarioError([Problem(label, "extends", f"cycle in extends: {chain}")])
        if not parent_path.exists():
            raise ScenarioError(
                [Problem(label, "extends", _extends_not_found(parent_ref, parent_path, folder))]
            )
        if parent_path.is_dir():
            raise ScenarioError(
                [Problem(label, "extends", f"expected a YAML file, {parent_ref!r} is a directory")]
            )
        shown_dir = os.path.dirname(label) if label_dir is None else label_dir
        parent_label = os.path.normpath(os.path.join(shown_dir, parent_ref))
        parent = _resolve_parent(parent_path, parent_label, label, stack)
        plans = parent.get("plans")
        library = plans if isinstance(plans, list) else []
        merged = deep_merge(parent, raw)
    if isinstance(merged.get("plans"), list):
        merged["plans"] = _resolve_based_on(merged["plans"], library, label)
    return merged


def _extends_not_found(ref: str, looked: Path, folder: Path) -> str:
    """Where a missing ``extends`` file was looked for and, when a shipped scenario of that name
    exists (in ``scenarios/`` of the current folder or of the repository holding incentsim), the
    path that would reach it from the extending file's folder."""
    shown = os.path.relpath(looked)
    shown = str(looked) if shown.startswith("..") else shown
    message = (
        f"expected an existing file, {ref!r} not found (looked for {shown}; extends is read "
        "relative to the folder of the file that has it)"
    )
    repo = Path(__file__).resolve().parents[2]
    for candidate in (Path.cwd() / "scenarios" / Path(ref).name, repo / "scenarios" / Path(ref).name):
        if candidate.is_file():
            rel = os.path.relpath(candidate.resolve(), folder.resolve())
            return message + f"; did you mean extends: {rel} (or a copy of that file beside this one)?"
    return message


def _not_a_scenario(parent_label: str, where: str, label: str, why: str) -> ScenarioError:
    return ScenarioError(
        [Problem(parent_label, where, f"is not an incentsim scenario (extended by {label}): {why}")]
    )


_TOP_LEVEL_KEYS = frozenset({*Scenario.model_fields, "extends"})


def _foreign_key_at(text: str) -> str:
    """Where the first top-level key that is not a scenario field is (``line L, column C``)."""
    try:
        node = yaml.compose(text, Loader=StrictSafeLoader)
    except (yaml.YAMLError, RecursionError):
        return "(top level)"
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if not (isinstance(key, yaml.ScalarNode) and key.value in _TOP_LEVEL_KEYS):
                return f"line {key.start_mark.line + 1}, column {key.start_mark.column + 1}"
    return "(top level)"


def _resolve_parent(path: Path, parent_label: str, label: str, stack: tuple[Path, ...]) -> dict[str, Any]:
    """Read and resolve an extended file.

    A file that cannot be read as a scenario (not a regular file, too large, binary, not YAML,
    not a mapping, top-level keys that are not scenario fields) gets one line naming that file,
    where the first problem is and "is not an incentsim scenario"; its content is never shown (it
    may be any file on the machine: no key, value or YAML snippet of it is quoted). Once it
    looks like a scenario, problems inside it are reported as usual.
    """
    try:
        data = read_regular_file(path, MAX_BYTES, parent_label, what="a YAML file")
        raw = parse_mapping_bytes(data, parent_label)
    except ScenarioError as exc:
        first = exc.problems[0]
        if first.path in (FILE, "(top level)"):  # these messages name kinds, never content
            raise _not_a_scenario(parent_label, first.path, label, first.message) from None
        if first.path.startswith("line "):
            raise _not_a_scenario(
                parent_label, first.path, label, "invalid YAML (validate that file alone for the details)"
            ) from None
        raise _not_a_scenario(parent_label, "(top level)", label, "a top-level key is not text") from None
    foreign = [k for k in raw if k not in _TOP_LEVEL_KEYS]
    if foreign:
        where = _foreign_key_at(data.decode("utf-8-sig", errors="replace"))
        why = (
            f"{len(foreign)} top-level key(s) are not scenario fields; expected "
            f"{', '.join(sorted(_TOP_LEVEL_KEYS))}"
        )
        raise _not_a_scenario(parent_label, where, label, why)
    return _resolve_mapping(raw, parent_label, path.parent, (*stack, path.resolve()))


def _resolve_based_on(plans: list[Any], library: list[Any], file: str) -> list[Any]:
    """Expand ``based_on: <plan name>`` by overlaying the plan on the named one.

    The name is looked up among the other plans of this list first, then among the (already
    resolved) plans of the extended file; a plan based on its own name uses the inherited one.
    """
    local: dict[str, int] = {}
    for i, p in enumerate(plans):
        if isinstance(p, dict) and isinstance(p.get("name"), str):
            local.setdefault(p["name"], i)
    inherited = {p["name"]: p for p in library if isinstance(p, dict) and isinstance(p.get("name"), str)}
    done: dict[int, Any] = {}

    def expand(i: int, seen: tuple[int, ...]) -> Any:
        if i in done:
            return done[i]
        plan = plans[i]
        if not isinstance(plan, dict) or "based_on" not in plan:
            return plan
        ref = plan["based_on"]
        where = named_path(["plans", i, "based_on"], {"plans": plans})
        if not isinstance(ref, str):
            raise ScenarioError([Problem(file, where, f"expected a plan name, found {yaml_kind(ref)}")])
        j = local.get(ref)
        if j is not None and j != i:
            if j in seen:
                chain = " -> ".join(str(plans[k].get("name")) for k in (*seen, j))
                raise ScenarioError([Problem(file, where, f"cycle in based_on: {chain}")])
            parent = expand(j, (*seen, j))
        elif ref in inherited:
            parent = inherited[ref]
        else:
            known = sorted(set(local) | set(inherited))
            raise ScenarioError([Problem(file, where, unknown(ref, known, "plan"))])
        child = {k: v for k, v in plan.items() if k != "based_on"}
        # A variant does not inherit its base's description; the same plan re-listed does.
        same = isinstance(parent, dict) and parent.get("name") == plan.get("name")
        base = {}
        if isinstance(parent, dict):
            base = {k: v for k, v in parent.items() if same or k != "description"}
        done[i] = deep_merge(base, child)
        return done[i]

    return [expand(i, (i,)) for i in range(len(plans))]


def _data_loc(err: Any) -> tuple[Any, ...]:
    """The error location in the data: pydantic appends ``'[key]'`` when a dict key is invalid."""
    loc = tuple(err["loc"])
    if loc and loc[-1] == "[key]" and err.get("type") != "extra_forbidden":
        loc = loc[:-1]
    return loc


def validation_problems(exc: ValidationError, file: str, data: Any = None) -> list[Problem]:
    """Turn a pydantic ValidationError into one problem per field path (items of ``data``'s lists
    that have a name are named: ``plans[one-step-deeper].ae.components[commission].rates``)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = _data_loc(err)
        path = format_path(loc) or "(top level)"
        path, message = _describe(err, loc, path)
        if data is not None and path != "(top level)":
            path = named_path(split_path(path), data)
        if path in seen:
            continue
        seen.add(path)
        problems.append(Problem(file, path, message))
    return problems


def _describe(err: Any, loc: tuple[Any, ...], path: str) -> tuple[str, str]:
    """The field path and the ``expected ..., found ...`` message of one pydantic error."""
    msg = str(err.get("msg", ""))
    etype = err.get("type", "")
    ctx = err.get("ctx") or {}
    if etype == "extra_forbidden":
        model = model_at(loc[:-1])
        valid = list(model.model_fields) if model else []
        return path, unknown(str(loc[-1]), valid)
    if etype == "missing":
        return path, "required field is missing"
    if etype in ("too_short", "too_long") and "actual_length" in ctx:
        bound = ctx.get("min_length") if etype == "too_short" else ctx.get("max_length")
        word = "at least" if etype == "too_short" else "at most"
        return path, f"expected {word} {bound} item(s), found {ctx['actual_length']}"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if msg.startswith(PATH_MARK) and ": " in msg:
        marked, msg = msg[len(PATH_MARK) :].split(": ", 1)
        path = ".".join([format_path(loc), marked]) if loc else marked
    msg = msg.replace("Input should be ", "expected ").replace("String should have ", "expected ")
    if etype in ("value_error", "assertion_error") or "input" not in err:
        return path, msg
    value = err["input"]
    found = yaml_kind(value) if isinstance(value, dict | list) else short_repr(value)
    message = f"{msg}, found {found}"
    if etype == "literal_error" and isinstance(value, str):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    return path, message


def resolve_raw(path: str | Path) -> dict[str, Any]:
    """The raw scenario mapping after ``extends`` and ``based_on``, before validation."""
    p = Path(path)
    return _resolve_file(p, str(path), ())


def validate_data(data: dict[str, Any], file: str) -> Scenario:
    """Validate raw data into a Scenario, raising ScenarioError with field paths."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, file, data)) from None
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
    """Load a scenario from YAML text; ``extends`` is resolved relative to ``base_dir``.

    ``name`` is the label used in error lines; ``base_dir`` defaults to the current folder.
    """
    data = parse_mapping_text(text, name)
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    data = _resolve_mapping(data, name, folder, (), label_dir=str(base_dir or ""))
    _apply(data, overrides, name)
    return validate_data(data, name)


def _apply(data: dict[str, Any], overrides: Mapping[str, Any] | Iterable[str] | None, file: str) -> None:
    if not overrides:
        return
    mapping = overrides if isinstance(overrides, Mapping) else parse_set(overrides)
    apply_overrides(data, mapping, "--set")


def dump_scenario(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML (what a results folder records)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
