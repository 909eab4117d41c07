"""Experiment and output settings."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.scenario.base import NonNegativeInt, Positive, PositiveInt, StrictModel
from sim.scenario.errors import PATH_MARK

METRICS: tuple[str, ...] = (
    "grr",
    "nrr",
    "logo_churn",
    "new_arr",
    "ending_arr",
    "payout_cost",
    "payout_cost_ae",
    "payout_cost_csm",
    "payout_cost_consultant",
    "payout_cost_marketing",
    "payout_cost_product",
    "total_comp_cost",
    "cost_of_sales",
    "mean_discount",
    "period_end_share",
    "second_order_share",
    "time_to_value_days",
    "gross_churn_usd",
    "expansion_usd",
    "nps",
)
"""Metrics a precision target may name (every column of ``replications.parquet``)."""

HIGHER_IS_BETTER: dict[str, bool] = {
    "grr": True,
    "nrr": True,
    "new_arr": True,
    "ending_arr": True,
    "second_order_share": True,
    "payout_cost": False,
    "cost_of_sales": False,
    "mean_discount": False,
    "period_end_share": False,
    "logo_churn": False,
    "total_comp_cost": False,
    "gross_churn_usd": False,
    "expansion_usd": True,
    "nps": True,
    "time_to_value_days": False,
}
"""Which direction is good for a metric (the report's colours, the objective of exploration)."""


class Experiment(StrictModel):
    """How many replications, which seed, what to compare against, how precise."""

    seed: NonNegativeInt = 20261123
    replications: PositiveInt = Field(default=10, ge=2)
    """Replications per plan in the first batch (at least 2 for an interval)."""
    max_replications: PositiveInt = 100
    batch_size: PositiveInt = 5
    """Replications per plan added per round while a precision target is unmet."""
    baseline_plan: str | None = None
    """Plan the others are compared with (paired); the first plan when absent."""
    precision: dict[str, Positive] = Field(default_factory=dict)
    """Target half-width of the paired difference vs baseline, per metric (e.g. nrr: 0.005)."""
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    objective: str = "nrr"
    """Metric a plan is judged on when exploring: which plan is best at each sample point of
    ``incentsim sensitivity``, what ``incentsim optimise`` improves by default. A metric with a
    known better direction (grr, nrr, new_arr, ending_arr, second_order_share, expansion_usd and nps
    are maximised; payout_cost, cost_of_sales, mean_discount, period_end_share, logo_churn,
    total_comp_cost, gross_churn_usd and time_to_value_days minimised)."""
    common_random_numbers: bool = True
    """Test-only switch: False gives each plan its own streams (for A/A coverage tests)."""

    @model_validator(mode="after")
    def _checks(self) -> Experiment:
        if self.max_replications < self.replications:
            raise ValueError(
                f"{PATH_MARK}max_replications: expected >= replications ({self.replications}), found "
                f"{self.max_replications}"
            )
        unknown = sorted(set(self.precision) - set(METRICS))
        if unknown:
            raise ValueError(
                f"{PATH_MARK}precision.{unknown[0]}: unknown metric; valid: {', '.join(METRICS)}"
            )
        if self.objective not in HIGHER_IS_BETTER:
            raise ValueError(
                f"{PATH_MARK}objective: expected a metric with a better direction "
                f"({', '.join(HIGHER_IS_BETTER)}), found {self.objective!r}"
            )
        return self


class Output(StrictModel):
    """What a run writes."""

    dir: str | None = None
    """Results folder; default runs/<scenario>-<timestamp>."""
    plots: bool = True
    report: bool = True
    timeseries: bool = True
