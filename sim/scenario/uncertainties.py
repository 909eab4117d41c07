"""Uncertainties: ranges for parameters nobody can observe, explored by ``incentsim sensitivity``.

The ``uncertainties:`` block maps a dotted scenario path (as ``--set`` writes it) to a
distribution::

    uncertainties:
      behaviour.rationality_per_kusd:
        {distribution: log_uniform, low: 0.2, high: 3.0, source: "why this range"}

A path must name a number of the company or the behaviour (plans are levers, not
uncertainties; experiment and output settings are not parameters of the world). Integer fields
take ``uniform`` with whole-number bounds only. The bounds are checked against the field's own
limits (a churn rate stays within 0..1). Sampling lives in ``sim/explore/design.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from sim.problems import PATH_MARK, path_part
from sim.scenario.base import StrictModel
from sim.scenario.paths import PathError, resolve_field

Distribution = Literal["uniform", "log_uniform", "triangular", "truncated_normal"]

NOT_UNCERTAIN: dict[str, str] = {
    "plans": "plans are designed, not uncertain (make plan fields levers: instead)",
    "experiment": "experiment settings are not parameters of the simulated world",
    "output": "output settings are not parameters of the simulated world",
    "name": "the name is not a parameter",
    "description": "the description is not a parameter",
    "uncertainties": "an uncertainty cannot range over another",
    "levers": "levers are plan choices, not uncertainties",
}
"""Top-level scenario blocks an uncertainty may not name, and why."""


class Uncertainty(StrictModel):
    """The range of one parameter, as a probability distribution over its values."""

    distribution: Distribution = "uniform"
    """uniform (low..high), log_uniform (uniform in log between low > 0 and high), triangular
    (low, mode, high), truncated_normal (mean, sd, cut at low and high)."""
    low: float
    """Smallest value (for truncated_normal: the lower truncation bound)."""
    high: float
    """Largest value (for truncated_normal: the upper truncation bound)."""
    mode: float | None = None
    """Most likely value of a triangular distribution (low <= mode <= high)."""
    mean: float | None = None
    """Mean of the normal before truncation (truncated_normal only)."""
    sd: float | None = Field(default=None, gt=0.0)
    """Standard deviation of the normal before truncation (truncated_normal only)."""
    source: str = Field(min_length=1)
    """Why this range: a study, a benchmark, a calibration, or "judgement: ..."."""

    @model_validator(mode="after")
    def _shape(self) -> Uncertainty:
        if not self.low < self.high:
            found = f"found low {self.low:g}, high {self.high:g}"
            raise ValueError(f"{PATH_MARK}high: empty range; expected low < high, {found}")
        d = self.distribution
        if d == "log_uniform" and self.low <= 0:
            raise ValueError(f"{PATH_MARK}low: log_uniform needs low > 0, found {self.low:g}")
        if d == "triangular":
            if self.mode is None:
                raise ValueError(f"{PATH_MARK}mode: a triangular distribution needs a mode")
            if not self.low <= self.mode <= self.high:
                raise ValueError(
                    f"{PATH_MARK}mode: expected low <= mode <= high, found {self.mode:g} "
                    f"outside {self.low:g}..{self.high:g}"
                )
        elif self.mode is not None:
            raise ValueError(f"{PATH_MARK}mode: only a triangular distribution has a mode")
        if d == "truncated_normal":
            if self.mean is None or self.sd is None:
                raise ValueError(f"{PATH_MARK}mean: a truncated_normal needs mean and sd")
        elif self.mean is not None or self.sd is not None:
            which = "mean" if self.mean is not None else "sd"
            raise ValueError(f"{PATH_MARK}{which}: only a truncated_normal has a mean and an sd")
        return self

    @property
    def centre(self) -> float:
        """A typical value: the mode, the mean, the geometric or arithmetic midpoint."""
        if self.distribution == "triangular" and self.mode is not None:
            return self.mode
        if self.distribution == "truncated_normal" and self.mean is not None:
            return min(max(self.mean, self.low), self.high)
        if self.distribution == "log_uniform":
            return math.sqrt(self.low * self.high)
        return (self.low + self.high) / 2.0


def check_uncertainties(uncertainties: Mapping[str, Uncertainty], root: BaseModel) -> None:
    """Raise ``ValueError`` (``@uncertainties.<path>: ...``) for the first uncertainty whose path
    does not name a numeric world parameter or whose bounds the field cannot take."""
    for path, u in uncertainties.items():
        where = f"uncertainties.{path_part(path)}"
        problem = uncertainty_problem(root, path, u)
        if problem is not None:
            raise ValueError(f"{PATH_MARK}{where}: {problem}")


def uncertainty_problem(root: BaseModel, path: str, u: Uncertainty) -> str | None:
    """What is wrong with one uncertainty (None when nothing is)."""
    top = path.split(".", 1)[0]
    if top in NOT_UNCERTAIN:
        return f"{path} cannot be uncertain: {NOT_UNCERTAIN[top]}"
    try:
        ref = resolve_field(root, path)
    except PathError as exc:
        return exc.message
    kind = ref.kind
    if kind not in ("number", "integer"):
        shown = {
            "choice": "a choice of names",
            "boolean": "a yes/no switch",
            "text": "text",
            "list": "a list (name one of its items)",
            "mapping": "a group of fields (name one of them)",
        }.get(kind, "not a number")
        return f"expected a numeric field, {path} is {shown} (a distribution needs numbers)"
    if kind == "integer":
        if u.distribution != "uniform":
            return (
                f"{path} is an integer field; expected distribution uniform over whole numbers, "
                f"found {u.distribution}"
            )
        if not (float(u.low).is_integer() and float(u.high).is_integer()):
            return (
                f"{path} is an integer field; expected whole-number low and high, found {u.low:g}..{u.high:g}"
            )
    for name in ("low", "high", "mode"):
        bound = getattr(u, name)
        if bound is None:
            continue
        value = int(bound) if kind == "integer" else bound
        why = ref.check(value)
        if why is not None:
            return f"{name} {bound:g} is not a valid value of {path}: {why}"
    return None
