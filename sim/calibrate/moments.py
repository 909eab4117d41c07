"""The statistics a calibration matches: one definition, computed on exports and on simulations.

Every moment is a number computed from a :class:`~sim.calibrate.crm.Crm` over its window, so the
observed value (a company's exports) and the simulated one (:mod:`sim.calibrate.simulated`) are
the same formula. Names are ``family.detail`` (``win_rate.smb``); ``docs/calibrate.md`` defines
each one. New business is the new-logo opportunities closed in the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.calibrate.crm import AE, Crm, add_months, days, fiscal_quarter_start
from sim.scenario.schema import Scenario
from sim.vocabulary import MONTHS_PER

LATE_DAYS = 14
"""A close in the last ``LATE_DAYS`` days of a fiscal quarter is a late close (early: the first)."""
LAST_DAYS = 7
"""The quarter-end discount gap compares closes in the last ``LAST_DAYS`` days with the others."""
ATTAINMENT_BANDS = ((0.9, 1.0), (1.0, 1.1))
"""Attainment just below and just above quota (bunching above it is the response to the threshold)."""
LOW_FIT = 0.4
"""Opportunities with ideal-customer-profile fit below this are low-fit."""
EXOGENOUS_SOURCES = ("outbound", "marketing", "")
"""Sources whose volume is the market's (referral and champion leads come from customers)."""
ACV_BINS = 10
"""Bins of the deal-size histogram (deciles of the observed won new deals' log ACV)."""
ATTAINMENT_EDGES = np.round(np.arange(0.1, 2.01, 0.1), 2)
"""Inner edges of the attainment histogram (0.1 wide, the last bin 2 and above)."""
WEEKS = 13
"""Weeks of a quarter in the close-timing histogram (the 13th holds the last days)."""
HISTOGRAMS = ("close_week.", "acv_bin.", "attainment_bin.")
"""Moment families that are histogram bars (shown, not matched)."""


@dataclass(frozen=True)
class MomentSpec:
    """What to compute: segments, discount levels, quota, and which families the data allow."""

    segments: tuple[str, ...]
    discount_levels: tuple[float, ...]
    neutral_discount: float
    quota_months: int = 3
    """Months of a quota period (attainment is per person and period)."""
    annual_quota: float = float("nan")
    """The plan's annual AE quota (a person's own, from the people table, wins); NaN: none."""
    retention: bool = True
    """The window is long enough for 12-month cohorts (13 months or more)."""
    fit: bool = False
    """The opportunities carry a fit score."""
    missing: dict[str, float] = field(default_factory=dict)
    """Share of opportunities missing each optional column (simulated histories lose as many)."""
    acv_edges: tuple[float, ...] = ()
    """Inner edges of the deal-size histogram (log ACV deciles of the won new deals observed)."""

    @classmethod
    def of(cls, crm: Crm, scenario: Scenario, plan: str) -> MomentSpec:
        """The moments ``crm`` supports under ``scenario``'s plan ``plan``."""
        quota = scenario.plan(plan).ae.quota
        b = scenario.behaviour.ae
        nb = crm.new_business()
        missing = {c: float(nb[c].isna().mean()) for c in ("discount", "fit", "created") if len(nb)}
        missing["source"] = float((nb["source"] == "").mean()) if len(nb) else 0.0
        levels = tuple(sorted(b.discount_options or [0.0]))
        won = nb[nb["won"] & (nb["amount"] > 0)]
        edges = np.quantile(np.log(won["amount"]), np.linspace(0, 1, ACV_BINS + 1)[1:-1]) if len(won) else []
        neutral = min(levels, key=lambda v: abs(v - b.neutral_discount))
        return cls(
            segments=tuple(crm.segments()),
            discount_levels=levels,
            neutral_discount=neutral,
            quota_months=MONTHS_PER[quota.period] if quota is not None else 3,
            annual_quota=float(quota.annual_amount) if quota is not None else float("nan"),
            retention=crm.months >= 13,
            fit=bool(len(nb)) and missing.get("fit", 1.0) < 1.0,
            missing={k: v for k, v in missing.items() if v > 0},
            acv_edges=tuple(float(e) for e in edges),
        )


def moments(crm: Crm, spec: MomentSpec) -> dict[str, float]:
    """Every moment of ``spec`` computed on ``crm`` (NaN where the data hold none)."""
    out: dict[str, float] = {}
    nb = crm.new_business()
    segment = nb["segment"].to_numpy()
    for s in spec.segments:
        out.update(_segment(crm, nb, segment == s, s, spec.fit))
    out.update(_book(crm, spec.segments))
    out.update(win_regression(nb, spec))
    out.update(_discounts(nb, spec))
    closed, amount, discount = _columns(nb, nb["won"].to_numpy(), "closed", "amount", "discount")
    out.update(_timing(crm, closed, amount, discount, spec))
    out.update(_attainment(crm, spec))
    if spec.fit:
        fit = nb["fit"].to_numpy()
        fit = fit[~np.isnan(fit)]
        out["low_fit_share"] = float((fit < LOW_FIT).mean()) if len(fit) else np.nan
    if spec.retention:
        out.update(_retention(crm, spec.segments))
    return out


def is_histogram(name: str) -> bool:
    """Whether moment ``name`` is a histogram bar (:data:`HISTOGRAMS`)."""
    return name.startswith(HISTOGRAMS)


def _mean(x: pd.Series | np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else np.nan


def _columns(frame: pd.DataFrame, rows: np.ndarray, *names: str) -> list[np.ndarray]:
    """Columns ``names`` of ``frame`` as arrays, only the ``rows`` (a mask) of each: no frame copied."""
    return [frame[n].to_numpy()[rows] for n in names]


def win_regression(nb: pd.DataFrame, spec: MomentSpec) -> dict[str, float]:
    """The slopes of a logistic regression of won on segment (one intercept each), fit and discount
    (IRLS): an auxiliary model whose coefficients the simulated company must reproduce. A CRM does
    not show promises or over-commitment, which reps choose with the discount, so these slopes are
    not the world's win odds; matched on both sides, they identify them (indirect inference)."""
    keep = ~np.isnan(nb["discount"].to_numpy()) & np.isin(nb["segment"].to_numpy(), list(spec.segments))
    if spec.fit:
        keep &= ~np.isnan(nb["fit"].to_numpy())
    names = ["discount"] + (["fit"] if spec.fit else [])
    segment, won, *x = _columns(nb, keep, "segment", "won", *names)
    if len(segment) < 20 or len(np.unique(x[0])) < 2:
        return {f"win_logit.{n}": np.nan for n in names}
    X = np.column_stack([(segment == s).astype(float) for s in spec.segments] + [v.astype(float) for v in x])
    y = won.astype(float)
    beta = np.zeros(X.shape[1])
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-X @ beta))
        w = np.maximum(p * (1 - p), 1e-9)
        step = np.linalg.lstsq(X.T @ (w[:, None] * X), X.T @ (y - p), rcond=None)[0]
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return {f"win_logit.{n}": float(b) for n, b in zip(names, beta[len(spec.segments) :], strict=True)}


def _sd(x: pd.Series | np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) > 1 else np.nan


def _segment(crm: Crm, nb: pd.DataFrame, rows: np.ndarray, s: str, fit: bool) -> dict[str, float]:
    """Segment ``s``'s moments from its ``rows`` of the new business ``nb``."""
    source, discount, amount, won, created, closed, f = _columns(
        nb, rows, "source", "discount", "amount", "won", "created", "closed", "fit"
    )
    priced = ~np.isnan(discount) & (amount > 0)
    log_list = np.log(amount[priced] / (1.0 - discount[priced]))
    dated = won & ~np.isnat(created)
    out = {
        f"opportunities_per_month.{s}": int(np.isin(source, EXOGENOUS_SOURCES).sum()) / crm.months,
        f"win_rate.{s}": _mean(won),
        f"log_list_acv.{s}": _mean(log_list),
        f"log_list_acv_sd.{s}": _sd(log_list),
        f"cycle_days.{s}": _mean(days(closed[dated]) - days(created[dated])),
    }
    if fit:
        f = f[~np.isnan(f)]
        out[f"fit_mean.{s}"], out[f"fit_sd.{s}"] = _mean(f), _sd(f)
    return out


def _book(crm: Crm, segments: tuple[str, ...]) -> dict[str, float]:
    """Accounts with ARR in the window's first month per segment; AEs employed on an average month
    start of the window, and AE departures per AE-year employed in the window (people table)."""
    a = crm.arr
    first = (np.asarray(a["month"], dtype="datetime64[M]") == np.datetime64(crm.start, "M")) & (
        a["arr"].to_numpy() > 0
    )
    (segment,) = _columns(a, first, "segment")
    out = {f"accounts_at_start.{s}": float((segment == s).sum()) for s in segments}
    hire, leave = _ae_dates(crm)
    if len(hire):
        starts = np.arange(crm.start, crm.end, dtype="datetime64[M]").astype("datetime64[D]")
        on = (hire[None, :] <= starts[:, None]) & (
            np.isnat(leave)[None, :] | (leave[None, :] > starts[:, None])
        )
        out["aes_employed"] = float(on.sum(axis=1).mean())
        t0, t1 = np.datetime64(crm.start, "D"), np.datetime64(crm.end, "D")
        left = ~np.isnat(leave) & (leave >= t0) & (leave < t1)
        stop = np.where(np.isnat(leave), t1, np.minimum(leave, t1))
        years = float(np.clip((stop - np.maximum(hire, t0)).astype(float), 0, None).sum()) / 365.25
        out["ae_departures_per_year"] = float(left.sum()) / years if years > 0 else np.nan
        out["ae_departures"] = float(left.sum())
    return out


def _aes(crm: Crm, *names: str) -> list[np.ndarray]:
    """Columns ``names`` of the people table, the AEs' rows only."""
    return _columns(crm.people, (crm.people["role"] == AE).to_numpy(), *names)


def _ae_dates(crm: Crm) -> tuple[np.ndarray, np.ndarray]:
    """The AEs' hire and leave dates (``datetime64[D]``; NaT: still employed)."""
    hire, leave = _aes(crm, "hire", "leave")
    return np.asarray(hire, dtype="datetime64[D]"), np.asarray(leave, dtype="datetime64[D]")


def _discounts(nb: pd.DataFrame, spec: MomentSpec) -> dict[str, float]:
    d = nb["discount"].dropna().to_numpy()
    levels = np.asarray(spec.discount_levels)
    if len(levels) < 2:
        return {}
    nearest = levels[np.abs(d[:, None] - levels[None, :]).argmin(axis=1)] if len(d) else d
    return {
        f"discount_share.{lv:g}": float(np.mean(np.isclose(nearest, lv))) if len(d) else np.nan
        for lv in levels
        if not np.isclose(lv, spec.neutral_discount)
    }


def _timing(
    crm: Crm, closed: np.ndarray, amount: np.ndarray, disc: np.ndarray, spec: MomentSpec
) -> dict[str, float]:
    """The close-timing moments of the won new deals (their close dates, amounts and discounts)."""
    closed = np.asarray(closed, dtype="datetime64[D]")
    qs = fiscal_quarter_start(closed, crm.fiscal_year_start_month)
    to_end = (add_months(qs, 3) - closed).astype(int)  # 1 on the quarter's last day
    since = (closed - qs).astype(int)
    last = to_end <= LAST_DAYS
    known = ~np.isnan(disc)
    gap = _mean(disc[last & known]) - _mean(disc[~last & known]) if (last & known).any() else np.nan
    week = np.minimum(since // 7, WEEKS - 1)
    hist = {f"close_week.{k + 1:02d}": _mean(week == k) for k in range(WEEKS)}
    if spec.acv_edges:
        acv_bin = np.searchsorted(np.asarray(spec.acv_edges), np.log(amount[amount > 0]), side="right")
        hist.update({f"acv_bin.{k + 1:02d}": _mean(acv_bin == k) for k in range(len(spec.acv_edges) + 1)})
    return hist | {
        "late_close_share": _mean(to_end <= LATE_DAYS),
        "early_close_share": _mean(since < LATE_DAYS),
        "quarter_end_discount_gap": gap,
        "log_acv_won_mean": _mean(np.log(amount[amount > 0])),
        "log_acv_won_sd": float(np.std(np.log(amount[amount > 0]), ddof=1))
        if (amount > 0).sum() > 1
        else np.nan,
    }


def _attainment(crm: Crm, spec: MomentSpec) -> dict[str, float]:
    """Shares of person-periods with attainment just below and just above quota: AEs employed for a
    whole quota period of the window, their won deals' ACV over the period's share of quota."""
    person, quota = _aes(crm, "name", "quota")
    quota = np.where(np.isnan(quota), spec.annual_quota, quota) * spec.quota_months / 12.0
    names = {"attainment_below_quota": ATTAINMENT_BANDS[0], "attainment_above_quota": ATTAINMENT_BANDS[1]}
    if not len(person) or not np.isfinite(quota).any():
        return {}
    starts = np.arange(crm.start, crm.end, dtype="datetime64[M]")[:: spec.quota_months]
    starts = starts[add_months(starts, spec.quota_months) <= np.datetime64(crm.end, "M")]
    hire, leave = _ae_dates(crm)
    o = crm.opportunities
    deal = o["won"].to_numpy() & np.isin(o["type"].to_numpy(), ["new", "upsell", "cross_sell"])
    closed, owner, amount = _columns(o, deal, "closed", "owner", "amount")
    closed = np.asarray(closed, dtype="datetime64[D]")
    att: list[np.ndarray] = []
    at = pd.Index(person).get_indexer(owner)  # each deal's owner among the AEs (-1: none of them)
    who = np.where(at < 0, np.nan, at)
    for m0 in starts:
        p0, p1 = np.datetime64(m0, "D"), add_months(np.datetime64(m0, "D"), spec.quota_months)
        employed = (hire <= p0) & (np.isnat(leave) | (leave >= p1)) & np.isfinite(quota)
        inside = (closed >= p0) & (closed < p1) & ~np.isnan(who)
        booked = np.bincount(who[inside].astype(int), weights=amount[inside], minlength=len(person))
        att.append(booked[employed] / quota[employed])
    a = np.concatenate(att) if att else np.zeros(0)
    if not len(a):
        return dict.fromkeys(names, np.nan)
    b = np.searchsorted(ATTAINMENT_EDGES, a, side="right")
    hist = {f"attainment_bin.{k + 1:02d}": float(np.mean(b == k)) for k in range(len(ATTAINMENT_EDGES) + 1)}
    return hist | {name: float(np.mean((a >= lo) & (a < hi))) for name, (lo, hi) in names.items()}


def _retention(crm: Crm, segments: tuple[str, ...]) -> dict[str, float]:
    """12-month cohorts of every month of the window: logo churn, GRR and NRR per segment
    (``docs/metrics.md`` definitions), and won expansion deals per account-year."""
    arr = crm.arr
    months = np.arange(crm.start, crm.end, dtype="datetime64[M]")
    m = np.asarray(arr["month"], dtype="datetime64[M]")
    inside = (m >= months[0]) & (m <= months[-1])
    account, segment, value = _columns(arr, inside, "account", "segment", "arr")
    codes, accounts = pd.factorize(account)
    col = (m[inside] - months[0]).astype(int)
    panel = np.zeros((len(accounts), len(months)))
    panel[codes, col] = value
    seg = segment[np.unique(codes, return_index=True)[1]]  # each account's segment on its first row
    o = crm.opportunities
    closed = o["closed"].to_numpy()
    won_type, won_segment = _columns(
        o, o["won"].to_numpy() & (closed >= crm.start) & (closed < crm.end), "type", "segment"
    )
    out: dict[str, float] = {}
    for s in segments:
        p = panel[seg == s]
        then, now = p[:, :-12], p[:, 12:]
        cohort = then > 0
        base = (then * cohort).sum()
        out[f"logo_churn.{s}"] = float((cohort & (now <= 0)).sum() / cohort.sum()) if cohort.any() else np.nan
        out[f"grr.{s}"] = float((np.minimum(now, then) * cohort).sum() / base) if base > 0 else np.nan
        out[f"nrr.{s}"] = float((now * cohort).sum() / base) if base > 0 else np.nan
        # the events behind them: accounts of any cohort that churned, shrank or grew in its year
        out[f"churned_accounts.{s}"] = float((cohort & (now <= 0)).any(axis=1).sum())
        out[f"shrunk_accounts.{s}"] = float((cohort & (now < then)).any(axis=1).sum())
        out[f"grown_accounts.{s}"] = float((cohort & (now > then)).any(axis=1).sum())
        # GRR and NRR are ratios of flows: the events behind them, weighted by their size
        out[f"lost_arr_events.{s}"] = effective_events((np.maximum(then - now, 0) * cohort).sum(axis=1))
        out[f"gained_arr_events.{s}"] = effective_events((np.maximum(now - then, 0) * cohort).sum(axis=1))
        account_years = (p > 0).sum() / 12.0
        for kind in ("upsell", "cross_sell"):
            n = int(((won_type == kind) & (won_segment == s)).sum())
            out[f"{kind}s_per_account_year.{s}"] = n / account_years if account_years else np.nan
            out[f"won_{kind}s.{s}"] = float(n)
    return out


def effective_events(x: np.ndarray) -> float:
    """Kish's effective number of events of a flow made of amounts ``x`` (one per account):
    ``(sum x)^2 / sum x^2``, so that the flow's relative standard error, a compound-Poisson sum's,
    is ``1 / sqrt`` of it (equal amounts: the count; unequal: fewer). 0 without a flow."""
    x = np.asarray(x, dtype=float)
    x = x[x > 0]
    return float(x.sum() ** 2 / np.sum(x * x)) if len(x) else 0.0
