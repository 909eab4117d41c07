"""Figures of the outcomes: the forest of key metrics, ARR over time, payout by role, the waterfall
from the baseline's ending ARR to each plan's."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.experiment import stats
from sim.report import fmt
from sim.report.data import KEY_METRICS, MissingData, ReportData, lookup
from sim.report.style import (
    BASELINE_COLOR,
    BETTER,
    NEUTRAL,
    SIGNIFICANT,
    WORSE,
    grid_shape,
    metric_axis,
    money_axis,
    plan_colors,
    plan_lines,
)
from sim.vocabulary import ROLE_LABELS, ROLES


def forest(data: ReportData) -> Figure:
    """Paired differences vs the baseline: one panel per key metric, plans on the y axis,
    CI bars, a zero line; significant differences filled (green better, red worse)."""
    if not data.others:
        raise MissingData("only one plan: there is nothing to compare with the baseline")
    metrics = [m for m in data.metrics_present(list(KEY_METRICS))]
    comp = data.comparison
    comp = comp[comp["metric"].isin(metrics)]
    if comp.empty:
        raise MissingData("comparison has no key metrics")
    others = data.others
    nrows, ncols = grid_shape(len(metrics), 5)
    height = 1.1 + nrows * (0.75 + 0.32 * len(others))
    fig = Figure(figsize=(13.5, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    y = np.arange(len(others))[::-1]
    for i, ax in enumerate(axes.flat):
        if i >= len(metrics):
            ax.set_visible(False)
            continue
        m = metrics[i]
        sub = lookup(comp[comp["metric"] == m], "plan")
        better = fmt.HIGHER_IS_BETTER.get(m)
        for yi, plan in zip(y, others, strict=True):
            row = sub.get((plan,))
            if row is None or not np.isfinite(float(row["diff"])):
                continue
            d, lo, hi = float(row["diff"]), float(row["ci_low"]), float(row["ci_high"])
            sig = bool(row["significant"])
            if sig and better is not None:
                color = BETTER if (d > 0) == better else WORSE
            else:
                color = SIGNIFICANT if sig else NEUTRAL
            if np.isfinite(lo) and np.isfinite(hi):
                ax.errorbar([d], [yi], xerr=[[d - lo], [hi - d]], fmt="none", ecolor=color, capsize=3, lw=1.6)
            ax.plot([d], [yi], "o", ms=6.5, color=color, mfc=color if sig else "white", mew=1.6)
        ax.axvline(0.0, color="black", lw=0.9)
        ax.set_title(fmt.label(m) + (" (pp)" if fmt.is_ratio(m) else ""))
        metric_axis(ax, m, difference=True)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="y", visible=False)
        ax.set_yticks(y, others)
        ax.set_ylim(-0.6, len(others) - 0.4)
    handles = [
        Line2D([], [], marker="o", ls="", color=BETTER, label="significantly better"),
        Line2D([], [], marker="o", ls="", color=WORSE, label="significantly worse"),
        Line2D([], [], marker="o", ls="", color=SIGNIFICANT, label="significant (no better/worse)"),
        Line2D([], [], marker="o", ls="", color=NEUTRAL, mfc="white", label="not significant"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8.5)
    fig.suptitle(
        f"Paired difference vs {data.baseline} (mean and {data.confidence:.0%} CI, Bonferroni-adjusted)",
        fontweight="bold",
    )
    return fig


def ts_frame(data: ReportData, series: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    ts = data.results.timeseries
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if ts is not None and len(ts) and {"plan", "series", "month", "mean", "p10", "p90"} <= set(ts.columns):
        for plan in data.plans:
            sub = ts[(ts["plan"] == plan) & (ts["series"] == series)].sort_values("month")
            if len(sub):
                out[plan] = (
                    sub["mean"].to_numpy(float),
                    sub["p10"].to_numpy(float),
                    sub["p90"].to_numpy(float),
                )
        if out:
            return out
    per_rep = data.series(series)
    for plan, arr in per_rep.items():
        out[plan] = (
            np.nanmean(arr, axis=0),
            np.nanpercentile(arr, 10, axis=0),
            np.nanpercentile(arr, 90, axis=0),
        )
    return out


SERIES_LABELS: dict[str, str] = {
    "arr": "ARR at month end",
    "new_arr": "New ARR per month",
    "bookings": "Bookings per month",
    "payout_cost": "Payout cost per month",
    "customers": "Customers at month end",
    "cash_collected": "Cash collected per month",
    "cash_balance": "Cash balance at month end",
}
"""Titles of the monthly series (others show their name); every series but ``customers`` is in $."""


def arr_over_time(data: ReportData, series: str = "arr") -> Figure:
    """A monthly series (ARR by default) per plan (mean, P10–P90 band) and, when per-replication
    series are available, the paired difference vs the baseline with its CI band."""
    title = SERIES_LABELS.get(series, series.replace("_", " "))
    money = series != "customers"
    try:
        bands = ts_frame(data, series)
    except MissingData:
        raise MissingData(
            f"no monthly {series} series (timeseries.parquet and details are both missing)"
        ) from None
    paired: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if data.others:
        try:
            per_rep = data.series(series)
        except MissingData as exc:
            data.note(f"{title} over time: no paired-difference panel ({exc})")
            per_rep = {}
        base = per_rep.get(data.baseline)
        if base is not None:
            for plan in data.others:
                mine = per_rep.get(plan)
                if mine is None:
                    continue
                n = min(len(mine), len(base))
                w = min(mine.shape[1], base.shape[1])
                d = mine[:n, :w] - base[:n, :w]
                ivs = [stats.t_interval(d[:, j], data.confidence) for j in range(w)]
                paired[plan] = (
                    np.array([iv.mean for iv in ivs]),
                    np.array([iv.low for iv in ivs]),
                    np.array([iv.high for iv in ivs]),
                )
    colors = plan_colors(data.plans, data.baseline)
    lines = plan_lines(data.plans, data.baseline)
    ncols = 2 if paired else 1
    fig = Figure(figsize=(13.5 if paired else 9.0, 4.6), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    ax = axes[0]
    for plan, (mean, p10, p90) in bands.items():
        months = np.arange(1, len(mean) + 1)
        ax.plot(months, mean, color=colors[plan], label=plan, **lines[plan])
        ax.fill_between(months, p10, p90, color=colors[plan], alpha=0.07, lw=0)
    ax.set_title(f"{title} (mean, P10–P90 across replications)")
    ax.set_xlabel("month of the measured horizon")
    if money:
        money_axis(ax)
    ax.legend(fontsize=8, loc="upper left")
    if paired:
        ax2 = axes[1]
        for plan, (mean, lo, hi) in paired.items():
            months = np.arange(1, len(mean) + 1)
            ax2.plot(months, mean, color=colors[plan], lw=1.6, label=plan)
            ax2.fill_between(months, lo, hi, color=colors[plan], alpha=0.15, lw=0)
        ax2.axhline(0.0, color="black", lw=0.9)
        ax2.set_title(f"{title.split(' at ')[0].split(' per ')[0]} minus {data.baseline} "
                      f"(paired, {data.confidence:.0%} CI per month)")  # fmt: skip
        ax2.set_xlabel("month of the measured horizon")
        if money:
            money_axis(ax2, signed=True)
    return fig


def payout_by_role(data: ReportData) -> Figure:
    """Variable payout cost per year by role: median bar per plan with a P10–P90 whisker."""
    roles = [r for r in ROLES if f"payout_cost_{r}" in data.replications.columns]
    reps = data.replications
    roles = [r for r in roles if np.nanmax(np.abs(reps[f"payout_cost_{r}"].to_numpy(float)), initial=0.0) > 0]
    if not roles:
        raise MissingData("no payout_cost_<role> column has a non-zero value")
    plans = [p for p in data.plans if p in set(reps["plan"])]
    colors = plan_colors(data.plans, data.baseline)
    fig = Figure(figsize=(min(13.5, 4.0 + 0.55 * len(roles) * len(plans)), 4.4), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / len(plans)
    x = np.arange(len(roles))
    for j, plan in enumerate(plans):
        sub = reps[reps["plan"] == plan]
        q = np.array([np.nanpercentile(sub[f"payout_cost_{r}"].to_numpy(float), [10, 50, 90]) for r in roles])
        xs = x - 0.4 + width * (j + 0.5)
        ax.bar(xs, q[:, 1], width * 0.9, color=colors[plan], label=plan, alpha=0.9)
        ax.errorbar(
            xs,
            q[:, 1],
            yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]],
            fmt="none",
            ecolor="black",
            capsize=2,
            lw=0.9,
        )
    ax.set_xticks(x, [ROLE_LABELS.get(r, r) for r in roles])
    ax.grid(axis="x", visible=False)
    money_axis(ax)
    ax.set_title("Variable payout cost per year by role (bar P50, whisker P10–P90)")
    ax.legend(fontsize=8, ncols=min(3, len(plans)), loc="upper right")
    return fig


WATERFALL_STEPS: tuple[tuple[str, str, int], ...] = (
    ("new_arr", "New", 1),
    ("expansion_organic_usd", "Expansion", 1),
    ("upsell_usd", "Upsell", 1),
    ("cross_sell_usd", "Cross-sell", 1),
    ("contraction_usd", "Contraction", -1),
    ("price_erosion_usd", "Price erosion", -1),
    ("logos_lost_usd", "Logos lost", -1),
)
"""Waterfall steps: column (per year), label, sign."""


def waterfall_table(data: ReportData) -> dict[str, list[tuple[str, float]]]:
    """Per plan the waterfall's bars over the whole measured horizon: starting ARR, each movement
    (mean over replications, signed), an ``Other`` bar when the movements do not reconcile, ending ARR."""
    reps = data.replications
    start_col = "measure_start_arr" if "measure_start_arr" in reps.columns else "starting_arr"
    if not data.has(start_col, "ending_arr", "new_arr"):
        raise MissingData("the headwind/tailwind waterfall needs measure_start_arr, ending_arr and new_arr")
    steps = [s for s in WATERFALL_STEPS if s[0] in reps.columns]
    if "expansion_organic_usd" not in reps.columns and "expansion_usd" in reps.columns:
        steps = [
            ("expansion_usd", "Expansion (all)", 1),
            *[s for s in steps if s[0] not in ("new_arr", "upsell_usd", "cross_sell_usd")],
        ]
        steps.insert(0, ("new_arr", "New", 1))
        data.note("waterfall: no expansion_organic_usd; expansion, upsell and cross-sell shown together")
    missing = [s[0] for s in WATERFALL_STEPS if s[0] not in reps.columns]
    if missing:
        data.note(f"waterfall: columns {', '.join(missing)} are missing; the difference shows as Other")
    out: dict[str, list[tuple[str, float]]] = {}
    for plan in data.plans:
        sub = reps[reps["plan"] == plan]
        if sub.empty:
            continue
        start = float(np.nanmean(sub[start_col].to_numpy(float)))
        end = float(np.nanmean(sub["ending_arr"].to_numpy(float)))
        bars = [("Starting ARR", start)]
        total = start
        for col, name, sign in steps:
            v = sign * float(np.nanmean(sub[col].to_numpy(float))) * data.years
            bars.append((name, v))
            total += v
        other = end - total
        if abs(other) > 1e-6 * max(abs(end), 1.0):
            bars.append(("Other", other))
        bars.append(("Ending ARR", end))
        out[plan] = bars
    return out


def waterfall(data: ReportData) -> Figure:
    """Headwind/tailwind waterfall per plan, one horizontal bar per step (top to bottom): starting
    ARR, + new, + expansion/upsell/cross-sell, − contraction/price erosion, − logos lost, = ending
    ARR (means over replications). Each value is written at the end of its own bar, on its own
    row, so no two labels can meet; labels carry ids (``wf-value-*``, ``wf-step-*``) that the
    report's browser test reads."""
    table = waterfall_table(data)
    plans = list(table)
    nrows, ncols = grid_shape(len(plans), 3)
    steps = max(len(b) for b in table.values())
    fig = Figure(figsize=(13.5, 0.7 + (0.45 + 0.27 * steps) * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
    top = max(max(np.cumsum([v for _, v in bars[:-1]]).max(), bars[-1][1]) for bars in table.values())
    for i, ax in enumerate(axes.flat):
        if i >= len(plans):
            ax.set_visible(False)
            continue
        bars = table[plans[i]]
        level = 0.0
        for k, (_name, v) in enumerate(bars):
            total = k == 0 or k == len(bars) - 1
            if total:
                left, width, color = 0.0, v, BASELINE_COLOR if k == 0 else "#2c7bb6"
                level = v
            else:
                left, width = (level, v) if v >= 0 else (level + v, -v)
                color = BETTER if v >= 0 else WORSE
                level += v
            ax.barh(k, width, left=left, color=color, height=0.66)
            label = ax.text(
                left + width + 0.015 * top,
                k,
                fmt.money(v, signed=not total),
                ha="left",
                va="center",
                fontsize=7.5,
            )
            label.set_gid(f"wf-value-{i}-{k}")
        ax.set_yticks(range(len(bars)), [n for n, _ in bars], fontsize=8)
        for k, tick in enumerate(ax.get_yticklabels()):
            tick.set_gid(f"wf-step-{i}-{k}")
        ax.set_ylim(len(bars) - 0.4, -0.6)
        ax.grid(axis="y", visible=False)
        money_axis(ax, axis="x")
        ax.set_xlim(0, top * 1.3)
        ax.set_title(plans[i] + (" (baseline)" if plans[i] == data.baseline else ""))
    fig.suptitle(
        f"ARR bridge over the {data.years:g}-year measured horizon: tailwinds (green) and headwinds (red)",
        fontweight="bold",
    )
    return fig
