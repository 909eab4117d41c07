"""Strict YAML reading: safe loading without duplicate keys or aliases that share nodes, size
limits, and every syntax error as one :class:`~sim.problems.Problem` naming file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.files import read_regular_file
from sim.problems import (
    FILE,
    Problem,
    ScenarioError,
    format_path,
)

MAX_BYTES = 10 * 1024 * 1024


class StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects duplicate keys and turns bad scalars into YAML errors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build one node; a scalar PyYAML resolves but Python cannot build is a marked error.

        Examples: ``2026-02-30`` (a timestamp with no such day), an integer of more digits
        than Python converts, ``!!bool maybe`` or ``!!timestamp abc``; PyYAML's constructors
        let those escape as ``ValueError``, ``KeyError``, ``AttributeError``...
        """
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, LookupError, AttributeError, TypeError) as exc:
            text = node.value if isinstance(node, yaml.ScalarNode) else "this node"
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            why = f": {str(exc).split(';')[0]}" if isinstance(exc, ValueError | OverflowError) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {short_repr(text)} as {tag}{why}", node.start_mark
            ) from exc


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: StrictSafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    # Duplicates are checked among the keys written in this mapping, before ``<<`` merge keys
    # are flattened in: a key written next to a merge overrides the merged one, as YAML says.
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from exc
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

MAX_NODES = 1_000_000
"""Largest number of values a document may expand to (aliases counted each time they are used)."""


def _check_size(doc: Any, file: str) -> None:
    """Reject documents whose aliases expand to more values than any scenario needs."""
    budget = MAX_NODES
    stack = [doc]
    while stack:
        item = stack.pop()
        budget -= 1
        if budget < 0:
            raise ScenarioError(
                [
                    Problem(
                        file,
                        FILE,
                        f"document expands to more than {MAX_NODES} values (aliases used too often)",
                    )
                ]
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


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
        doc = yaml.load(text, Loader=StrictSafeLoader)
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(file, exc)]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, FILE, "YAML nested too deeply")]) from None
    _check_size(doc, file)
    return _unshare(doc)


def _unshare(value: Any) -> Any:
    """A copy in which no container appears twice.

    YAML aliases (``*name``) make the loader reuse one object; unsharing keeps a later
    change to one place (a ``--set``, a ``based_on`` merge) from showing up in the other.
    """
    if isinstance(value, dict):
        return {k: _unshare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshare(v) for v in value]
    return value


def read_yaml_mapping(path: Path, label: str | None = None) -> dict[str, Any]:
    """Read a file that must hold one YAML mapping (a regular file of at most ``MAX_BYTES``)."""
    file = label or str(path)
    return parse_mapping_bytes(read_regular_file(path, MAX_BYTES, file, what="a YAML file"), file)


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
            [Problem(file, "(top level)", f"expected a mapping of fields, found {yaml_kind(doc)}")]
        )
    bad = [k for k in doc if not isinstance(k, str)]
    if bad:
        message = f"expected text keys, found {yaml_kind(bad[0])} key {bad[0]!r}"
        raise ScenarioError([Problem(file, format_path([bad[0]]), message)])
    return doc


def yaml_kind(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def short_repr(value: Any) -> str:
    """``repr(value)`` cut to 60 characters (for messages)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
