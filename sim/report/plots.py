"""The report's figures (matplotlib, object API: no pyplot state, rendered with the Agg canvas).

Every function takes a :class:`~sim.report.data.ReportData` and returns a Figure, or raises
:class:`~sim.report.data.MissingData` when the folder lacks what it needs. :data:`FIGURES`
lists them in report order with the PNG file name each is saved under.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim.experiment import stats
from sim.report import fmt
from sim.report.data import KEY_METRICS, MissingData, ReportData, lookup
from sim.vocabulary import ROLE_LABELS, ROLES

BASELINE_COLOR = "#4a4a4a"
PALETTE: tuple[str, ...] = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)
BETTER, WORSE, NEUTRAL, SIGNIFICANT = "#1a9641", "#d7191c", "#9e9e9e", "#2c7bb6"
ROLE_COLORS: dict[str, str] = {
    "ae": "#1f77b4",
    "csm": "#ff7f0e",
    "consultant": "#2ca02c",
    "marketing": "#9467bd",
    "product": "#8c564b",
    "sdr": "#e377c2",
}
STYLE: dict[str, Any] = {
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    # plan names are user text: "$" is a dollar sign, never the start of TeX math
    "text.parse_math": False,
}


@contextmanager
def style() -> Iterator[None]:
    """The report's matplotlib style, without touching global state outside the block."""
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def plan_colors(plans: list[str], baseline: str) -> dict[str, str]:
    """A stable colour per plan: the baseline dark grey, the others from a qualitative palette."""
    out: dict[str, str] = {}
    i = 0
    for p in plans:
        if p == baseline:
            out[p] = BASELINE_COLOR
        else:
            out[p] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def money_axis(ax: Axes, axis: str = "y", signed: bool = False) -> None:
    """Format an axis as $k/$M."""
    f = FuncFormatter(lambda x, _pos: fmt.money(x, signed=signed))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)


def _metric_axis(ax: Axes, metric: str, difference: bool) -> None:
    target = ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    if fmt.is_ratio(metric):
        target.set_major_formatter(PercentFormatter(1.0, symbol="" if difference else "%"))
    elif fmt.is_money(metric):
        target.set_major_formatter(FuncFormatter(lambda x, _pos: fmt.money(x, signed=difference)))


def png_bytes(fig: Figure) -> bytes:
    """A figure rendered to PNG by the Agg canvas."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    return buf.getvalue()


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


# --- figures --------------------------------------------------------------------------------


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
    nrows, ncols = _grid(len(metrics), 5)
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
        _metric_axis(ax, m, difference=True)
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


def _ts_frame(data: ReportData, series: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
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
        bands = _ts_frame(data, series)
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
    ncols = 2 if paired else 1
    fig = Figure(figsize=(13.5 if paired else 9.0, 4.6), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    ax = axes[0]
    for plan, (mean, p10, p90) in bands.items():
        months = np.arange(1, len(mean) + 1)
        top = plan == data.baseline
        ax.plot(months, mean, color=colors[plan], lw=2.4 if top else 1.6, label=plan, zorder=4 if top else 3)
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
    nrows, ncols = _grid(len(plans), 3)
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
    nrows, ncols = _grid(len(plans), 3)
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
    fig = Figure(figsize=(9.0, 4.2), layout="constrained")
    ax = fig.subplots()
    weeks = np.arange(13)
    for plan in data.plans:
        if plan not in samples:
            continue
        w = np.clip(np.floor(samples[plan]).astype(int), 0, 12)
        share = np.bincount(w, minlength=13)[:13] / w.size
        top = plan == data.baseline
        ax.plot(
            weeks + 1,
            share,
            marker="o",
            ms=3.5,
            color=colors[plan],
            lw=2.6 if top else 1.5,
            label=plan,
            zorder=4 if top else 3,
        )
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


MARKET_SEGMENTS: tuple[tuple[str, str], ...] = (
    ("smb", "SMB"),
    ("mid_market", "Mid-market"),
    ("enterprise", "Enterprise"),
)


def finite_segments(data: ReportData) -> list[tuple[str, str, int]]:
    """(segment, label, organisations) of the scenario's finite-market segments."""
    segs = data.results.scenario.company.segments
    out = []
    for key, label in MARKET_SEGMENTS:
        n = int(getattr(getattr(segs, key), "addressable_organisations", 0) or 0)
        if n > 0:
            out.append((key, label, n))
    return out


def market_penetration(data: ReportData) -> Figure:
    """Per finite-market segment: customers / organisations at each month end per plan (mean, P10–P90
    band) and the share of organisations available to approach (dashed, mean)."""
    segments = finite_segments(data)
    if not segments:
        raise MissingData("every segment's market is unlimited (addressable_organisations: 0)")
    colors = plan_colors(data.plans, data.baseline)
    fig = Figure(figsize=(4.6 * len(segments) + 0.8, 4.4), layout="constrained")
    axes = fig.subplots(1, len(segments), squeeze=False, sharey=True)[0]
    for ax, (key, label, n) in zip(axes, segments, strict=True):
        pen = _ts_frame(data, f"market_penetration_{key}")
        try:
            avail = _ts_frame(data, f"available_share_{key}")
        except MissingData:
            avail = {}
        for plan, (mean, p10, p90) in pen.items():
            months = np.arange(1, len(mean) + 1)
            top = plan == data.baseline
            ax.plot(
                months, mean, color=colors[plan], lw=2.4 if top else 1.6, label=plan, zorder=4 if top else 3
            )
            ax.fill_between(months, p10, p90, color=colors[plan], alpha=0.08, lw=0)
            if plan in avail:
                ax.plot(months, avail[plan][0][: len(months)], color=colors[plan], lw=1.1, ls="--")
        ax.set_title(f"{label}: {n:,} organisations")
        ax.set_xlabel("month of the measured horizon")
        ax.set_ylim(0.0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0].set_ylabel("share of organisations")
    handles = [Line2D([], [], color=colors[p], lw=2, label=p) for p in data.plans]
    handles += [
        Line2D([], [], color="black", lw=2, label="customers (penetration)"),
        Line2D([], [], color="black", lw=1.1, ls="--", label="available to approach"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5), fontsize=8)
    return fig


def cash_curve(data: ReportData) -> Figure:
    """Billing on: the cash balance (cumulative collections less compensation paid) at each month end
    per plan (mean, P10–P90 band), and cash collected per month (mean)."""
    if not data.results.scenario.company.billing.enabled:
        raise MissingData("billing is off (company.billing.enabled: false)")
    balance = _ts_frame(data, "cash_balance")
    collected = _ts_frame(data, "cash_collected")
    colors = plan_colors(data.plans, data.baseline)
    fig = Figure(figsize=(11.0, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    for plan, (mean, p10, p90) in balance.items():
        months = np.arange(1, len(mean) + 1)
        top = plan == data.baseline
        left.plot(
            months, mean, color=colors[plan], lw=2.4 if top else 1.6, label=plan, zorder=4 if top else 3
        )
        left.fill_between(months, p10, p90, color=colors[plan], alpha=0.08, lw=0)
    for plan, (mean, _p10, _p90) in collected.items():
        months = np.arange(1, len(mean) + 1)
        right.plot(months, mean, color=colors[plan], lw=2.0 if plan == data.baseline else 1.4, label=plan)
    left.axhline(0.0, color="black", lw=0.8)
    left.set_title("Cash balance: collections − compensation paid (cumulative)", loc="left")
    right.set_title("Cash collected per month", loc="left")
    for ax in (left, right):
        ax.set_xlabel("month of the measured horizon")
        money_axis(ax, signed=ax is left)
    left.legend(fontsize=8, loc="best")
    return fig


@dataclass(frozen=True)
class FigureSpec:
    """A report figure: its PNG name and the function drawing it."""

    name: str
    draw: Callable[[ReportData], Figure]


FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        FigureSpec("forest", forest),
        FigureSpec("arr-over-time", arr_over_time),
        FigureSpec("waterfall", waterfall),
        FigureSpec("payout-by-role", payout_by_role),
        FigureSpec("attainment", attainment_hist),
        FigureSpec("discount", discount_hist),
        FigureSpec("close-week", close_week),
        FigureSpec("second-order", second_order),
        FigureSpec("winners-losers", winners_losers),
    )
}
"""Every report figure by name (``plots/<name>.png``)."""

CONDITIONAL_FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (FigureSpec("market-penetration", market_penetration), FigureSpec("cash-curve", cash_curve))
}
"""Figures drawn only for scenarios that have what they show (a finite market); a scenario without
it gets a sentence instead of a figure, so these are not counted among :data:`FIGURES`."""


INLINE_FIGURES: frozenset[str] = frozenset({"waterfall"})
"""Figures the report embeds as inline SVG (text stays text, so a browser can check where each
label falls); the others are PNG images. Every figure is also saved as ``plots/<name>.png``."""


def decision_figures() -> dict[str, FigureSpec]:
    """The decision figures (:mod:`sim.report.decision_plots`): the frontier and the pay curves."""
    from sim.report import decision_plots as dp

    return {
        spec.name: spec
        for spec in (FigureSpec("frontier", dp.frontier), FigureSpec("pay-curves", dp.pay_curves))
    }


def draw(data: ReportData, name: str) -> Figure:
    """Draw one figure (in the report style: call inside :func:`style`); raises MissingData."""
    spec = FIGURES.get(name) or CONDITIONAL_FIGURES.get(name) or decision_figures()[name]
    return spec.draw(data)


def render(data: ReportData, name: str) -> bytes:
    """Draw one figure in the report style and return its PNG (raises MissingData)."""
    with style():
        return png_bytes(draw(data, name))


def svg_text(fig: Figure) -> str:
    """A figure as an inline SVG element whose text stays text (the browser lays it out, so a page
    can check where labels fall); the XML prologue is dropped."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "incentsim"}):
        fig.savefig(buf, format="svg", facecolor="white")
    text = buf.getvalue()
    return text[text.index("<svg") :]
