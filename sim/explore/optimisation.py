"""What an optimisation found, as data: every trial, the confirmed candidates, the confirmation's
replications, lever importance, and the verdict comparing each candidate, paired, with the
baseline and the best hand-written plan. :class:`sim.explore.confirm.Optimisation` adds the
report and figures."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.stats import bonferroni_confidence, paired, t_interval
from sim.explore.candidates import Candidate, plan_yaml
from sim.explore.outcomes import DIRECTIONS
from sim.explore.study import Study, trial_seed
from sim.files import atomic_write_text
from sim.formats import csv_text, to_strict_json
from sim.report import fmt
from sim.results import Results


def outcome_table(results: Results) -> pd.DataFrame:
    """The confirmation's replications (every metric, ``payout_share_of_bookings`` included)."""
    return results.replications.copy()


class OptimisationResult:
    """Results of ``incentsim optimise``: ``trials`` (one row per trial), ``candidates`` (the
    confirmed ones), ``confirmation`` (:class:`~sim.results.Results` on fresh
    replications), ``verdict`` (dict), ``importance`` (lever -> share), ``metadata``."""

    def __init__(
        self, study: Study, chosen: list[Any], candidates: list[Candidate], confirmation: Results
    ) -> None:
        self.scenario = study.scenario
        self.settings = study.s
        self.objectives = study.objectives
        self.budgets = study.budgets
        self.levers = study.levers
        self.trials = trials_table(study)
        self.reference = {p: study.search.plan_evaluation(p) for p in study.search.plans}
        self.chosen = chosen
        self.candidates = candidates
        self.confirmation = confirmation
        self.outcomes = outcome_table(confirmation)
        self.verdict = verdict(self)
        self.importance = importance(study)
        self.metadata: dict[str, Any] = {
            "objectives": self.objectives,
            "budgets": [b.text() for b in self.budgets],
            "trials": len(self.trials),
            "fresh_seed": confirmation.scenario.experiment.seed,
        }

    def best_plans_yaml(self) -> str:
        """The confirmed candidates as YAML ready to paste under ``plans:``."""
        head = (
            "# incentsim optimise: the confirmed candidates, ready to paste under plans: of "
            f"{self.scenario.name}.\n"
            "# Each says how it did in the confirmation on fresh replications.\n"
        )
        rows = {r["plan"]: r for r in self.verdict["plans"]}
        parts = []
        for c, t in zip(self.candidates, self.chosen, strict=True):
            r = rows.get(c.name, {})
            comment = f"trial {t.number}; " + str(r.get("sentence", ""))
            parts.append(plan_yaml(c, comment))
        return head + "\n".join(parts)

    def write(self, folder: Path) -> None:
        """trials.csv, verdict.json, best-plans.yaml and metadata.json."""
        atomic_write_text(folder / "trials.csv", csv_text(self.trials))
        atomic_write_text(folder / "verdict.json", to_strict_json(self.verdict, indent=2))
        atomic_write_text(folder / "best-plans.yaml", self.best_plans_yaml())
        atomic_write_text(
            folder / "metadata.json", to_strict_json({**self.metadata, "status": "complete"}, indent=2)
        )


def trials_table(study: Study) -> pd.DataFrame:
    """One row per finished trial: values (differences against the baseline), budget means,
    replications, feasibility, why it stopped, the levers."""
    from optuna.trial import TrialState

    rows = []
    for t in study.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        a = t.user_attrs
        row: dict[str, Any] = {
            "trial": t.number,
            "feasible": all(c <= 0 for c in a.get("constraints", [1.0])),
            "infeasible": a.get("infeasible", ""),
            "stopped": a.get("stopped", ""),
            "reps": a.get("reps", 0),
        }
        for m, v in zip(study.objectives, t.values, strict=True):
            row[f"{m}_vs_baseline"] = v if not a.get("infeasible") else math.nan
        for m, vals in a.get("budgets", {}).items():
            row[m] = float(np.mean(vals)) if vals else math.nan
        row.update({f"lever:{k}": v for k, v in t.params.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def importance(study: Study) -> dict[str, float]:
    """fANOVA importance of each lever for the first objective, over the feasible trials."""
    import warnings

    optuna = study.optuna
    ok = [
        t
        for t in study.study.get_trials(deepcopy=False)
        if t.state.name == "COMPLETE" and not t.user_attrs.get("infeasible")
    ]
    if len(ok) < 4 or len(study.levers.fields) < 1:  # type: ignore[union-attr]
        return {}
    tmp = optuna.create_study(directions=study.study.directions)
    tmp.add_trials(ok)
    seed = trial_seed(study.scenario, 0, "explore.optimise.importance") % (2**31)  # fANOVA's forest
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return dict(
                optuna.importance.get_param_importances(
                    tmp, evaluator=evaluator, target=lambda t: t.values[0]
                )
            )
        except (RuntimeError, ValueError):  # a lever that never varied, or too few distinct trials
            return {}


def _iv(x: np.ndarray, level: float) -> dict[str, float]:
    iv = t_interval(x, level)
    return {"mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high, "n": iv.n}


def verdict(o: OptimisationResult) -> dict[str, Any]:
    """Per plan on the confirmation: objective and budgets with intervals, paired differences
    against the baseline and the best hand-written plan within the budgets, and a sentence."""
    tab = o.outcomes
    conf = o.confirmation.confidence
    plans = list(o.confirmation.plans)
    names = [c.name for c in o.candidates]
    hand = [p for p in plans if p not in names]
    m = o.objectives[0]
    sign = 1.0 if DIRECTIONS[m] else -1.0

    def col(plan: str, metric: str) -> np.ndarray:
        return tab[tab["plan"] == plan].sort_values("replication")[metric].to_numpy(dtype=float)

    def within(plan: str) -> bool:
        return all(b.excess(float(np.nanmean(col(plan, b.metric)))) <= 0 for b in o.budgets)

    affordable = [p for p in hand if within(p)]
    best_hand = max(affordable, key=lambda p: sign * float(np.nanmean(col(p, m)))) if affordable else None
    level = bonferroni_confidence(conf, len(names))
    base = o.confirmation.baseline
    rows = []
    for plan in plans:
        row: dict[str, Any] = {"plan": plan, "kind": "candidate" if plan in names else "hand-written"}
        row[m] = _iv(col(plan, m), conf)
        row["budgets"] = {b.text(): _iv(col(plan, b.metric), conf) for b in o.budgets}
        row["within_budget"] = within(plan)
        d, _ = paired(col(base, m), col(plan, m), level if plan in names else conf)
        row["vs_baseline"] = {"diff": d.mean, "ci_low": d.low, "ci_high": d.high, "n": d.n}
        if plan in names:
            i = names.index(plan)
            row["search_vs_baseline"] = float(o.chosen[i].values[0])
            if best_hand is not None:
                e, _ = paired(col(best_hand, m), col(plan, m), level)
                row["vs_best_hand_written"] = {
                    "plan": best_hand,
                    "diff": e.mean,
                    "ci_low": e.low,
                    "ci_high": e.high,
                    "n": e.n,
                }
            row["sentence"] = _sentence(o, row, m, best_hand, level)
        rows.append(row)
    return {
        "objective": m,
        "objectives": o.objectives,
        "budgets": [b.text() for b in o.budgets],
        "confidence": conf,
        "candidate_confidence": level,
        "fresh_seed": o.confirmation.scenario.experiment.seed,
        "best_hand_written_within_budget": best_hand,
        "plans": rows,
        "beaten": any(r.get("beats_best_hand_written") for r in rows),
    }


def _sentence(o: OptimisationResult, row: dict[str, Any], m: str, best_hand: str | None, level: float) -> str:
    plan, n = row["plan"], row[m]["n"]
    budget = "; ".join(
        f"{k} {v['mean']:.3g} [{v['ci_low']:.3g}, {v['ci_high']:.3g}]" for k, v in row["budgets"].items()
    )
    tail = f" ({budget})" if budget else ""
    if not row["within_budget"]:
        return f"{plan} is over the budget on the confirmation{tail}, so it does not count."
    if best_hand is None:
        return f"{plan} is within the budget{tail}; no hand-written plan is, so there is nothing to beat."
    v = row["vs_best_hand_written"]
    better = (v["ci_low"] > 0) if DIRECTIONS[m] else (v["ci_high"] < 0)
    worse = (v["ci_high"] < 0) if DIRECTIONS[m] else (v["ci_low"] > 0)
    ci = f"{fmt.diff(m, v['diff'])} [{fmt.diff(m, v['ci_low'])}, {fmt.diff(m, v['ci_high'])}]"
    how = (
        f"{level:.1%} paired CI over {n} fresh replications, Bonferroni over {len(o.candidates)} candidate(s)"
    )
    row["beats_best_hand_written"] = bool(better)
    other = f"{best_hand}, the best hand-written plan within the budget, on {fmt.label(m)}"
    if better:
        return f"{plan} beats {other}: {ci} ({how}){tail}."
    if worse:
        return f"{plan} is worse than {other}: {ci} ({how}){tail}."
    return f"{plan} could not be told apart from {other}: {ci} ({how}; the interval includes zero){tail}."
