"""Figures of an optimisation (matplotlib, the report's style; returned, never shown)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.report import fmt
from sim.report.style import PALETTE, plan_colors, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.explore.optimisation import OptimisationResult


def _axis(ax: Axes, metric: str, axis: str, difference: bool) -> None:
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=5))
    f = fmt.diff if difference else fmt.value
    target.set_major_formatter(FuncFormatter(lambda v, _p: f(metric, v)))


def _second(o: OptimisationResult) -> tuple[str, bool]:
    """The x axis: the second objective (a difference), else the first budget metric, else payout."""
    if len(o.objectives) > 1:
        return o.objectives[1], True
    if o.budgets:
        return o.budgets[0].metric, False
    return "payout_cost", False


def front_figure(o: OptimisationResult) -> Figure:
    """Left: every search trial (differences against the baseline on the search replications).
    Right: the confirmation on fresh replications, each plan with its paired interval."""
    m = o.objectives[0]
    x_metric, x_diff = _second(o)
    t = o.trials
    colors = plan_colors(list(o.confirmation.plans), o.confirmation.baseline)
    with style():
        fig = Figure(figsize=(12, 5), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        ycol = f"{m}_vs_baseline"
        xcol = f"{x_metric}_vs_baseline" if x_diff else x_metric
        if len(t) and ycol in t and xcol in t:
            ok = t["feasible"] & (t["stopped"] == "")
            early = t["stopped"] != ""
            bad = ~t["feasible"] & (t["infeasible"] == "")
            ax1.scatter(
                t.loc[ok, xcol], t.loc[ok, ycol], s=22, color="#2c7bb6", label="feasible, full replications"
            )
            ax1.scatter(
                t.loc[early, xcol],
                t.loc[early, ycol],
                s=22,
                facecolors="none",
                edgecolors="#2c7bb6",
                label="stopped early (racing)",
            )
            ax1.scatter(
                t.loc[bad, xcol], t.loc[bad, ycol], s=22, marker="x", color="#d7191c", label="over budget"
            )
            for i, c in enumerate(o.chosen):
                row = t[t["trial"] == c.number]
                if len(row):
                    ax1.annotate(
                        o.candidates[i].name,
                        (row[xcol].iloc[0], row[ycol].iloc[0]),
                        fontsize=7,
                        xytext=(4, 3),
                        textcoords="offset points",
                    )
        for plan, ref in o.reference.items():
            if m in ref and (x_metric in ref):
                ax1.scatter([ref[x_metric]], [ref[m]], marker="s", s=30, color=colors.get(plan, "black"))
                ax1.annotate(
                    plan, (ref[x_metric], ref[m]), fontsize=7, xytext=(4, -9), textcoords="offset points"
                )
        ax1.axhline(0, color="black", lw=0.8)
        ax1.set_title("Search (common random numbers; squares: hand-written plans)")
        ax1.set_ylabel(f"{fmt.label(m)} vs {o.confirmation.baseline}")
        ax1.set_xlabel(f"{fmt.label(x_metric)}{' vs baseline' if x_diff else ''}")
        _axis(ax1, m, "y", True)
        _axis(ax1, x_metric, "x", x_diff)
        ax1.legend(loc="best", fontsize="small")
        for b in o.budgets:
            if b.metric == x_metric and not x_diff:
                ax1.axvline(b.limit, color="#d7191c", ls="--", lw=0.9)
                ax2.axvline(b.limit, color="#d7191c", ls="--", lw=0.9)
        # confirmation
        for k, row in enumerate(o.verdict["plans"]):
            plan = row["plan"]
            vb = row["vs_baseline"]
            xb = row["budgets"].get(o.budgets[0].text()) if o.budgets and not x_diff else None
            if xb is None:
                xs = o.outcomes[o.outcomes["plan"] == plan][x_metric].to_numpy(dtype=float)
                xb = {"mean": float(np.nanmean(xs)), "ci_low": math.nan, "ci_high": math.nan}
            color = colors.get(plan, PALETTE[k % len(PALETTE)])
            marker = "D" if row["kind"] == "candidate" else "s"
            yerr = (
                [[vb["diff"] - vb["ci_low"]], [vb["ci_high"] - vb["diff"]]]
                if math.isfinite(vb["ci_low"])
                else None
            )
            xerr = (
                [[xb["mean"] - xb["ci_low"]], [xb["ci_high"] - xb["mean"]]]
                if math.isfinite(xb["ci_low"])
                else None
            )
            ax2.errorbar(
                [xb["mean"]],
                [vb["diff"] if plan != o.confirmation.baseline else 0.0],
                yerr=yerr,
                xerr=xerr,
                fmt=marker,
                color=color,
                capsize=3,
                label=plan,
            )
        ax2.axhline(0, color="black", lw=0.8)
        ax2.set_title("Confirmation on fresh replications (paired CIs)")
        ax2.set_xlabel(fmt.label(x_metric))
        _axis(ax2, m, "y", True)
        _axis(ax2, x_metric, "x", x_diff)
        ax2.legend(loc="best", fontsize="small")
    return fig


def importance_figure(o: OptimisationResult) -> Figure:
    """Optuna's fANOVA importance of each lever for the first objective."""
    imp = o.importance
    with style():
        fig = Figure(figsize=(8, 0.4 * max(len(imp), 1) + 1.4), layout="constrained")
        ax = fig.subplots()
        names = list(imp)[::-1]
        ax.barh(np.arange(len(names)), [imp[n] for n in names], color="#2c7bb6")
        ax.set_yticks(np.arange(len(names)), names)
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"share of the variance of {fmt.label(o.objectives[0])} across trials (fANOVA)")
        ax.set_title("Which levers matter" if imp else "Too few feasible trials for importance")
    return fig


def slice_figure(o: OptimisationResult) -> Figure:
    """The first objective (vs baseline) against each lever."""
    t = o.trials
    m = o.objectives[0]
    levers = [c for c in t.columns if c.startswith("lever:")] if len(t) else []
    cols = min(3, max(1, len(levers)))
    rows = max(1, math.ceil(len(levers) / cols))
    with style():
        fig = Figure(figsize=(4.2 * cols, 3.2 * rows), layout="constrained")
        axes: Any = np.atleast_1d(fig.subplots(rows, cols)).ravel()
        y = t[f"{m}_vs_baseline"] if len(t) else []
        for ax, col in zip(axes, levers, strict=False):
            ok = t["feasible"] & (t["stopped"] == "")
            x = t[col]
            numeric = pd.api.types.is_numeric_dtype(x)
            xs = x if numeric else x.astype(str)
            ax.scatter(xs[ok], y[ok], s=18, color="#2c7bb6")
            ax.scatter(xs[~ok], y[~ok], s=18, facecolors="none", edgecolors="#9e9e9e")
            ax.set_title(col.removeprefix("lever:"), fontsize=8)
            _axis(ax, m, "y", True)
        for ax in axes[len(levers) :]:
            ax.set_visible(False)
        fig.suptitle(
            f"{fmt.label(m)} vs baseline by lever (filled: feasible and run in full)", fontweight="bold"
        )
    return fig
