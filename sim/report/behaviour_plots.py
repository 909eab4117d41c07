"""Figures of behaviour: attainment and discount distributions, the week deals close in, second-order
effects, and who wins and loses under each plan."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from sim.report import fmt
from sim.report.data import MissingData, ReportData, lookup
from sim.report.style import ROLE_COLORS, grid_shape, money_axis, plan_colors, plan_lines
from sim.vocabulary import ROLE_LABELS, ROLES


def _histograms(
    data: ReportData, key: str, title: str, xlabel: str, percent: bool, mark: float | None
) -> Figure:
    samples = data.samples(key)
    plans = [p for p in data.plans if p in samples]
    allv = np.concatenate(list(samples.values()))
    hi = float(np.nanpercentile(allv, 99.5))
    lo = min(0.0, float(allv.min()))
    if hi <= lo:
        hi = lo + 1.0
    bins = np.linspace(lo, hi, 26)
    nrows, ncols = grid_shape(len(plans), 3)
    fig = Figure(figsize=(13.5, 0.7 + 2.5 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    colors = plan_colors(data.plans, data.baseline)
    base = samples.get(data.baseline)
    for i, ax in enumerate(axes.flat):
        if i >= len(plans):
            ax.set_visible(False)
            continue
        plan = plans[i]
        v = np.clip(samples[plan], lo, hi)
        ax.hist(v, bins=bins, weights=np.full(v.size, 1.0 / v.size), color=colors[plan], alpha=0.75)
        if base is not None and plan != data.baseline:
            b = np.clip(base, lo, hi)
            ax.hist(
                b,
                bins=bins,
                weights=np.full(b.size, 1.0 / b.size),
                histtype="step",
                color="black",
                lw=1.2,
                label=f"{data.baseline}",
            )
            ax.legend(fontsize=7.5, loc="upper right")
        if mark is not None:
            ax.axvline(mark, color="black", ls="--", lw=0.9)
        mean = float(np.mean(samples[plan]))
        extra = f", {float(np.mean(samples[plan] >= mark)):.0%} ≥ quota" if mark is not None else ""
        ax.set_title(f"{plan}: mean {fmt.pct(mean) if percent else f'{mean:.2f}'}{extra}", fontsize=9)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if percent:
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(axis="x", visible=False)
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    fig.suptitle(title, fontweight="bold")
    return fig


def attainment_hist(data: ReportData) -> Figure:
    """Quota attainment per AE and quota period, per plan (baseline outlined in black)."""
    return _histograms(
        data,
        "attainment",
        "Quota attainment per AE and quota period (share of AE-periods; dashed line: quota)",
        "attainment (1.0 = quota)",
        False,
        1.0,
    )


def discount_hist(data: ReportData) -> Figure:
    """Discount on new deals, per plan (baseline outlined)."""
    return _histograms(
        data, "discount", "Discount on new-logo deals (share of deals)", "discount", True, None
    )


def close_week(data: ReportData) -> Figure:
    """Share of new deals closed in each week of the fiscal quarter, per plan."""
    samples = data.samples("close_week_of_quarter")
    colors = plan_colors(data.plans, data.baseline)
    lines = plan_lines(data.plans, data.baseline)
    fig = Figure(figsize=(9.0, 4.2), layout="constrained")
    ax = fig.subplots()
    weeks = np.arange(13)
    for plan in data.plans:
        if plan not in samples:
            continue
        w = np.clip(np.floor(samples[plan]).astype(int), 0, 12)
        share = np.bincount(w, minlength=13)[:13] / w.size
        ax.plot(weeks + 1, share, marker="o", ms=3.5, color=colors[plan], label=plan, **lines[plan])
    ax.axvspan(11.5, 13.5, color="#f4a582", alpha=0.25, lw=0, label="last two weeks")
    ax.set_xticks(weeks + 1)
    ax.set_xlim(0.5, 13.5)
    ax.set_xlabel("week of the fiscal quarter")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title("New deals closed by week of the quarter (share of deals)")
    ax.legend(fontsize=8, ncols=2, loc="upper left")
    return fig


SOURCES: tuple[tuple[str, str, str], ...] = (
    ("outbound", "Outbound", "#bababa"),
    ("marketing", "Marketing", "#92c5de"),
    ("referral", "Referral", "#1a9641"),
    ("champion", "Former champion", "#a6d96a"),
)


def second_order(data: ReportData) -> Figure:
    """Share of new ARR from referrals and former champions (mean and CI per plan), and new ARR
    per year by lead source."""
    if not data.has("second_order_share"):
        raise MissingData("second_order_share is not in replications.parquet")
    summ = lookup(data.summary[data.summary["metric"] == "second_order_share"], "plan")
    plans = [p for p in data.plans if (p,) in summ]
    sources = [s for s in SOURCES if f"new_arr_{s[0]}" in data.replications.columns]
    if len(sources) < len(SOURCES):
        data.note(
            "second-order revenue: some new_arr_<source> columns are missing; the split by "
            "source shows those present"
        )
    ncols = 2 if sources else 1
    fig = Figure(figsize=(13.5 if sources else 7.0, 0.9 + 0.42 * len(plans) + 0.8), layout="constrained")
    axes = fig.subplots(1, ncols, sharey=True, squeeze=False)[0]
    colors = plan_colors(data.plans, data.baseline)
    y = np.arange(len(plans))[::-1]
    ax = axes[0]
    for yi, plan in zip(y, plans, strict=True):
        row = summ[(plan,)]
        m, lo, hi = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
        ax.barh(yi, m, color=colors[plan], height=0.6, alpha=0.85)
        if np.isfinite(lo) and np.isfinite(hi):
            ax.errorbar([m], [yi], xerr=[[m - lo], [hi - m]], fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, plans)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(f"Second-order share of new ARR (mean, {data.confidence:.0%} CI)")
    ax.grid(axis="y", visible=False)
    if sources:
        ax2 = axes[1]
        reps = data.replications
        left = np.zeros(len(plans))
        for key, name, color in sources:
            vals = np.array(
                [
                    float(np.nanmean(reps.loc[reps["plan"] == p, f"new_arr_{key}"].to_numpy(float)))
                    for p in plans
                ]
            )
            vals = np.nan_to_num(vals)
            ax2.barh(y, vals, left=left, color=color, height=0.6, label=name)
            left += vals
        money_axis(ax2, axis="x")
        ax2.set_title("New ARR per year by lead source (mean)")
        ax2.legend(fontsize=8, ncols=4, loc="lower right", bbox_to_anchor=(1.0, 1.06))
        ax2.grid(axis="y", visible=False)
    return fig


_HORIZONTAL: dict[str, Any] = (
    {"orientation": "horizontal"}
    if tuple(int(x) for x in mpl.__version__.split(".")[:2]) >= (3, 10)
    else {"vert": False}
)
"""Horizontal boxplots (``orientation`` replaced ``vert`` in Matplotlib 3.10)."""


def winners_losers(data: ReportData) -> Figure:
    """Per non-baseline plan, the distribution of each person's change in variable pay per year vs
    the baseline (same person, same replication), points coloured by role."""
    if not data.others:
        raise MissingData("only one plan: no winners or losers against a baseline")
    diffs = data.people_diffs
    plans = [p for p in data.others if p in set(diffs["plan"])]
    fig = Figure(figsize=(11.0, 1.3 + 0.65 * len(plans)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(plans))[::-1]
    # Jitter for display only: a fixed hash-free offset pattern, not a model draw.
    for yi, plan in zip(y, plans, strict=True):
        sub = diffs[diffs["plan"] == plan]
        d = sub["diff"].to_numpy(float)
        ax.boxplot(
            [d],
            positions=[yi],
            **_HORIZONTAL,
            widths=0.55,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#f0f0f0", "edgecolor": "#555555"},
            medianprops={"color": "black"},
            whiskerprops={"color": "#555555"},
            capprops={"color": "#555555"},
        )
        offsets = ((np.arange(len(d)) * 0.6180339887) % 1.0 - 0.5) * 0.42
        roles = sub["role"].to_numpy()
        for role in dict.fromkeys(roles):
            sel = roles == role
            color = ROLE_COLORS.get(str(role), "#333333")
            ax.scatter(d[sel], yi + offsets[sel], s=7, alpha=0.45, color=color, lw=0)
    ax.axvline(0.0, color="black", lw=0.9)
    ax.set_yticks(y, plans)
    ax.set_ylim(-0.6, len(plans) - 0.4)
    money_axis(ax, axis="x", signed=True)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"change in variable pay per year vs {data.baseline} (same person, same replication)")
    roles_present = [r for r in ROLES if r in set(diffs["role"])]
    ax.legend(
        handles=[Patch(color=ROLE_COLORS[r], label=ROLE_LABELS[r]) for r in roles_present],
        fontsize=8,
        ncols=len(roles_present),
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
    )
    ax.set_title("Winners and losers: per-person pay change", loc="left")
    return fig
