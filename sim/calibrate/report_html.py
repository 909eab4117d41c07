"""The calibration's ``report.html``: observed and simulated side by side, the estimates with their
intervals, what the exports cannot identify. Self-contained (figures embedded as PNG), in the
results report's style (``sim/report``)."""

from __future__ import annotations

import base64
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from sim.report.page import CSS, esc, table
from sim.report.style import BASELINE_COLOR, PALETTE, png_bytes, style

if TYPE_CHECKING:
    from sim.calibrate.result import Calibration

OBSERVED, SIMULATED = BASELINE_COLOR, PALETTE[0]


def _img(fig: Figure, caption: str) -> str:
    png = png_bytes(fig)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    width = int.from_bytes(png[16:20], "big")
    return (
        f'<figure><img src="{uri}" alt="{esc(caption)}" style="max-width:{width}px">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def _bars(cal: Calibration, prefix: str, labels: list[str], title: str, xlabel: str) -> Figure | None:
    """Observed bars against simulated means with the 5-95% spread of the replications."""
    names = [n for n in cal.fit.names if n.startswith(prefix)]
    if not names:
        return None
    idx = [cal.fit.names.index(n) for n in names]
    obs = cal.fit.observed[idx]
    sim = cal.fit.simulated[:, idx]
    x = np.arange(len(names))
    fig = Figure(figsize=(6.2, 3.0))
    ax = fig.add_subplot()
    ax.bar(x - 0.2, obs, 0.4, color=OBSERVED, label="observed")
    mean = np.nanmean(sim, axis=0)
    lo, hi = np.nanpercentile(sim, 5, axis=0), np.nanpercentile(sim, 95, axis=0)
    ax.bar(
        x + 0.2,
        mean,
        0.4,
        color=SIMULATED,
        label="simulated (5-95% of replications)",
        yerr=[mean - lo, hi - mean],
        ecolor="#555",
        capsize=2,
    )
    ax.set_xticks(x, labels[: len(names)], rotation=0 if len(names) < 8 else 90)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("share")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _discounts(cal: Calibration) -> Figure | None:
    levels = list(cal.spec.discount_levels)
    names = [f"discount_share.{lv:g}" for lv in levels if not math.isclose(lv, cal.spec.neutral_discount)]
    if not all(n in cal.fit.names for n in names) or not names:
        return None
    idx = [cal.fit.names.index(n) for n in names]
    obs = np.r_[cal.fit.observed[idx], 1 - np.nansum(cal.fit.observed[idx])]
    sim = np.column_stack([cal.fit.simulated[:, idx], 1 - np.nansum(cal.fit.simulated[:, idx], axis=1)])
    labels = [f"{100 * float(n.split('.', 1)[1]):g}%" for n in names] + [
        f"{100 * cal.spec.neutral_discount:g}%"
    ]
    fig = Figure(figsize=(6.2, 3.0))
    ax = fig.add_subplot()
    x = np.arange(len(labels))
    ax.bar(x - 0.2, obs, 0.4, color=OBSERVED, label="observed")
    mean = np.nanmean(sim, axis=0)
    ax.bar(
        x + 0.2,
        mean,
        0.4,
        color=SIMULATED,
        label="simulated (5-95% of replications)",
        yerr=[mean - np.nanpercentile(sim, 5, axis=0), np.nanpercentile(sim, 95, axis=0) - mean],
        ecolor="#555",
        capsize=2,
    )
    ax.set_xticks(x, labels)
    ax.set_title("Discount given (new business, won and lost)")
    ax.set_ylabel("share")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _forest(fit: pd.DataFrame, reps: int) -> Figure:
    """Every matched or checked moment as (observed - simulated) / its standard error."""
    rows = fit[fit["role"] != "distribution"].dropna(subset=["z"])
    fig = Figure(figsize=(6.8, 0.22 * len(rows) + 1.0))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    colours = np.where(rows["within_ci"], SIMULATED, "#c0392b")
    t95 = float(stats.t.ppf(0.975, max(reps - 1, 1)))
    ax.axvspan(-t95, t95, color="#eeeeee", zorder=0)
    ax.scatter(rows["z"].clip(-6, 6), y, c=colours, s=18, zorder=2)
    ax.axvline(0, color="#444", lw=0.8)
    ax.set_yticks(y, [f"{m} ({r})" for m, r in zip(rows["moment"], rows["role"], strict=True)], fontsize=7)
    ax.set_xlabel("(observed - simulated) / standard error; grey: within the 95% interval")
    ax.set_title("Fit of every moment")
    fig.tight_layout()
    return fig


def _survival(cal: Calibration) -> Figure | None:
    curves = cal.stage1.survival
    if not curves:
        return None
    fig = Figure(figsize=(6.2, 3.0))
    ax = fig.add_subplot()
    for (seg, frame), colour in zip(curves.items(), PALETTE, strict=False):
        t = frame.index.to_numpy(dtype=float)
        ax.step(t, frame["survival"], where="post", color=colour, label=seg)
        ax.fill_between(t, frame["low"], frame["high"], step="post", color=colour, alpha=0.15)
    ax.set_xlabel("months since the account's first ARR in the exports")
    ax.set_ylabel("share still a customer")
    ax.set_title("Account survival (Kaplan-Meier, 95% bands)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _num(x: float) -> str:
    if not math.isfinite(x):
        return ""
    return f"{x:,.4g}" if abs(x) < 1e5 else f"{x:,.0f}"


def report_html(cal: Calibration) -> str:
    """The whole page."""
    fit = cal.fit_table()
    main = fit[fit["role"] != "distribution"]
    within = int(main["within_ci"].sum())
    ident = [e for e in cal.estimates if e.identified and e.stage not in ("count", "reported")]
    not_ident = [e for e in cal.estimates if not e.identified and e.stage not in ("count", "reported")]
    o = cal.crm.opportunities
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Calibration: {esc(cal.scenario.name)}</title><style>{CSS}</style></head><body><main>",
        '<header class="top"><div class="kicker">incentsim calibrate</div>',
        f"<h1>{esc(cal.scenario.name)}</h1>",
        f'<p class="lead">The company fitted to its CRM exports from {cal.crm.start} to {cal.crm.end} '
        f"({cal.crm.months} months) under its current plan ({esc(cal.scenario.baseline)}).</p></header>",
        '<div class="cards">',
        *(
            f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div></div>'
            for k, v in (
                ("opportunities", f"{len(o):,}"),
                ("accounts", f"{cal.crm.arr['account'].nunique():,}"),
                ("moments within their 95% interval", f"{within} of {len(main)}"),
                ("fields identified", f"{len(ident)}"),
                ("not identified", f"{len(not_ident)}"),
                ("replications at the estimate", f"{cal.fit.reps}"),
            )
        ),
        "</div>",
        "<h2>Observed and simulated</h2>",
        '<p class="explain">Observed: the exports. Simulated: the calibrated scenario under the current '
        f"plan, {cal.fit.reps} replications of a history as long as the exports, each read the way the "
        "exports are read. The interval of a moment is its spread across such histories (the sampling "
        "error of the exports under the fitted model).</p>",
    ]
    with style(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN moment is drawn as missing
        figs = [
            (
                _forest(fit, cal.fit.reps),
                "Each moment's gap in standard errors (red: outside its 95% interval).",
            ),
            (_discounts(cal), "Discounts: observed shares and the simulated ones."),
            (
                _bars(
                    cal,
                    "close_week.",
                    [str(k) for k in range(1, 14)],
                    "Won new deals by week of the fiscal quarter",
                    "week of quarter",
                ),
                "Close timing: bunching in the last weeks is the response to quarter ends.",
            ),
            (
                _bars(
                    cal,
                    "acv_bin.",
                    [str(k) for k in range(1, 11)],
                    "Won new deal size (deciles of the observed)",
                    "decile of observed ACV",
                ),
                "Deal sizes: each observed decile holds 10% by construction.",
            ),
            (
                _bars(
                    cal,
                    "attainment_bin.",
                    [f"{k / 10:.1f}" for k in range(0, 21)],
                    "Quota attainment per AE and period",
                    "attainment from",
                ),
                "Attainment: bunching just above 1.0 is the response to quota.",
            ),
            (_survival(cal), "Accounts still paying by months since their first ARR (observed)."),
        ]
        parts += [_img(f, c) for f, c in figs if f is not None]
    parts.append("<h2>Every moment</h2>")
    parts.append(
        table(
            [
                "moment",
                "role",
                "observed",
                "95% interval",
                "simulated",
                "difference",
                "95% interval",
                "within",
            ],
            [
                [
                    r.moment,
                    r.role,
                    _num(r.observed),
                    f"{_num(r.observed_low)} to {_num(r.observed_high)}",
                    _num(r.simulated),
                    _num(r.difference),
                    f"{_num(r.difference_low)} to {_num(r.difference_high)}",
                    "yes" if r.within_ci else "NO",
                ]
                for r in main.itertuples()
            ],
            text_columns=2,
        )
    )
    parts.append("<h2>Estimates</h2>")
    parts.append(
        '<p class="explain">Stage 1 reads fields off the exports (regressions and likelihoods); stage 2 '
        "matches world fields to their statistic by simulation (bridged) and chooses behaviour fields by "
        "simulated method of moments. Intervals are 95%.</p>"
    )
    parts.append(
        table(
            ["field", "value", "95% interval", "stage", "identified", "method", "note"],
            [
                [
                    e.path,
                    _num(e.value),
                    f"{_num(e.low)} to {_num(e.high)}" if e.has_interval else "",
                    e.stage,
                    "yes" if e.identified else "no",
                    e.method,
                    e.note,
                ]
                for e in cal.estimates
            ],
            text_columns=1,
        )
    )
    parts.append("<h2>Not identified: ranges for the sensitivity command</h2>")
    parts.append(
        table(
            ["field", "distribution", "low", "high", "source"],
            [
                [p, u["distribution"], _num(u["low"]), _num(u["high"]), u["source"]]
                for p, u in cal.uncertainties.items()
            ],
        )
    )
    parts.append("<h2>Notes</h2><ul>")
    parts += [f"<li>{esc(n)}</li>" for n in [*cal.crm.notes, *cal.log]]
    parts.append("</ul></main></body></html>")
    return "\n".join(parts)
