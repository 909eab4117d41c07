"""The decision view of a run's results: ``results.decision()`` (or ``Decision(results)``).

One object holds every decision quantity of :mod:`sim.experiment.decision` for the results'
plans, baseline, confidence and objective, and the table that puts them side by side (what the
terminal, the report and notebooks show)::

    d = results.decision()            # objective: experiment.objective (default NRR)
    d.table()                         # one row per plan
    d.trade_offs                      # ratios with delta-method intervals, long form
    d.frontier("ending_arr")          # payout cost vs an outcome, dominated plans marked
    d.probability_best                # {plan: probability} from the paired bootstrap
    for v in d.verdicts(): print(v.text)
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.experiment import decision as dc
from sim.report.verdicts import Verdict, verdicts

if TYPE_CHECKING:
    from sim.experiment.results import RunResults

TABLE_COLUMNS = [
    "plan",
    "nrr_diff",
    "nrr_low",
    "nrr_high",
    "payout_diff",
    "payout_low",
    "payout_high",
    "payout_per_nrr_point",
    "payout_per_nrr_point_low",
    "payout_per_nrr_point_high",
    "payout_per_ending_arr",
    "payout_per_ending_arr_low",
    "payout_per_ending_arr_high",
    "payout_per_new_arr",
    "payout_per_new_arr_low",
    "payout_per_new_arr_high",
    "cost_per_nrr_point",
    "cost_per_nrr_point_low",
    "cost_per_nrr_point_high",
    "payout_share",
    "payout_share_low",
    "payout_share_high",
    "probability_best",
    "rank",
    "plan_class",
]


class Decision:
    """Decision quantities of a set of results (see the module docstring)."""

    def __init__(self, results: RunResults, objective: str | None = None) -> None:
        self.results = results
        self.objective = objective or results.scenario.experiment.objective

    @property
    def plans(self) -> list[str]:
        """Plans present in the replications, in scenario order."""
        present = set(self.results.replications["plan"]) if len(self.results.replications) else set()
        return [p for p in self.results.plans if p in present]

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """The paired comparison table (``RunResults.comparison``)."""
        if len(self.plans) < 2:
            return pd.DataFrame(columns=["plan", "metric", "diff", "ci_low", "ci_high", "significant"])
        return self.results.comparison()

    @cached_property
    def trade_offs(self) -> pd.DataFrame:
        """Trade-off ratios per plan (:func:`sim.experiment.decision.trade_offs`)."""
        r = self.results
        return dc.trade_offs(r.replications, self.plans, r.baseline, r.confidence)

    @cached_property
    def payout_share(self) -> pd.DataFrame:
        """Payout share of bookings per plan (:func:`sim.experiment.decision.payout_share`)."""
        r = self.results
        return dc.payout_share(r.replications, self.plans, r.baseline, r.confidence)

    @cached_property
    def paired_replications(self) -> int:
        """Replications in which every plan has a finite objective (what the bootstrap resamples)."""
        return dc.paired_replications(self.results.replications, self.plans, self.objective)

    @cached_property
    def probability_best(self) -> dict[str, float]:
        """Probability that each plan is best on the objective (paired bootstrap; NaN with fewer
        than :data:`sim.experiment.decision.MIN_BOOTSTRAP_REPLICATIONS` paired replications)."""
        r = self.results
        return dc.probability_best(r.replications, self.plans, self.objective, r.scenario.experiment.seed)

    def frontier(self, outcome: str = "nrr", cost: str = "payout_cost") -> pd.DataFrame:
        """Cost against ``outcome`` per plan, paired against the baseline, dominated plans marked."""
        r = self.results
        return dc.frontier(r.replications, self.plans, r.baseline, outcome, cost, r.confidence)

    def verdicts(self) -> list[Verdict]:
        """One verdict sentence per non-baseline plan (:mod:`sim.report.verdicts`)."""
        n = self.results.replications.groupby("plan").size().to_dict()
        return verdicts(self.comparison, self.trade_offs, self.plans, self.results.baseline, n)

    def table(self) -> pd.DataFrame:
        """One row per plan: paired NRR and payout differences, the trade-off ratios, payout share
        of bookings, the probability of being best on the objective, the plan's rank by it and the
        verdict's class."""
        comp = {(str(x["plan"]), str(x["metric"])): x for x in self.comparison.to_dict("records")}
        ratios = {(str(x["plan"]), str(x["quantity"])): x for x in self.trade_offs.to_dict("records")}
        share = {str(x["plan"]): x for x in self.payout_share.to_dict("records")}
        classes = {v.plan: v.plan_class for v in self.verdicts()}
        best = self.probability_best
        rows = []
        for plan in self.plans:
            row: dict[str, Any] = {"plan": plan}
            for metric, key in (("nrr", "nrr"), ("payout_cost", "payout")):
                c = comp.get((plan, metric), {})
                row[f"{key}_diff"] = c.get("diff", 0.0 if plan == self.results.baseline else float("nan"))
                row[f"{key}_low"] = c.get("ci_low", float("nan"))
                row[f"{key}_high"] = c.get("ci_high", float("nan"))
            for q in dc.TRADE_OFFS:
                x = ratios.get((plan, q.name), {})
                row[q.name] = x.get("estimate", float("nan"))
                row[f"{q.name}_low"] = x.get("ci_low", float("nan"))
                row[f"{q.name}_high"] = x.get("ci_high", float("nan"))
            s = share.get(plan, {})
            row["payout_share"] = s.get("mean", float("nan"))
            row["payout_share_low"] = s.get("ci_low", float("nan"))
            row["payout_share_high"] = s.get("ci_high", float("nan"))
            row["probability_best"] = best.get(plan, float("nan"))
            row["rank"] = float("nan")
            row["plan_class"] = "baseline" if plan == self.results.baseline else classes.get(plan, "")
            rows.append(row)
        table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
        # the ranking on the objective: 1 = the most likely best (ties share a rank)
        table["rank"] = table["probability_best"].rank(ascending=False, method="min")
        return table
