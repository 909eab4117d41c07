"""Figures of the company's market and cash: penetration of finite segments and the cash curve."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from sim.report.data import MissingData, ReportData
from sim.report.outcome_plots import ts_frame
from sim.report.style import money_axis, plan_colors, plan_lines

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
    lines = plan_lines(data.plans, data.baseline)
    fig = Figure(figsize=(4.6 * len(segments) + 0.8, 4.4), layout="constrained")
    axes = fig.subplots(1, len(segments), squeeze=False, sharey=True)[0]
    for ax, (key, label, n) in zip(axes, segments, strict=True):
        pen = ts_frame(data, f"market_penetration_{key}")
        try:
            avail = ts_frame(data, f"available_share_{key}")
        except MissingData:
            avail = {}
        for plan, (mean, p10, p90) in pen.items():
            months = np.arange(1, len(mean) + 1)
            ax.plot(months, mean, color=colors[plan], label=plan, **lines[plan])
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
    balance = ts_frame(data, "cash_balance")
    collected = ts_frame(data, "cash_collected")
    colors = plan_colors(data.plans, data.baseline)
    lines = plan_lines(data.plans, data.baseline)
    fig = Figure(figsize=(11.0, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    for plan, (mean, p10, p90) in balance.items():
        months = np.arange(1, len(mean) + 1)
        left.plot(months, mean, color=colors[plan], label=plan, **lines[plan])
        left.fill_between(months, p10, p90, color=colors[plan], alpha=0.08, lw=0)
    for plan, (mean, _p10, _p90) in collected.items():
        months = np.arange(1, len(mean) + 1)
        right.plot(months, mean, color=colors[plan], label=plan, **lines[plan])
    left.axhline(0.0, color="black", lw=0.8)
    left.set_title("Cash balance: collections − compensation paid (cumulative)", loc="left")
    right.set_title("Cash collected per month", loc="left")
    for ax in (left, right):
        ax.set_xlabel("month of the measured horizon")
        money_axis(ax, signed=ax is left)
    left.legend(fontsize=8, loc="best")
    return fig
