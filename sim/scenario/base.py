"""Shared building blocks of the scenario schema: strict models and unit-carrying types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
"""A share between 0 and 1 (never a percent)."""

NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(gt=0)]


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are validated on assignment.

    Numbers must be finite: ``.nan`` and ``.inf`` are rejected (an unbounded cap is ``null``).
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        validate_default=True,
        str_strip_whitespace=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,
    )
