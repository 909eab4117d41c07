"""Fields of a validated scenario named by dotted paths (as ``--set`` writes them).

``uncertainties:`` and ``levers:`` name scenario fields by path (``behaviour.rationality_per_kusd``,
``plans.conventional.ae.components.commission.rates.1.rate``). :func:`resolve_field` walks such a
path through a :class:`~sim.scenario.schema.Scenario` (models by field name, lists by index or by
item name, mappings by key) and says what the field is: its type, its current value, and how to
check a value for it. An unknown step is an error naming the path, with a suggestion.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from sim.problems import unknown

FieldKind = Literal["number", "integer", "choice", "boolean", "text", "list", "mapping", "other"]


@dataclass(frozen=True)
class FieldRef:
    """A field found by :func:`resolve_field`."""

    path: str
    annotation: Any
    """The field's annotation with its constraints (``Annotated[float, Ge(0), Le(1)]``)."""
    value: Any
    """The field's value in the scenario."""

    @property
    def kind(self) -> FieldKind:
        """What sort of value the field holds."""
        base = structural(self.annotation)
        if base is bool:
            return "boolean"
        if base is int:
            return "integer"
        if base is float:
            return "number"
        if typing.get_origin(base) is Literal:
            return "choice"
        if base is str:
            return "text"
        origin = typing.get_origin(base)
        if origin is list:
            return "list"
        if origin is dict or (isinstance(base, type) and issubclass(base, BaseModel)):
            return "mapping"
        return "other"

    @property
    def choices(self) -> tuple[Any, ...]:
        """The allowed values of a ``Literal`` field (empty for other kinds)."""
        base = structural(self.annotation)
        return typing.get_args(base) if typing.get_origin(base) is Literal else ()

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not valid for this field on its own (None when it is)."""
        try:
            _adapter(self.annotation).validate_python(value, strict=False)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            msg = str(err.get("msg", "invalid value")).replace("Input should be ", "expected ")
            return f"{msg}, found {value!r}"
        return None


class PathError(ValueError):
    """A path that does not name a field; ``where`` is the part of the path walked so far."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


@functools.lru_cache(maxsize=256)
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def structural(annotation: Any) -> Any:
    """``annotation`` without Annotated metadata and Optional."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _item_annotation(annotation: Any) -> Any:
    """The annotation of a list's items or a mapping's values."""
    base = structural(annotation)
    args = typing.get_args(base)
    if typing.get_origin(base) is list and args:
        return args[0]
    if typing.get_origin(base) is dict and len(args) == 2:
        return args[1]
    return Any


def resolve_field(root: BaseModel, path: str) -> FieldRef:
    """The field named by dotted ``path`` in ``root`` (a validated Scenario or any model in it).

    Raises :class:`PathError` when a step does not exist (with a suggestion) or passes through
    an unset (null) field.
    """
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise PathError(path, "expected a dotted field path such as behaviour.rationality_per_kusd")
    node: Any = root
    annotation: Any = type(root)
    walked: list[str] = []
    for part in parts:
        here = ".".join([*walked, part])
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            info = fields.get(part)
            if info is None:
                raise PathError(here, unknown(part, list(fields), "key"))
            annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            node = getattr(node, part)
        elif isinstance(node, list):
            index = _list_index(node, part)
            if index is None:
                names = [str(getattr(x, "name", i)) for i, x in enumerate(node)]
                raise PathError(here, unknown(part, names, "item"))
            annotation = _item_annotation(annotation)
            node = node[index]
        elif isinstance(node, dict):
            if part not in node:
                raise PathError(here, unknown(part, [str(k) for k in node], "key"))
            annotation = _item_annotation(annotation)
            node = node[part]
        elif node is None:
            shown = ".".join(walked)
            raise PathError(
                shown, f"{shown} is not set (null) in this scenario; set it before naming a field in it"
            )
        else:
            raise PathError(here, f"{'.'.join(walked)} is a single value; it has no field {part!r}")
        walked.append(part)
    return FieldRef(path, annotation, node)


def _list_index(items: list[Any], part: str) -> int | None:
    """A list item by index (``0``, ``-1``) or by its ``name``."""
    if part.lstrip("-").isdecimal():
        i = int(part)
        return i if -len(items) <= i < len(items) else None
    for i, item in enumerate(items):
        if getattr(item, "name", None) == part:
            return i
    return None
