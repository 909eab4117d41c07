"""A verdict sentence per plan, written from its claims (:mod:`sim.experiment.claims`).

The sentence says only what the claims allow: a gain or a loss for a metric whose paired
interval excludes zero, "no detectable difference" for the others, and a cost per NRR point
only when :func:`~sim.experiment.claims.quotes_cost_per_outcome` says so. Example::

    revenue-realization vs conventional: better retention (NRR +1.7 pp, CI +0.9 to +2.5 pp) and
    $2.4M lower payout a year (CI $1.9M to $2.9M), but $6.9M less new ARR a year (CI $4.0M to
    $9.8M); no detectable difference in ending ARR. A trade-off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.experiment.claims import VERDICT_METRICS, Claim, PlanClass, claims_for, classify
from sim.experiment.claims import quotes_cost_per_outcome as quotes
from sim.report import fmt

NOUNS: dict[str, tuple[str, str, str]] = {
    "nrr": ("better retention", "worse retention", "NRR"),
    "payout_cost": ("lower payout a year", "higher payout a year", "payout"),
    "new_arr": ("more new ARR a year", "less new ARR a year", "new ARR"),
    "ending_arr": ("more ending ARR", "less ending ARR", "ending ARR"),
}
"""Per verdict metric: the words of a gain, of a loss, and its name."""

SUMMARY: dict[str, str] = {
    "dominates": "Better than {base} on every measure that differs.",
    "dominated": "Worse than {base} on every measure that differs.",
    "trade-off": "A trade-off.",
    "no detectable difference": (
        "No difference from {base} is detectable at {n} replications per plan; more replications "
        "would be needed to tell them apart."
    ),
}


@dataclass(frozen=True)
class Verdict:
    """A plan's verdict: its claims, its class and the sentence."""

    plan: str
    claims: tuple[Claim, ...]
    plan_class: PlanClass
    text: str


def _abs_money(x: float) -> str:
    return fmt.money(abs(x))


def _clause(c: Claim) -> str:
    gain, loss, name = NOUNS.get(c.metric, (f"better {c.metric}", f"worse {c.metric}", c.metric))
    words = gain if c.direction == "better" else loss
    lo, hi = sorted((abs(c.low), abs(c.high)))
    if fmt.is_ratio(c.metric):
        return f"{words} ({name} {fmt.pp(c.diff)}, CI {fmt.pp(c.low)} to {fmt.pp(c.high)})"
    return f"{_abs_money(c.diff)} {words} (CI {fmt.money(lo)} to {fmt.money(hi)})"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def sentence(
    plan: str,
    baseline: str,
    claims: Sequence[Claim],
    replications: int,
    cost_per_point: Mapping[str, Any] | None = None,
) -> str:
    """The verdict sentence of one plan (see the module docstring)."""
    better = [_clause(c) for c in claims if c.direction == "better"]
    worse = [_clause(c) for c in claims if c.direction == "worse"]
    none = [NOUNS.get(c.metric, ("", "", c.metric))[2] for c in claims if c.direction == "none"]
    kind = classify(claims)
    head = f"{plan} vs {baseline}: "
    if kind == "no detectable difference":
        return head + SUMMARY[kind].format(base=baseline, n=replications)
    body = _join(better) if better else ""
    if worse:
        body = (body + ", but " + _join(worse)) if body else _join(worse)
    if none:
        body += "; no detectable difference in " + _join(none)
    text = head + body + ". " + SUMMARY[kind].format(base=baseline, n=replications)
    if cost_per_point is not None and quotes(
        claims, "payout_cost", "nrr", bool(cost_per_point.get("defined"))
    ):
        est, lo, hi = (float(cost_per_point[k]) for k in ("estimate", "ci_low", "ci_high"))
        text += (
            f" Each NRR point costs {fmt.money(est)} of payout a year "
            f"(CI {fmt.money(lo)} to {fmt.money(hi)}, {cost_per_point.get('method', 'delta method')})."
        )
    return text


def verdicts(
    comparison: pd.DataFrame,
    trade_offs: pd.DataFrame,
    plans: Sequence[str],
    baseline: str,
    replications: Mapping[str, int],
) -> list[Verdict]:
    """One verdict per non-baseline plan present in the comparison table."""
    rows = comparison.to_dict("records")
    out = []
    for plan in plans:
        if plan == baseline:
            continue
        claims = claims_for(rows, plan, VERDICT_METRICS)
        if not claims:
            continue
        per_point = None
        if len(trade_offs):
            sel = trade_offs[
                (trade_offs["plan"] == plan) & (trade_offs["quantity"] == "payout_per_nrr_point")
            ]
            if len(sel):
                per_point = sel.iloc[0].to_dict()
        n = int(replications.get(plan, 0))
        text = sentence(plan, baseline, claims, n, per_point)
        out.append(Verdict(plan, tuple(claims), classify(claims), text))
    return out
