"""Experiment and output settings."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.problems import PATH_MARK
from sim.scenario.base import NonNegativeInt, Positive, PositiveInt, StrictModel
from sim.vocabulary.metrics import TARGETS

METRICS: tuple[str, ...] = TARGETS
"""Metrics a precision target may name (``sim.vocabulary.metrics``; each is a column of
``replications.parquet`` in every run)."""


MIN_REPLICATIONS = 2
"""Replications per plan at least: a paired t-interval needs two."""


def replications_problem(n: int) -> str | None:
    """What is wrong with ``n`` replications per plan (a flag or an argument), or None."""
    if n < MIN_REPLICATIONS:
        least = MIN_REPLICATIONS
        return f"expected at least {least} replications per plan (an interval needs two), found {n}"
    return None


class Experiment(StrictModel):
    """How many replications, which seed, what to compare against, how precise."""

    seed: NonNegativeInt = 20261123
    """Scenario seed: every random stream of every replication derives from it (``sim/rng.py``)."""
    replications: PositiveInt = Field(default=10, ge=MIN_REPLICATIONS)
    """Replications per plan in the first batch (at least 2 for an interval)."""
    max_replications: PositiveInt = 100
    """Most replications per plan the precision loop may run."""
    batch_size: PositiveInt = 5
    """Replications per plan added per round while a precision target is unmet."""
    baseline_plan: str | None = None
    """Plan the others are compared with (paired); the first plan when absent."""
    precision: dict[str, Positive] = Field(default_factory=dict)
    """Target half-width of the paired difference vs baseline, per metric (e.g. nrr: 0.005)."""
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    """Confidence level of every interval (Bonferroni-adjusted for several plans)."""
    objective: str = "nrr"
    """Metric a plan is judged on: the decision's ranking (the probability each plan is best), which
    plan is best at each sample point of ``incentsim sensitivity``, what ``incentsim optimise``
    improves by default. Its better direction is the vocabulary's (``docs/metrics.md``): costs,
    churn, discounts and time to value are minimised, the rest maximised."""
    common_random_numbers: bool = True
    """Test-only switch: False gives each plan its own streams (for A/A coverage tests)."""

    @model_validator(mode="after")
    def _checks(self) -> Experiment:
        if self.max_replications < self.replications:
            raise ValueError(
                f"{PATH_MARK}max_replications: expected >= replications ({self.replications}), found "
                f"{self.max_replications}"
            )
        if self.objective not in METRICS:
            raise ValueError(f"{PATH_MARK}objective: unknown metric; valid: {', '.join(METRICS)}")
        unknown = sorted(set(self.precision) - set(METRICS))
        if unknown:
            raise ValueError(
                f"{PATH_MARK}precision.{unknown[0]}: unknown metric; valid: {', '.join(METRICS)}"
            )
        return self


class Output(StrictModel):
    """What a run writes."""

    dir: str | None = None
    """Results folder; default runs/<scenario>-<timestamp>."""
    plots: bool = True
    """Write the report's figures as PNG files under ``plots/``."""
    report: bool = True
    """Write ``report.html``."""
    timeseries: bool = True
    """Write ``timeseries.parquet`` (monthly series per plan)."""
