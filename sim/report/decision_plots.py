"""The report's decision figures: the efficient frontier and the pay curves (matplotlib, object API)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.plans.paycurve import role_curve
from sim.report import fmt
from sim.report.data import MissingData, ReportData
from sim.report.style import BASELINE_COLOR, money_axis, plan_colors, plan_lines
from sim.vocabulary import ROLE_LABELS, ROLES

FRONTIER_OUTCOMES: tuple[str, ...] = ("nrr", "ending_arr")
ATTAINMENT_GRID = np.round(np.linspace(0.0, 2.5, 51), 4)
"""Attainments at which the pay curves are priced (0% to 250% in steps of 5 points)."""


def frontier(data: ReportData) -> Figure:
    """Payout cost against NRR and against ending ARR, as paired differences from the baseline
    with their intervals on both axes; the plans no other plan beats on both (on the means) are
    joined; dominated plans are hollow (which, and by which plan, is written in each panel)."""
    if not data.others:
        raise MissingData("only one plan: no frontier")
    decision = data.decision
    colors = plan_colors(data.plans, data.baseline)
    fig = Figure(figsize=(13.5, 5.0), layout="constrained")
    axes = fig.subplots(1, len(FRONTIER_OUTCOMES), squeeze=False)[0]
    handles: list[Line2D] = []
    for ax, outcome in zip(axes, FRONTIER_OUTCOMES, strict=True):
        table = decision.frontier(outcome)
        if table.empty:
            raise MissingData(f"no payout_cost or {outcome} in the replications")
        notes: list[str] = []
        ratio = fmt.is_ratio(outcome)
        scale = 100.0 if ratio else 1.0
        for r in table.to_dict("records"):
            x, y = float(r["cost_diff"]), float(r["outcome_diff"]) * scale
            if not (math.isfinite(x) and math.isfinite(y)):
                continue
            c = colors[str(r["plan"])]
            xerr = [[x - float(r["cost_low"])], [float(r["cost_high"]) - x]]
            yerr = [[y - float(r["outcome_low"]) * scale], [float(r["outcome_high"]) * scale - y]]
            if r["plan"] != data.baseline and all(np.isfinite(np.ravel(xerr + yerr))):
                ax.errorbar([x], [y], xerr=xerr, yerr=yerr, color=c, lw=1.0, capsize=2, alpha=0.7)
            dominated = bool(r["dominated"])
            ax.plot([x], [y], "o", ms=8, mfc="white" if dominated else c, mec=c, mew=1.6, zorder=5)
            if ax is axes[0]:
                label = str(r["plan"]) + (" (baseline)" if r["plan"] == data.baseline else "")
                handles.append(Line2D([], [], marker="o", ls="", ms=7, color=c, label=label))
            if dominated:
                means = "" if r["clearly_dominated"] else ", on the means"
                notes.append(f"{r['plan']} (by {r['dominated_by']}{means})")
        ax.text(
            0.01,
            0.99,
            "dominated (hollow): " + ("; ".join(notes) if notes else "none"),
            transform=ax.transAxes,
            va="top",
            fontsize=7.5,
            wrap=True,
            bbox={"facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.85},
        )
        front = table[~table["dominated"].astype(bool)].sort_values("cost_diff")
        ax.plot(front["cost_diff"], front["outcome_diff"] * scale, color="black", lw=0.9, ls="--", zorder=1)
        ax.axhline(0.0, color=BASELINE_COLOR, lw=0.7)
        ax.axvline(0.0, color=BASELINE_COLOR, lw=0.7)
        money_axis(ax, axis="x", signed=True)
        if ratio:
            ax.set_ylabel(f"{fmt.label(outcome)} minus {data.baseline} (percentage points)")
        else:
            money_axis(ax, axis="y", signed=True)
            ax.set_ylabel(f"{fmt.label(outcome)} minus {data.baseline}")
        ax.set_xlabel(f"payout cost per year minus {data.baseline}")
        ax.set_title(f"Payout cost vs {fmt.label(outcome)}: up and left is better")
    handles.append(
        Line2D([], [], color="black", ls="--", lw=0.9, label="frontier (plans no other beats on both means)")
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=8)
    return fig


def pay_curve_roles(data: ReportData) -> list[str]:
    """Roles for which some plan has a component paid on attainment."""
    plans = data.results.scenario.plans
    return [r for r in ROLES if any(role_curve(p.role(r), [1.0]) for p in plans)]


def pay_curves(data: ReportData) -> Figure:
    """Per role, each plan's variable pay per year against attainment (priced by the kernel)."""
    roles = pay_curve_roles(data)
    if not roles:
        raise MissingData("no plan pays any role on quota attainment or a bonus curve")
    colors = plan_colors(data.plans, data.baseline)
    lines = plan_lines(data.plans, data.baseline)
    fig = Figure(figsize=(13.5, 4.2), layout="constrained")
    axes = fig.subplots(1, len(roles), squeeze=False)[0]
    for ax, role in zip(axes, roles, strict=True):
        for plan in data.results.scenario.plans:
            curves = role_curve(plan.role(role), ATTAINMENT_GRID)
            if not curves:
                continue
            total = np.sum(list(curves.values()), axis=0)
            ax.plot(
                ATTAINMENT_GRID * 100, total, color=colors[plan.name], label=plan.name, **lines[plan.name]
            )
        for x in (50, 100, 150, 200):
            ax.axvline(x, color="#bbbbbb", lw=0.6, zorder=0)
        ax.set_title(f"{ROLE_LABELS[role]}: variable pay per year vs attainment")
        ax.set_xlabel("attainment (% of quota or bonus target), the same every period")
        money_axis(ax)
        ax.legend(fontsize=7.5, loc="upper left")
    return fig
