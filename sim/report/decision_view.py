"""The decision table as text cells: one formatting for the terminal, the report and notebooks.

:func:`decision_cells` turns a :class:`~sim.report.decide.Decision` into a header and rows of
``(value, interval)`` string pairs (interval empty when there is none), so each surface only
lays them out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.experiment.decision import BOOTSTRAP_DRAWS, DELTA_METHOD, MIN_BOOTSTRAP_REPLICATIONS
from sim.report import fmt
from sim.report.decide import Decision


def per_dollar(x: float, signed: bool = False) -> str:
    """A dollars-per-dollar ratio: ``$0.12``, ``−$1.40``; large ones as money (``$12.3k``)."""
    if x is None or not math.isfinite(x):
        return "–"
    if abs(x) >= 100:
        return fmt.money(x, signed=signed)
    sign = "−" if x < 0 else ("+" if signed and x > 0 else "")
    return f"{sign}${abs(x):.2f}"


Format = Callable[[float], str]
UNDEFINED = "n/a¹"
RATIO_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("payout_per_nrr_point", True),
    ("payout_per_ending_arr", False),
    ("payout_per_new_arr", False),
    ("cost_per_nrr_point", True),
)
"""Trade-off columns of the table: name, and whether the ratio is money (else dollars per dollar)."""


def _signed_money(x: float) -> str:
    return fmt.money(x, signed=True)


def _signed_per_dollar(x: float) -> str:
    return per_dollar(x, signed=True)


def _range(f: Format, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"[{f(low)}, {f(high)}]"


def _ratio(r: dict[str, Any], name: str, money: bool, base: bool) -> tuple[str, str]:
    if base:
        return ("–", "")
    est = float(r[name])
    if not math.isfinite(est):
        return (UNDEFINED, "")
    f = _signed_money if money else _signed_per_dollar
    return (f(est), _range(f, float(r[f"{name}_low"]), float(r[f"{name}_high"])))


def _rank(rank: float) -> str:
    return f"rank {rank:.0f}" if math.isfinite(rank) else ""


def _diff(r: dict[str, Any], key: str, f: Format, base: bool) -> tuple[str, str]:
    if base:
        return ("–", "")
    return (f(float(r[f"{key}_diff"])), _range(f, float(r[f"{key}_low"]), float(r[f"{key}_high"])))


@dataclass(frozen=True)
class DecisionCells:
    """The decision table, formatted: header, rows of (value, interval) and footnotes."""

    header: list[str]
    rows: list[list[tuple[str, str]]]
    classes: list[str]
    """``baseline`` for the baseline's row, else the verdict class."""
    notes: list[str]


def decision_cells(decision: Decision) -> DecisionCells:
    """Format :meth:`Decision.table` (see the module docstring)."""
    table = decision.table()
    objective = fmt.label(decision.objective)
    header = [
        "plan",
        "Δ NRR",
        "Δ payout / yr",
        "payout per NRR point",
        "payout per $ ending ARR",
        "payout per $ new ARR",
        "total cost per NRR point",
        "payout / bookings",
        f"P(best {objective})",
        "verdict",
    ]
    undefined = False
    rows, classes = [], []
    for r in table.to_dict("records"):
        base = r["plan_class"] == "baseline"
        ratios = [_ratio(r, name, money, base) for name, money in RATIO_COLUMNS]
        undefined = undefined or any(v == UNDEFINED for v, _ in ratios)
        p = float(r["probability_best"])
        rows.append(
            [
                (str(r["plan"]) + (" (baseline)" if base else ""), ""),
                _diff(r, "nrr", fmt.pp, base),
                _diff(r, "payout", _signed_money, base),
                *ratios,
                (
                    fmt.pct(float(r["payout_share"])),
                    _range(fmt.pct, float(r["payout_share_low"]), float(r["payout_share_high"])),
                ),
                (fmt.pct(p, 0) if math.isfinite(p) else "–", _rank(float(r["rank"]))),
                ("baseline" if base else str(r["plan_class"]), ""),
            ]
        )
        classes.append(str(r["plan_class"]))
    notes = [
        f"Paired differences vs {decision.results.baseline} with {decision.results.confidence:.0%} "
        "intervals (Bonferroni-adjusted for several plans). Ratios: the mean payout difference per "
        "unit of outcome difference (total cost: base and variable pay, marketing and advocacy "
        "budgets, so that a headcount change counts its salaries), intervals by the "
        f"{DELTA_METHOD}. Payout / bookings: variable "
        f"pay over sales bookings (new, upsell, cross-sell). P(best): share of {BOOTSTRAP_DRAWS:,} paired "
        f"bootstrap resamples of the replications in which the plan has the best mean {objective} "
        "(rank 1: the most likely best).",
    ]
    notes.append(
        "Reading a ratio: positive is the extra payout per unit of extra outcome (or, when both "
        "differences are negative, the payout saved per unit of outcome given up); negative is payout "
        "saved while the outcome improves (or extra payout for a worse outcome). The Δ columns and "
        "the verdict say which."
    )
    if undefined:
        notes.append(
            "¹ n/a: the outcome's paired difference is not significant (its interval includes zero), "
            "so the cost per unit of it has no finite interval."
        )
    n = decision.paired_replications
    if len(rows) > 1 and n < MIN_BOOTSTRAP_REPLICATIONS:
        notes.append(
            f"P(best) –: {n} paired replication{'' if n == 1 else 's'} with a finite {objective}; it is "
            f"given from {MIN_BOOTSTRAP_REPLICATIONS} on, as a bootstrap of fewer is too coarse and "
            f"too narrow to be a probability: run at least {MIN_BOOTSTRAP_REPLICATIONS} per plan."
        )
    return DecisionCells(header, rows, classes, notes)
