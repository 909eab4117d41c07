"""Stage 1, sales: what the opportunity export says directly, each estimate with its 95% interval.

* win rate against fit, discount and lead source: a logistic regression (statsmodels GLM,
  binomial, logit link) with one intercept per segment; its slopes are the scenario's
  ``win_odds_per_fit``, ``win_odds_per_discount`` and source odds, its intercepts the starting
  values of ``base_win_rate`` (matched by simulation in stage 2: promises and over-commitment
  are not in a CRM and move the intercept);
* sales cycles: a gamma GLM (log link) of days from created to closed on segment and source;
  the shape from the standardised cycles by maximum likelihood (Fisher information interval);
* list ACV: lognormal per segment (mean and coefficient of variation, delta-method and
  chi-square intervals);
* lead volume: a Poisson GLM of new opportunities created per month with month-of-year effects
  (seasonality, reported with its likelihood-ratio test: the world's arrivals are flat);
* source mix: the outbound share of outbound and marketing opportunities (Wilson interval);
* lead fit: a beta distribution truncated below at the pursuit threshold, by maximum
  likelihood (interval from the numerical Hessian);
* contract term: the most common term of won new deals.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from sim.calibrate.crm import Crm, days
from sim.calibrate.estimates import BRIDGED, COUNT, REPORTED, Estimate, clip_interval, unidentified
from sim.scenario.schema import Scenario

Z95 = float(stats.norm.ppf(0.975))
MIN_ROWS = 20
"""Rows an estimator needs (below: the field is reported as not identified)."""


def _seg(path: str, s: str) -> str:
    return f"company.segments.{s}.{path}"


def win_regression(
    crm: Crm, scenario: Scenario, segments: list[str], fit_means: dict[str, float]
) -> list[Estimate]:
    """Win probability against fit, discount and source (module docstring)."""
    import statsmodels.api as sm

    o = crm.new_business()
    o = o[o["segment"].isin(segments) & o["discount"].notna()]
    use_fit = bool(o["fit"].notna().sum() >= MIN_ROWS)
    if use_fit:
        o = o[o["fit"].notna()]
    cols: dict[str, np.ndarray] = {s: (o["segment"] == s).to_numpy(float) for s in segments}
    if use_fit:
        cols["fit"] = (o["fit"] - o["segment"].map(fit_means)).to_numpy(float)
    cols["discount"] = o["discount"].to_numpy(float)
    src = {
        s: "company.deals." + n
        for s, n in (("referral", "referral_win_odds"), ("champion", "champion_win_odds"))
    }
    for s in src:
        if (o["source"] == s).sum() >= MIN_ROWS:
            cols[s] = (o["source"] == s).to_numpy(float)
    X = pd.DataFrame(cols)
    method = "logistic regression of won on segment, fit, discount and source (statsmodels GLM, binomial)"
    if len(o) < MIN_ROWS or X["discount"].std() == 0:
        why = "too few closed opportunities with a discount, or every discount the same"
        return [
            unidentified(
                "behaviour.ae.win_odds_per_discount", scenario.behaviour.ae.win_odds_per_discount, why
            )
        ]
    res = sm.GLM(o["won"].to_numpy(float), X, family=sm.families.Binomial()).fit()
    ci = res.conf_int(0.05)
    out: list[Estimate] = []

    def est(path: str, name: str, stage: str = "direct", transform=None) -> Estimate:  # type: ignore[no-untyped-def]
        v, lo, hi = float(res.params[name]), float(ci.loc[name, 0]), float(ci.loc[name, 1])
        if transform is not None:
            v, lo, hi = transform(v), transform(lo), transform(hi)
        return Estimate(path, v, lo, hi, stage, method, len(o))

    for s in segments:
        e = est(_seg("base_win_rate", s), s, BRIDGED, special.expit)
        e.note = "intercept at the segment's mean fit and no discount; the starting value of stage 2"
        out.append(e)
    aux = "stage 2's starting value (promises and over-commitment, chosen with the discount, are not in CRMs)"
    if use_fit:
        out.append(clip_interval(est("company.deals.win_odds_per_fit", "fit", BRIDGED), 0.0, math.inf))
        out[-1].note = aux
    out.append(clip_interval(est("behaviour.ae.win_odds_per_discount", "discount", REPORTED), 0.0, math.inf))
    out[-1].identified = False
    out[-1].note = (
        "reported, not used: reps choose promises and over-commitment with the discount and a CRM records "
        "neither, so this slope mixes their effects (the fit of win_logit.discount checks the scenario's)"
    )
    for s, path in src.items():
        if s in cols:
            out.append(est(path, s))
    return out


def cycles(crm: Crm, segments: list[str]) -> list[Estimate]:
    """Sales-cycle means per segment, source multipliers and the gamma shape (module docstring)."""
    import statsmodels.api as sm

    o = crm.new_business()
    o = o[o["segment"].isin(segments) & o["created"].notna()]
    y = days(o["closed"]) - days(o["created"])
    keep = y > 0
    o, y = o[keep], y[keep]
    if len(o) < MIN_ROWS:
        return []
    cols = {s: (o["segment"] == s).to_numpy(float) for s in segments}
    mult = {"referral": "referral_cycle_multiplier", "champion": "champion_cycle_multiplier"}
    for s in mult:
        if (o["source"] == s).sum() >= MIN_ROWS:
            cols[s] = (o["source"] == s).to_numpy(float)
    X = pd.DataFrame(cols)
    res = sm.GLM(y, X, family=sm.families.Gamma(sm.families.links.Log())).fit()
    ci = np.exp(res.conf_int(0.05))
    method = "gamma GLM of days from created to closed on segment and source (statsmodels, log link)"
    out = [
        Estimate(
            _seg("sales_cycle_days", s),
            float(np.exp(res.params[s])),
            float(ci.loc[s, 0]),
            float(ci.loc[s, 1]),
            BRIDGED,
            method,
            int(cols[s].sum()),
            note="the starting value of stage 2 (close timing moves closes)",
        )
        for s in segments
    ]
    for s, name in mult.items():
        if s in cols:
            out.append(
                Estimate(
                    "company.deals." + name,
                    float(np.exp(res.params[s])),
                    float(ci.loc[s, 0]),
                    float(ci.loc[s, 1]),
                    "direct",
                    method,
                    int(cols[s].sum()),
                )
            )
    # shape: maximum likelihood of Gamma(k, 1/k) on the cycles over their fitted means
    r = y / res.fittedvalues.to_numpy()
    mean_log = float(np.mean(np.log(r)))

    def nll(k: float) -> float:
        return -(k * math.log(k) - special.gammaln(k) + (k - 1) * mean_log - k * float(np.mean(r)))

    k = float(optimize.minimize_scalar(nll, bounds=(0.05, 200.0), method="bounded").x)
    se = 1.0 / math.sqrt(len(r) * (special.polygamma(1, k) - 1.0 / k))
    out.append(
        Estimate(
            "company.deals.cycle_shape",
            k,
            max(k - Z95 * se, 1e-3),
            k + Z95 * se,
            "direct",
            "gamma shape by maximum likelihood on cycles over their fitted means",
            len(r),
        )
    )
    return out


def list_acv(crm: Crm, segments: list[str]) -> list[Estimate]:
    """Lognormal list ACV per segment: mean (matched in stage 2) and coefficient of variation."""
    o = crm.new_business()
    o = o[o["discount"].notna() & (o["amount"] > 0)]
    out: list[Estimate] = []
    method = "lognormal: mean and variance of log list ACV (amount / (1 - discount))"
    for s in segments:
        x = np.log((o["amount"] / (1.0 - o["discount"]))[o["segment"] == s].to_numpy())
        n = len(x)
        if n < MIN_ROWS:
            continue
        mu, var = float(x.mean()), float(x.var(ddof=1))
        se_log_mean = math.sqrt(var / n + var**2 / (2 * (n - 1)))
        log_mean = mu + var / 2
        out.append(
            Estimate(
                _seg("list_acv_mean_usd", s),
                math.exp(log_mean),
                math.exp(log_mean - Z95 * se_log_mean),
                math.exp(log_mean + Z95 * se_log_mean),
                BRIDGED,
                method,
                n,
                note="the starting value of stage 2 (pursuit selects which leads are seen)",
            )
        )
        lo_var = (n - 1) * var / stats.chi2.ppf(0.975, n - 1)
        hi_var = (n - 1) * var / stats.chi2.ppf(0.025, n - 1)
        cv = [math.sqrt(math.expm1(v)) for v in (var, lo_var, hi_var)]
        out.append(Estimate(_seg("list_acv_cv", s), cv[0], cv[1], cv[2], "direct", method, n))
    return out


def volumes(crm: Crm, segments: list[str]) -> list[Estimate]:
    """Opportunities created per month per segment (Poisson GLM with month-of-year effects)."""
    import statsmodels.api as sm

    o = crm.opportunities
    o = o[(o["type"] == "new") & o["source"].isin(("outbound", "marketing", "")) & o["created"].notna()]
    months = np.arange(crm.start, crm.end, dtype="datetime64[M]")
    created = np.asarray(o["created"], dtype="datetime64[M]")
    out: list[Estimate] = []
    for s in segments:
        c = created[(o["segment"] == s).to_numpy()]
        counts = np.array([(c == m).sum() for m in months], dtype=float)
        rate = counts.mean()
        res0 = sm.GLM(counts, np.ones((len(counts), 1)), family=sm.families.Poisson()).fit()
        disp = max(float(res0.pearson_chi2 / max(res0.df_resid, 1)), 1.0)
        se = math.sqrt(rate * disp / len(counts))
        out.append(
            Estimate(
                _seg("leads_per_month", s),
                rate,
                max(rate - Z95 * se, 0.0),
                rate + Z95 * se,
                BRIDGED,
                "new opportunities created per month (Poisson GLM, quasi-Poisson interval)",
                int(counts.sum()),
                note="the starting value of stage 2 (leads not pursued are not in a CRM)",
            )
        )
        moy = (months.astype(int) % 12).astype(int)
        if len(counts) >= 24 and len(set(moy.tolist())) == 12:
            X = pd.get_dummies(pd.Series(moy), drop_first=True, dtype=float)
            X.insert(0, "const", 1.0)
            res1 = sm.GLM(counts, X, family=sm.families.Poisson()).fit()
            lr = 2 * (res1.llf - res0.llf) / disp
            p = float(stats.chi2.sf(lr, 11))
            peak = int(np.argmax(np.r_[0.0, res1.params.to_numpy()[1:]])) + 1
            out.append(
                Estimate(
                    f"seasonality.{s}",
                    p,
                    stage=REPORTED,
                    method="likelihood-ratio test of month-of-year effects in a Poisson GLM (statsmodels)",
                    n=len(counts),
                    identified=p < 0.05,
                    note=f"p-value; busiest calendar month {peak}; the world's lead arrivals are flat",
                )
            )
    return out


def source_mix(crm: Crm) -> list[Estimate]:
    """The outbound share of outbound and marketing opportunities (Wilson interval)."""
    from statsmodels.stats.proportion import proportion_confint

    o = crm.new_business()
    n_out = int((o["source"] == "outbound").sum())
    n = n_out + int((o["source"] == "marketing").sum())
    if n < MIN_ROWS:
        return []
    lo, hi = proportion_confint(n_out, n, 0.05, method="wilson")
    p = n_out / n
    method = "outbound share of outbound and marketing opportunities (Wilson interval, statsmodels)"
    return [
        Estimate("company.lead_sources.outbound", p, float(lo), float(hi), "direct", method, n),
        Estimate("company.lead_sources.marketing", 1 - p, 1 - float(hi), 1 - float(lo), "direct", method, n),
    ]


def fit_distribution(crm: Crm, segments: list[str], threshold: float) -> list[Estimate]:
    """Beta lead fit per segment, truncated below at the pursuit threshold (leads below it are
    rarely pursued, so never reach the CRM)."""
    o = crm.new_business()
    out: list[Estimate] = []
    method = f"beta maximum likelihood, truncated below at the pursuit threshold {threshold:g}"
    for s in segments:
        x = o.loc[(o["segment"] == s) & o["fit"].notna(), "fit"].to_numpy()
        x = np.clip(x[x >= threshold], 1e-6, 1 - 1e-6)
        if len(x) < MIN_ROWS:
            continue
        nll = _truncated_beta_nll(x, threshold)

        m0, v0 = x.mean(), x.var()
        t0 = np.array([special.logit(m0), math.log(max(m0 * (1 - m0) / max(v0, 1e-6) - 1, 0.5))])
        res = optimize.minimize(nll, t0, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8})
        cov = _inverse_hessian(nll, res.x)
        se = np.sqrt(np.maximum(np.diag(cov), 0.0)) if cov is not None else np.full(2, np.nan)
        m, c = res.x
        out.append(
            Estimate(
                _seg("mean_fit", s),
                float(special.expit(m)),
                float(special.expit(m - Z95 * se[0])),
                float(special.expit(m + Z95 * se[0])),
                "direct",
                method,
                len(x),
            )
        )
        out.append(
            Estimate(
                _seg("fit_concentration", s),
                math.exp(c),
                math.exp(c - Z95 * se[1]),
                math.exp(c + Z95 * se[1]),
                "direct",
                method,
                len(x),
            )
        )
    return out


def _truncated_beta_nll(x: np.ndarray, threshold: float) -> Callable[[np.ndarray], float]:
    """Negative log-likelihood of a beta (logit mean, log concentration) truncated below at ``threshold``."""
    la, l1a, n = float(np.sum(np.log(x))), float(np.sum(np.log1p(-x))), len(x)

    def nll(t: np.ndarray) -> float:
        m, c = special.expit(t[0]), math.exp(t[1])
        a, b = m * c, (1 - m) * c
        tail = max(float(special.betaincc(a, b, threshold)), 1e-300)
        return -((a - 1) * la + (b - 1) * l1a - n * (special.betaln(a, b) + math.log(tail)))

    return nll


def _inverse_hessian(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    """The inverse of ``f``'s numerical Hessian at ``x`` (None when it is not positive definite)."""
    k = len(x)
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            hess[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return None
    return cov if np.all(np.diag(cov) > 0) else None


def terms(crm: Crm, segments: list[str]) -> list[Estimate]:
    """The most common contract term of won new deals per segment."""
    o = crm.new_business()
    o = o[o["won"] & o["term_months"].notna()]
    out = []
    for s in segments:
        t = o.loc[o["segment"] == s, "term_months"]
        if len(t):
            mode = float(t.mode().iloc[0])
            out.append(
                Estimate(
                    _seg("contract_term_months", s),
                    mode,
                    stage=COUNT,
                    method="most common term",
                    n=len(t),
                    note=f"{(t == mode).mean():.0%} of won new deals",
                )
            )
    return out
