"""Evaluating candidate plans during a search: common random numbers, racing, budgets.

Every hand-written plan is run once, on replications ``0..max_reps-1`` at every evaluation point
(the scenario itself, or the robust points over its uncertainties): the *reference*. A candidate
runs on the same replications from 0 upward in stages of ``min_reps``; each stage it is compared,
replication by replication, with the reference baseline (its score) and with the best candidate
so far (racing). A candidate stops early when it is clearly worse than the best so far (the upper
end of a one-sided interval of the paired difference is below zero) or clearly over a budget (the
lower end of its budget metric's interval is above the limit); otherwise it runs to ``max_reps``.

Scores are paired differences against the baseline, so candidates run on different numbers of
replications are comparable: the common part of their randomness cancels.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.stats import t_interval
from sim.explore.candidates import Candidate
from sim.explore.outcomes import DIRECTIONS
from sim.explore.points import PointRequest, PointRunner
from sim.problems import Problem, ScenarioError


@dataclass(frozen=True)
class Budget:
    """``metric <= limit`` (or ``>=``) on a candidate's mean."""

    metric: str
    op: str
    limit: float

    def excess(self, value: float) -> float:
        """How far ``value`` is beyond the limit (<= 0: within the budget)."""
        return value - self.limit if self.op == "<=" else self.limit - value

    def text(self) -> str:
        """``payout_share_of_bookings<=0.12``."""
        return f"{self.metric}{self.op}{self.limit:g}"


def parse_budget(text: str, known: Sequence[str], source: str = "--budget") -> Budget:
    """``metric<=value`` or ``metric>=value``; an unknown metric or a bad number exits 2."""
    op = "<=" if "<=" in text else (">=" if ">=" in text else "")
    if not op:
        raise ScenarioError(
            [Problem(source, "(arguments)", f"expected METRIC<=VALUE or METRIC>=VALUE, found {text!r}")]
        )
    metric, _, raw = (s.strip() for s in text.partition(op))
    if metric not in known:
        from sim.problems import unknown

        raise ScenarioError([Problem(source, metric or "(empty)", unknown(metric, list(known), "metric"))])
    try:
        limit = float(raw)
    except ValueError:
        raise ScenarioError(
            [Problem(source, metric, f"expected a number after {op}, found {raw!r}")]
        ) from None
    if not math.isfinite(limit):
        raise ScenarioError([Problem(source, metric, f"expected a finite limit, found {raw!r}")])
    return Budget(metric, op, limit)


def point_id(params: dict[str, Any], point: int) -> str:
    """A candidate's evaluation point id: the same lever values always give the same id, so a
    candidate proposed again (or re-run after an interruption) reuses its replications."""
    text = json.dumps(params, sort_keys=True, default=str)
    return f"c{hashlib.blake2b(text.encode(), digest_size=8).hexdigest()}-p{point}"


@dataclass
class Evaluation:
    """What is known of one candidate (per replication values are means over the evaluation points)."""

    candidate: Candidate
    reps: int = 0
    diffs: dict[str, list[float]] = field(default_factory=dict)
    """Objective -> per replication: candidate minus baseline."""
    point_diffs: dict[str, list[float]] = field(default_factory=dict)
    """Objective -> per evaluation point: mean over the replications of candidate minus baseline."""
    budgets: dict[str, list[float]] = field(default_factory=dict)
    """Budget (and payout) metric -> per replication: the candidate's value."""
    stopped: str = ""

    def budget_means(self) -> dict[str, float]:
        """Mean of each budget metric."""
        return {m: float(np.mean(v)) if v else math.nan for m, v in self.budgets.items()}


class Search:
    """The reference and the racing evaluation of candidates (one per search)."""

    def __init__(
        self,
        runner: PointRunner,
        points: Sequence[Any],
        plans: Sequence[str],
        baseline: str,
        objectives: Sequence[str],
        budgets: Sequence[Budget],
        min_reps: int,
        max_reps: int,
        race_confidence: float,
        robust: str = "mean",
    ) -> None:
        self.runner = runner
        self.points = list(points)
        self.plans = list(plans)
        self.baseline = baseline
        self.objectives = list(objectives)
        self.budgets = list(budgets)
        self.min_reps = min_reps
        self.max_reps = max_reps
        self.race_confidence = race_confidence
        self.robust = robust
        self.reference = pd.DataFrame()
        self.tracked = list(
            dict.fromkeys([*(b.metric for b in self.budgets), "payout_cost", "payout_share_of_bookings"])
        )
        """Metrics whose candidate means are kept (budgets first; payout for the charts)."""

    def run_reference(self) -> pd.DataFrame:
        """Every hand-written plan at every point on replications 0..max_reps-1."""
        reqs = [
            PointRequest(f"ref-p{i}", sc, self.plans, range(self.max_reps))
            for i, sc in enumerate(self.points)
        ]
        self.reference = self.runner.run(reqs, "reference")
        return self.reference

    def _base(self, metric: str, plan: str | None = None) -> np.ndarray:
        """(point, replication) values of ``plan`` (default: the baseline) in the reference."""
        ref = self.reference
        sub = ref[ref["plan"] == (plan or self.baseline)].sort_values(["point", "replication"])
        return sub[metric].to_numpy(dtype=float).reshape(len(self.points), self.max_reps)

    def plan_evaluation(self, plan: str) -> dict[str, Any]:
        """A hand-written plan's score and budget means over all reference replications."""
        out: dict[str, Any] = {}
        for m in self.objectives:
            d = self._base(m, plan) - self._base(m)
            out[m] = self.aggregate(d.mean(axis=1))
        for metric in self.tracked:
            out.setdefault(metric, float(np.mean(self._base(metric, plan))))
        return out

    def aggregate(self, per_point: np.ndarray) -> float:
        """The score over evaluation points: their mean, or a lower (upper, for a metric that
        is better low) quantile with ``robust='q10'``."""
        if self.robust.startswith("q") and len(per_point) > 1:
            q = float(self.robust[1:]) / 100.0
            return float(np.quantile(per_point, q))
        return float(np.mean(per_point))

    def score(self, ev: Evaluation) -> list[float]:
        """The candidate's objective values (differences against the baseline)."""
        out = []
        for m in self.objectives:
            pd_ = np.asarray(ev.point_diffs.get(m, []), dtype=float)
            if self.robust.startswith("q") and not DIRECTIONS[m] and len(pd_) > 1:
                out.append(float(np.quantile(pd_, 1.0 - float(self.robust[1:]) / 100.0)))
            else:
                out.append(self.aggregate(pd_) if len(pd_) else math.nan)
        return out

    def evaluate(self, batch: Sequence[Candidate], incumbents: Sequence[Evaluation]) -> list[Evaluation]:
        """Race the feasible candidates of ``batch`` (together, stage by stage)."""
        evals = [Evaluation(c) for c in batch]
        active = [e for e in evals if e.candidate.feasible]
        while active:
            requests = []
            for e in active:
                hi = min(e.reps + self.min_reps, self.max_reps)
                for i in range(len(self.points)):
                    sc = e.candidate.scenario_at[i]
                    requests.append(
                        PointRequest(
                            point_id(e.candidate.params, i), sc, [e.candidate.name], range(e.reps, hi)
                        )
                    )
            rows = self.runner.run(requests, f"{len(active)} candidate(s)")
            for e in active:
                self._absorb(e, rows, min(e.reps + self.min_reps, self.max_reps))
            active = [e for e in active if e.reps < self.max_reps and not self._stop(e, incumbents)]
        return evals

    def _absorb(self, e: Evaluation, rows: pd.DataFrame, reps: int) -> None:
        """Recompute the candidate's per replication values from all its rows so far."""
        keys = [point_id(e.candidate.params, i) for i in range(len(self.points))]
        mine = self.runner.table([(k, e.candidate.name, r) for k in keys for r in range(reps)])
        e.reps = reps
        for m in self.objectives:
            cand = mine[m].to_numpy(dtype=float).reshape(len(self.points), reps)
            d = cand - self._base(m)[:, :reps]
            e.diffs[m] = [float(x) for x in d.mean(axis=0)]
            e.point_diffs[m] = [float(x) for x in d.mean(axis=1)]
        for metric in self.tracked:
            cand = mine[metric].to_numpy(dtype=float).reshape(len(self.points), reps)
            e.budgets[metric] = [float(x) for x in cand.mean(axis=0)]

    def _one_sided(self, x: np.ndarray) -> tuple[float, float]:
        iv = t_interval(x, 2.0 * self.race_confidence - 1.0)
        return iv.low, iv.high

    def _stop(self, e: Evaluation, incumbents: Sequence[Evaluation]) -> bool:
        """Clearly over a budget, or clearly dominated by an incumbent (then ``e.stopped`` says so)."""
        for b in self.budgets:
            vals = np.asarray(e.budgets[b.metric])
            excess = vals - b.limit if b.op == "<=" else b.limit - vals
            low, _ = self._one_sided(excess)
            if math.isfinite(low) and low > 0:
                e.stopped = f"clearly over the budget {b.text()}"
                return True
        for inc in incumbents:
            n = min(e.reps, inc.reps)
            worse = []
            for m in self.objectives:
                sign = 1.0 if DIRECTIONS[m] else -1.0
                x = sign * (np.asarray(e.diffs[m][:n]) - np.asarray(inc.diffs[m][:n]))
                _, high = self._one_sided(x)
                worse.append(math.isfinite(high) and high < 0)
            if all(worse):
                e.stopped = "clearly worse than a better candidate"
                return True
        return False
