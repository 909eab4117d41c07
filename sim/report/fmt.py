"""Number formatting for the report: money as $k/$M, ratios as percents, differences of ratios
in percentage points, and which direction of a metric is better.
"""

from __future__ import annotations

import math

from sim.scenario.experiment import HIGHER_IS_BETTER as HIGHER_IS_BETTER  # one place: beside METRICS

RATIO_METRICS: frozenset[str] = frozenset(
    {
        "grr",
        "nrr",
        "logo_churn",
        "cost_of_sales",
        "mean_discount",
        "period_end_share",
        "second_order_share",
        "grr_rolling",
        "nrr_rolling",
        "share_at_quota",
        "attainment_mean",
        "forecast_quarter_hit",
        "implementation_success_rate",
    }
)
"""Metrics that are ratios (shown as percents; their differences in percentage points)."""

_RATIO_PREFIXES: tuple[str, ...] = ("grr_", "nrr_", "logo_churn_")
_MONEY_PREFIXES: tuple[str, ...] = (
    "new_arr",
    "ending_arr",
    "payout_cost",
    "starting_arr",
    "measure_start_arr",
)
_MONEY_NAMES: frozenset[str] = frozenset(
    {"total_comp_cost", "cac", "crc", "ltv", "renewed_arr", "mean_new_logo_arr"}
)


LABELS: dict[str, str] = {
    "grr": "GRR",
    "nrr": "NRR",
    "new_arr": "New ARR / yr",
    "ending_arr": "Ending ARR",
    "payout_cost": "Payout cost / yr",
    "cost_of_sales": "Cost of sales",
    "mean_discount": "Mean discount",
    "period_end_share": "Period-end share",
    "second_order_share": "Second-order share",
    "logo_churn": "Logo churn",
    "total_comp_cost": "Total comp / yr",
    "gross_churn_usd": "Gross churn $ / yr",
    "expansion_usd": "Expansion $ / yr",
    "nps": "NPS",
    "time_to_value_days": "Time to value (days)",
}
"""Short human labels of metrics (others show their column name)."""


def label(metric: str) -> str:
    """A metric's human label."""
    return LABELS.get(metric, metric.replace("_", " "))


def is_ratio(metric: str) -> bool:
    """True when a metric is a ratio (percent)."""
    return metric in RATIO_METRICS or metric.startswith(_RATIO_PREFIXES)


def is_money(metric: str) -> bool:
    """True when a metric is in US dollars."""
    return metric.endswith("_usd") or metric in _MONEY_NAMES or metric.startswith(_MONEY_PREFIXES)


def money(x: float, signed: bool = False) -> str:
    """Money to three significant digits: ``$1.23M``, ``$45.6k``, ``$456k``, ``$950``; ``−`` for
    negatives, ``+`` when ``signed``; ``–`` for NaN."""
    if x is None or not math.isfinite(x):
        return "–"
    sign = "−" if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    body = f"${a:.0f}"
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= scale * 0.9995:
            v = a / scale
            digits = 2 if v < 9.995 else (1 if v < 99.95 else 0)
            body = f"${v:.{digits}f}{unit}"
            break
    return sign + body


def pct(x: float, digits: int = 1) -> str:
    """A ratio as a percent: ``93.1%``; ``–`` for NaN."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{100.0 * x:.{digits}f}%".replace("-", "−")


def pp(x: float, digits: int | None = None) -> str:
    """A difference of ratios in percentage points: ``+1.2 pp`` (two decimals below 1 pp when
    ``digits`` is None)."""
    if x is None or not math.isfinite(x):
        return "–"
    if digits is None:
        digits = 2 if abs(x) < 0.01 else 1
    return f"{100.0 * x:+.{digits}f} pp".replace("-", "−")


def number(x: float, signed: bool = False) -> str:
    """A plain number with sensible precision."""
    if x is None or not math.isfinite(x):
        return "–"
    a = abs(x)
    text = f"{x:+,.0f}" if signed else f"{x:,.0f}"
    if a < 100:
        text = f"{x:+.2f}" if signed else f"{x:.2f}"
    return text.replace("-", "−")


def value(metric: str, x: float) -> str:
    """A metric's value formatted for its kind."""
    if is_ratio(metric):
        return pct(x)
    if is_money(metric):
        return money(x)
    return number(x)


def diff(metric: str, x: float) -> str:
    """A difference of a metric formatted for its kind (signed)."""
    if is_ratio(metric):
        return pp(x)
    if is_money(metric):
        return money(x, signed=True)
    return number(x, signed=True)


def interval(metric: str, low: float, high: float, difference: bool = False) -> str:
    """``[low, high]`` formatted for the metric's kind."""
    f = diff if difference else value
    return f"[{f(metric, low)}, {f(metric, high)}]"
