"""Levers: the fields of one plan that ``incentsim optimise`` may set, and how they are linked.

::

    levers:
      plan: conventional              # candidates are copies of this plan with the levers set
      fields:                         # paths inside the plan, as --set writes them after plans.<name>.
        ae.components.commission.rates.0.rate: {low: 0.05, high: 0.14}
        ae.components.commission.rates.1.rate: {low: 0.08, high: 0.30}
        ae.components.commission.pays: {choices: [on_booking, after_success]}
        ae.components.commission.clawback.window_days: {low: 90, high: 540, integer: true}
      constraints:
        - ae.components.commission.rates.1.rate >= ae.components.commission.rates.0.rate

A lever is a range (``low``..``high``; ``integer`` for whole numbers, ``step`` for a grid, ``log``
to search the order of magnitude) or a list of ``choices``. A constraint is ``A >= B`` or
``A <= B`` where each side is a field path of the plan (a lever or a fixed field) or a number;
a candidate that breaks one, or whose plan is not valid (tiers that stop increasing), is
infeasible and never simulated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from sim.problems import PATH_MARK, path_part
from sim.scenario.base import Positive, StrictModel
from sim.scenario.paths import PathError, resolve_field

if TYPE_CHECKING:
    from sim.scenario.plans import PlanDesign

Choice = str | int | float | bool


class Lever(StrictModel):
    """The values one plan field may take."""

    low: float | None = None
    """Smallest value of a range."""
    high: float | None = None
    """Largest value of a range."""
    integer: bool = False
    """Whole numbers only (implied for an integer field)."""
    step: Positive | None = None
    """Search a grid low, low + step, ... (high must lie on it)."""
    log: bool = False
    """Search the logarithm (low > 0): for a value whose order of magnitude is open."""
    choices: list[Choice] | None = None
    """The values to choose from, instead of a range (e.g. [on_booking, after_success])."""

    @model_validator(mode="after")
    def _shape(self) -> Lever:
        if self.choices is not None:
            if self.low is not None or self.high is not None:
                raise ValueError(f"{PATH_MARK}choices: give either choices or low/high, not both")
            if len(self.choices) < 2:
                raise ValueError(
                    f"{PATH_MARK}choices: expected at least two choices, found {len(self.choices)}"
                )
            if len({repr(c) for c in self.choices}) != len(self.choices):
                raise ValueError(f"{PATH_MARK}choices: each choice may be listed once")
            return self
        if self.low is None or self.high is None:
            raise ValueError(f"{PATH_MARK}low: a lever needs low and high, or choices")
        if not self.low < self.high:
            found = f"found low {self.low:g}, high {self.high:g}"
            raise ValueError(f"{PATH_MARK}high: empty range; expected low < high, {found}")
        if self.log and self.low <= 0:
            raise ValueError(f"{PATH_MARK}low: log needs low > 0, found {self.low:g}")
        if self.log and self.step is not None:
            raise ValueError(f"{PATH_MARK}step: a grid step cannot be searched in log")
        if self.step is not None:
            n = (self.high - self.low) / self.step
            if abs(n - round(n)) > 1e-9:
                raise ValueError(f"{PATH_MARK}step: high must be low + a whole number of steps")
        if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ValueError(f"{PATH_MARK}low: integer levers need whole-number low and high")
        return self


_CONSTRAINT = re.compile(r"^\s*(?P<left>\S+)\s*(?P<op>>=|<=)\s*(?P<right>\S+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``left op right``; each side a plan field path or a number."""

    left: str | float
    op: str
    right: str | float

    def slack(self, value: dict[str, float]) -> float:
        """How far the constraint is from breaking (>= 0: holds), given the fields' values."""

        def side(x: str | float) -> float:
            return value[x] if isinstance(x, str) else x

        a, b = side(self.left), side(self.right)
        return a - b if self.op == ">=" else b - a

    def paths(self) -> list[str]:
        """The field paths it reads."""
        return [x for x in (self.left, self.right) if isinstance(x, str)]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _side(text: str) -> str | float:
    """A number, or else a field path."""
    n = _number(text)
    return text if n is None else n


def parse_constraint(text: str) -> Constraint:
    """``a.b >= c.d`` or ``a.b <= 0.3``; ``ValueError`` naming what was expected."""
    m = _CONSTRAINT.match(text)
    if m is None:
        raise ValueError(f"expected 'A >= B' or 'A <= B' (A, B plan field paths or numbers), found {text!r}")
    left, right = _side(m["left"]), _side(m["right"])
    if not isinstance(left, str) and not isinstance(right, str):
        raise ValueError(f"expected a field path on at least one side, found {text!r}")
    return Constraint(left, m["op"], right)


class Levers(StrictModel):
    """The plan the optimiser designs, its levers and the constraints that link them."""

    plan: str = Field(min_length=1)
    """Name of the plan the candidates copy (each candidate is this plan with the levers set)."""
    name: str = Field(default="optimised", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    """Name prefix of the candidate plans (``optimised-1``, ...)."""
    fields: dict[str, Lever] = Field(min_length=1)
    """Lever per field path inside the plan (``ae.components.commission.rates.1.rate``)."""
    constraints: list[str] = Field(default_factory=list)
    """Linked constraints, ``PATH >= PATH`` or ``PATH <= NUMBER`` (paths inside the plan)."""

    def parsed_constraints(self) -> list[Constraint]:
        """The constraints as :class:`Constraint` (they were checked when the scenario loaded)."""
        return [parse_constraint(c) for c in self.constraints]


def check_levers(levers: Levers | None, plans: Sequence[PlanDesign]) -> None:
    """Raise ``ValueError`` (``@levers...: ...``) for the first lever or constraint that does not fit
    the plan it names."""
    if levers is None:
        return
    names = [p.name for p in plans]
    if levers.plan not in names:
        from sim.problems import unknown

        raise ValueError(f"{PATH_MARK}levers.plan: {unknown(levers.plan, names, 'plan')}")
    if levers.name in names or any(n.startswith(f"{levers.name}-") for n in names):
        raise ValueError(
            f"{PATH_MARK}levers.name: {levers.name!r} is a plan name already; choose another prefix"
        )
    plan = next(p for p in plans if p.name == levers.plan)
    for path, lever in levers.fields.items():
        problem = lever_problem(plan, path, lever)
        if problem is not None:
            raise ValueError(f"{PATH_MARK}levers.fields.{path_part(path)}: {problem}")
    for i, text in enumerate(levers.constraints):
        try:
            c = parse_constraint(text)
            for path in c.paths():
                ref = resolve_field(plan, path)
                if ref.kind not in ("number", "integer"):
                    raise ValueError(f"{path} is not a number")
        except PathError as exc:
            raise ValueError(f"{PATH_MARK}levers.constraints.{i}: {exc.message}") from None
        except ValueError as exc:
            raise ValueError(f"{PATH_MARK}levers.constraints.{i}: {exc}") from None


def lever_problem(plan: PlanDesign, path: str, lever: Lever) -> str | None:
    """What is wrong with one lever on ``plan`` (None when nothing is)."""
    if path.split(".", 1)[0] in ("name", "description"):
        return f"{path} is not a lever: a plan's name and description change nothing"
    try:
        ref = resolve_field(plan, path)
    except PathError as exc:
        return exc.message
    kind = ref.kind
    if lever.choices is not None:
        for choice in lever.choices:
            why = ref.check(choice)
            if why is not None:
                return f"choice {choice!r} is not a valid value of {path}: {why}"
        return None
    if kind not in ("number", "integer"):
        shown = {"choice": "a choice of names", "boolean": "a yes/no switch", "text": "text"}.get(
            kind, "not a number"
        )
        hint = " (use choices: [...])" if kind in ("choice", "boolean", "text") else ""
        return f"a range needs a number field, {path} is {shown}{hint}"
    if kind == "integer" and not (float(lever.low or 0).is_integer() and float(lever.high or 0).is_integer()):
        return f"{path} is an integer field; expected whole-number low and high"
    for name in ("low", "high"):
        bound: Any = getattr(lever, name)
        why = ref.check(int(bound) if kind == "integer" else bound)
        if why is not None:
            return f"{name} {bound:g} is not a valid value of {path}: {why}"
    return None
