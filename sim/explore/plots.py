"""Figures of a sensitivity run (matplotlib, the report's style; returned, never shown)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.explore.indices import tornado
from sim.report import fmt
from sim.report.style import BETTER, PALETTE, WORSE, plan_colors, style
from sim.rng import stream

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.explore.sensitivity_result import SensitivityResult


def _short(path: str, width: int = 38) -> str:
    """A parameter path short enough for an axis label (its last parts)."""
    if len(path) <= width:
        return path
    parts = path.split(".")
    out = parts[-1]
    for part in reversed(parts[:-1]):
        if len(out) + len(part) + 2 > width:
            return "…" + out
        out = f"{part}.{out}"
    return out


def _diff_axis(ax: Axes, metric: str, axis: str = "x") -> None:
    def f(x: float, _pos: int) -> str:
        return fmt.diff(metric, x) if x != 0 else "0"

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(nbins=4))
    target.set_major_formatter(FuncFormatter(f))


def _what(s: SensitivityResult, plan: str, metric: str) -> str:
    return (
        f"{fmt.label(metric)}: {plan} − {s.baseline}"
        if plan != s.baseline
        else f"{fmt.label(metric)}: {plan}"
    )


def indices_figure(s: SensitivityResult, plan: str, metric: str) -> Figure:
    """Morris: mu* against sigma (and mu* bars with their intervals). Sobol: S1 and ST bars with
    their intervals."""
    kind = "difference" if plan != s.baseline else "value"
    t = s.indices[(s.indices["plan"] == plan) & (s.indices["metric"] == metric) & (s.indices["kind"] == kind)]
    names = [_short(p) for p in t["parameter"]]
    with style():
        if s.settings.method == "morris":
            fig = Figure(figsize=(11, 0.32 * len(t) + 2.6), layout="constrained")
            ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.15])
            order = np.argsort(t["mu_star"].to_numpy())
            y = np.arange(len(t))
            ax1.barh(
                y, t["mu_star"].to_numpy()[order], xerr=t["mu_star_conf"].to_numpy()[order], color="#2c7bb6"
            )
            ax1.set_yticks(y, [names[i] for i in order])
            ax1.set_title(f"μ* (mean |elementary effect|), {s.confidence:.0%} bootstrap CI")
            _diff_axis(ax1, metric)
            ax2.scatter(t["mu_star"], t["sigma"], color="#2c7bb6")
            lim = max(float(np.nanmax(t["mu_star"])) if len(t) else 0.0, 1e-12)
            for x, yv, n in zip(t["mu_star"], t["sigma"], names, strict=True):
                if x >= 0.05 * lim:  # the screened-out cluster near zero stays unlabelled
                    ax2.annotate(n, (x, yv), fontsize=7, xytext=(3, 2), textcoords="offset points")
            ax2.plot([0, lim], [0, lim], color="#9e9e9e", lw=0.8, ls="--")
            ax2.set_xlabel("μ*")
            ax2.set_ylabel("σ (interactions or non-linearity)")
            _diff_axis(ax2, metric, "x")
            _diff_axis(ax2, metric, "y")
            ax2.set_title("μ* against σ (dashed: σ = μ*)")
        else:
            fig = Figure(figsize=(9, 0.36 * len(t) + 2.0), layout="constrained")
            ax = fig.subplots()
            order = np.argsort(t["ST"].to_numpy())
            y = np.arange(len(t))
            ax.barh(
                y - 0.18,
                t["ST"].to_numpy()[order],
                0.36,
                xerr=t["ST_conf"].to_numpy()[order],
                color="#2c7bb6",
                label="total order ST",
            )
            ax.barh(
                y + 0.18,
                t["S1"].to_numpy()[order],
                0.36,
                xerr=t["S1_conf"].to_numpy()[order],
                color="#abd9e9",
                label="first order S1",
            )
            ax.set_yticks(y, [names[i] for i in order])
            ax.axvline(0, color="black", lw=0.8)
            ax.set_xlabel(f"share of variance (bars: {s.confidence:.0%} bootstrap CI)")
            ax.legend(loc="lower right")
            ax.set_title("Sobol indices")
        fig.suptitle(_what(s, plan, metric), fontweight="bold")
    return fig


def tornado_figure(s: SensitivityResult, plan: str, metric: str, top: int = 12) -> Figure:
    """Mean outcome with each parameter in the lowest vs the highest quarter of its range."""
    kind = "difference" if plan != s.baseline else "value"
    y = s.outcome(metric, plan, kind)
    t = tornado(s.values, y, s.params).head(top)
    centre = float(np.mean(y))
    with style():
        fig = Figure(figsize=(9, 0.34 * len(t) + 1.9), layout="constrained")
        ax = fig.subplots()
        pos = np.arange(len(t))[::-1]
        for yi, (_, r) in zip(pos, t.iterrows(), strict=True):
            ax.barh(yi, r["at_low"] - centre, left=centre, color=WORSE, alpha=0.75, height=0.6)
            ax.barh(yi, r["at_high"] - centre, left=centre, color=BETTER, alpha=0.75, height=0.6)
        ax.set_yticks(pos, [_short(p) for p in t["parameter"]])
        ax.axvline(centre, color="black", lw=0.8)
        if kind == "difference":
            ax.axvline(0.0, color="#9e9e9e", lw=0.8, ls="--")
        _diff_axis(ax, metric) if kind == "difference" else None
        ax.set_xlabel(
            "red: parameter in its lowest quarter; green: in its highest quarter (mean over the design)"
        )
        ax.set_title(f"Tornado: {_what(s, plan, metric)}")
    return fig


def probability_figure(s: SensitivityResult) -> Figure:
    """Probability each plan is best, its interval, and the decisive part."""
    r = s.robustness
    colors = plan_colors(list(r["plan"]), s.baseline)
    with style():
        fig = Figure(figsize=(9, 0.42 * len(r) + 1.6), layout="constrained")
        ax = fig.subplots()
        pos = np.arange(len(r))[::-1]
        p = r["p_best"].to_numpy()
        err = [p - r["ci_low"].to_numpy(), r["ci_high"].to_numpy() - p]
        ax.barh(pos, p, color=[colors[x] for x in r["plan"]], alpha=0.45, height=0.6, label="best")
        ax.barh(
            pos,
            r["p_best_decisive"],
            color=[colors[x] for x in r["plan"]],
            height=0.6,
            label="best with a decisive paired lead",
        )
        interval = bool(np.isfinite(r["ci_low"].to_numpy()).all())  # none with too few blocks
        if interval:
            ax.errorbar(p, pos, xerr=np.clip(err, 0, None), fmt="none", color="black", capsize=3)
        ax.set_yticks(pos, list(r["plan"]))
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0%}"))
        ax.set_xlabel(
            f"share of sample points where the plan is best on {fmt.label(s.objective)} "
            + (f"({s.confidence:.0%} block-bootstrap CI)" if interval else "(too few blocks for an interval)")
        )
        ax.legend(loc="lower right")
        ax.set_title("Probability each plan is best")
    return fig


def regions_figure(s: SensitivityResult) -> Figure | None:
    """Best plan at each point over the two parameters that matter most for the flips."""
    limited = [lim["parameter"] for reg in s.regions for lim in reg.limits]
    ranked = list(dict.fromkeys(limited))
    if len(ranked) < 2:
        objective_plan = next((p for p in s.plans if p != s.baseline), None)
        if objective_plan is None or len(s.params) < 2:
            return None
        tor = tornado(s.values, s.outcome(s.objective, objective_plan), s.params)
        ranked = list(dict.fromkeys([*ranked, *tor["parameter"]]))
    names = [p.path for p in s.params]
    ix, iy = names.index(ranked[0]), names.index(ranked[1])
    colors = plan_colors(s.plans, s.baseline)
    with style():
        fig = Figure(figsize=(8, 5.2), layout="constrained")
        ax = fig.subplots()
        best = s.best["best"].to_numpy()
        rng = stream(0, 0, "explore.plots.jitter")  # jitter of drawn markers only (grid designs overlap)
        span = np.ptp(s.values, axis=0) + 1e-12
        for k, plan in enumerate(s.plans):
            m = best == plan
            if m.any():
                jx = s.values[m, ix] + rng.normal(0, 0.01, m.sum()) * span[ix]
                jy = s.values[m, iy] + rng.normal(0, 0.01, m.sum()) * span[iy]
                ax.scatter(
                    jx, jy, s=18, color=colors.get(plan, PALETTE[k % len(PALETTE)]), label=plan, alpha=0.8
                )
        ax.set_xlabel(names[ix])
        ax.set_ylabel(names[iy])
        ax.legend(loc="best", fontsize="small", title="best plan")
        ax.set_title("Best plan at each sample point")
    return fig
