"""The report's figure style: colours, the rc settings, money and metric axes, PNG and SVG output."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim.report import fmt
from sim.vocabulary import ROLES

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

PALETTE_RED = "#d62728"
BETTER, WORSE, NEUTRAL, SIGNIFICANT = "#1a9641", "#d7191c", "#9e9e9e", "#2c7bb6"

ROLE_COLORS: dict[str, str] = dict(zip(ROLES, (c for c in PALETTE if c != PALETTE_RED), strict=False))
"""One colour per role of the vocabulary, in role order (red is kept for "worse")."""

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


def plan_lines(plans: list[str], baseline: str) -> dict[str, dict[str, Any]]:
    """Line width and layer per plan (``ax.plot`` keywords): the baseline heavier and on top."""
    return {p: {"lw": 2.4, "zorder": 4} if p == baseline else {"lw": 1.6, "zorder": 3} for p in plans}


def money_axis(ax: Axes, axis: str = "y", signed: bool = False) -> None:
    """Format an axis as $k/$M."""
    f = FuncFormatter(lambda x, _pos: fmt.money(x, signed=signed))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)


def metric_axis(ax: Axes, metric: str, difference: bool) -> None:
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


def grid_shape(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def svg_text(fig: Figure) -> str:
    """A figure as an inline SVG element whose text stays text (the browser lays it out, so a page
    can check where labels fall); the XML prologue is dropped."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "incentsim"}):
        fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None})  # no drawing time
    text = buf.getvalue()
    return text[text.index("<svg") :]
