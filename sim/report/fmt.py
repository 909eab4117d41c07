"""Number formatting for the report: money as $k/$M, ratios as percents, differences of ratios
in percentage points, and which direction of a metric is better.
"""

from __future__ import annotations

import math

from sim.vocabulary.metrics import HIGHER_IS_BETTER, is_money, is_ratio, label

__all__ = ["HIGHER_IS_BETTER", "is_money", "is_ratio", "label"]


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
