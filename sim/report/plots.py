"""The report's figures (matplotlib, object API: no pyplot state, rendered with the Agg canvas).

Every function takes a :class:`~sim.report.data.ReportData` and returns a Figure, or raises
:class:`~sim.report.data.MissingData` when the folder lacks what it needs. :data:`FIGURES`
lists them in report order with the PNG file name each is saved under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure

from sim.report import decision_plots as dp
from sim.report.behaviour_plots import (
    attainment_hist,
    close_week,
    discount_hist,
    second_order,
    winners_losers,
)
from sim.report.company_plots import cash_curve, market_penetration
from sim.report.data import ReportData
from sim.report.outcome_plots import arr_over_time, forest, payout_by_role, waterfall


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
    return {
        spec.name: spec
        for spec in (FigureSpec("frontier", dp.frontier), FigureSpec("pay-curves", dp.pay_curves))
    }


def draw(data: ReportData, name: str) -> Figure:
    """Draw one figure (in the report style: call inside :func:`style`); raises MissingData."""
    spec = FIGURES.get(name) or CONDITIONAL_FIGURES.get(name) or decision_figures()[name]
    return spec.draw(data)
