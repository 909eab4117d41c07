"""What a verdict may claim: one claim per metric from its paired interval, and the plan's class.

The rules (``docs/report.md``, "Verdicts"; each has a test in ``tests/experiment/test_claims.py``):

1. A metric is claimed **better** or **worse** only when its paired interval excludes zero; the
   direction is the one a decision prefers (:data:`sim.vocabulary.metrics.HIGHER_IS_BETTER`).
2. A metric whose interval includes zero (or is undefined) is claimed as **no detectable
   difference**, never as a gain or a loss, whatever its mean.
3. The plan's class: **dominates** the baseline when at least one metric is better and none is
   worse; **dominated** when at least one is worse and none is better; a **trade-off** when
   some are better and some worse; **no detectable difference** when nothing is significant.
4. A cost per unit of outcome is quoted only for a trade-off whose outcome is better and whose
   cost is worse, and only when the ratio is defined (its denominator significant).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sim.vocabulary.metrics import HIGHER_IS_BETTER

VERDICT_METRICS: tuple[str, ...] = ("nrr", "payout_cost", "new_arr", "ending_arr")
"""The metrics a verdict speaks about, in the order it speaks."""

Direction = Literal["better", "worse", "none"]
PlanClass = Literal["dominates", "dominated", "trade-off", "no detectable difference"]


@dataclass(frozen=True)
class Claim:
    """What may be said of one metric of one plan against the baseline."""

    metric: str
    diff: float
    low: float
    high: float
    direction: Direction


def claim(metric: str, diff: float, low: float, high: float) -> Claim:
    """The claim a paired difference supports (rules 1 and 2)."""
    finite = all(math.isfinite(x) for x in (diff, low, high))
    if not finite or low <= 0.0 <= high:
        return Claim(metric, diff, low, high, "none")
    up = HIGHER_IS_BETTER.get(metric, True)
    positive = low > 0.0
    return Claim(metric, diff, low, high, "better" if positive == up else "worse")


def claims_for(
    comparison: Iterable[Mapping[str, Any]], plan: str, metrics: Sequence[str] = VERDICT_METRICS
) -> list[Claim]:
    """Claims of ``plan`` from rows of a comparison table (``stats.compare``), in ``metrics`` order."""
    rows = {str(r["metric"]): r for r in comparison if str(r["plan"]) == plan}
    return [
        claim(m, float(rows[m]["diff"]), float(rows[m]["ci_low"]), float(rows[m]["ci_high"]))
        for m in metrics
        if m in rows
    ]


def classify(claims: Sequence[Claim]) -> PlanClass:
    """The plan's class from its claims (rule 3)."""
    better = any(c.direction == "better" for c in claims)
    worse = any(c.direction == "worse" for c in claims)
    if better and worse:
        return "trade-off"
    if better:
        return "dominates"
    if worse:
        return "dominated"
    return "no detectable difference"


def quotes_cost_per_outcome(claims: Sequence[Claim], cost: str, outcome: str, defined: bool) -> bool:
    """Whether a verdict quotes ``cost`` per unit of ``outcome`` (rule 4)."""
    by = {c.metric: c for c in claims}
    return (
        defined
        and classify(claims) == "trade-off"
        and cost in by
        and outcome in by
        and by[outcome].direction == "better"
        and by[cost].direction == "worse"
    )
