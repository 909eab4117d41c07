"""The report page being assembled: its sections and style, escaping of user text, tables and cells
with intervals, and figures embedded as PNG or inline SVG."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.files import atomic_write_bytes
from sim.report.data import ReportData
from sim.report.plots import INLINE_FIGURES
from sim.report.rendering import Renderer, render_figure
from sim.safetext import safe_text

SECTIONS: tuple[tuple[str, str], ...] = (
    ("question", "The question"),
    ("decision", "Decision"),
    ("plans", "Plans"),
    ("pay", "Pay curves and people"),
    ("metrics", "Key metrics by plan"),
    ("differences", "Differences vs baseline"),
    ("arr", "ARR over time"),
    ("waterfall", "Headwinds and tailwinds"),
    ("economics", "Unit economics by segment"),
    ("payouts", "Payout cost by role"),
    ("attainment", "Quota attainment"),
    ("discounts", "Discounts"),
    ("timing", "Bookings by week of quarter"),
    ("second-order", "Second-order revenue"),
    ("market", "Market penetration"),
    ("cash", "Cash and collections"),
    ("sdrs", "SDRs and hand-offs"),
    ("talent", "Talent and organisation"),
    ("people", "Winners and losers"),
    ("run", "Run details"),
)
"""Report sections in order: anchor id, heading."""

CSS = """
:root { --ink:#222; --muted:#6b6b6b; --line:#e2e2e2; --band:#f7f7f5; --accent:#2c7bb6;
        --good:#1a7f37; --bad:#c0392b; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color:var(--ink); background:#fff; }
main { max-width:1260px; margin:0 auto; padding:28px 32px 40px; }
header.top { border-bottom:3px solid var(--ink); padding-bottom:14px; margin-bottom:8px; }
header.top .kicker { text-transform:uppercase; letter-spacing:.08em; font-size:12px; color:var(--muted); }
h1 { font-size:30px; margin:4px 0 6px; }
h2 { font-size:21px; margin:38px 0 8px; padding-top:10px; border-top:1px solid var(--line); }
h3 { font-size:16px; margin:18px 0 6px; }
p.lead { font-size:17px; margin:6px 0 0; max-width:900px; }
p.explain, p.note { color:var(--muted); font-size:13.5px; max-width:920px; margin:4px 0 12px; }
nav.toc { font-size:13px; margin:14px 0 4px; line-height:1.9; }
nav.toc a { color:var(--accent); text-decoration:none; margin-right:10px; white-space:nowrap; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin:16px 0 4px; }
.card { background:var(--band); border-radius:6px; padding:9px 14px; min-width:150px; }
.card .k { font-size:11.5px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
.card .v { font-size:18px; font-weight:600; }
table { border-collapse:collapse; margin:8px 0 14px; font-size:12.5px; }
th, td { padding:5px 6px; border-bottom:1px solid var(--line); text-align:right; vertical-align:top; }
th { background:var(--band); font-weight:600; border-bottom:2px solid #cfcfcf; }
th:first-child, td:first-child { text-align:left; white-space:nowrap; }
td.text, th.text { text-align:left; }
table.full { width:100%; }
tr.baseline td { background:#fbf7ea; }
td .ci { display:block; color:var(--muted); font-size:10.5px; }
.nw { white-space:nowrap; }
table.verdicts td { text-align:left; }
ul.verdicts li { margin:4px 0; max-width:1100px; }
figure.svg svg { display:block; width:100%; height:auto; border:1px solid var(--line); border-radius:4px; }
td.better { color:var(--good); font-weight:600; }
td.worse { color:var(--bad); font-weight:600; }
td.sig { font-weight:600; }
.tag { display:inline-block; font-size:10.5px; text-transform:uppercase; letter-spacing:.05em;
       background:var(--ink); color:#fff; border-radius:3px; padding:0 5px; margin-left:6px; }
.rules { color:var(--muted); font-size:12px; }
.wide { overflow-x:auto; }
figure { margin:10px 0 6px; }
figure img { display:block; width:100%; height:auto; border:1px solid var(--line); border-radius:4px; }
figcaption { color:var(--muted); font-size:12.5px; margin-top:4px; }
.missing { background:#fff4e5; border-left:4px solid #f0a030; padding:8px 12px; font-size:13.5px;
           margin:8px 0; }
.warn { background:#fdecea; border-left:4px solid var(--bad); padding:8px 12px; margin:12px 0; }
.cols { display:flex; flex-wrap:wrap; gap:28px; }
footer { margin-top:40px; border-top:3px solid var(--ink); padding-top:12px; font-size:12.5px;
         color:var(--muted); }
footer table { font-size:12px; }
footer td, footer th { text-align:left; padding:3px 12px 3px 0; border:none; background:none; }
@media print { h2 { page-break-before:auto; } figure { page-break-inside:avoid; } }
"""


def esc(x: Any) -> str:
    """HTML-escaped text; control characters (user text: names, descriptions) shown as escapes."""
    return html.escape(safe_text(x, keep_newlines=True), quote=True)


@dataclass
class Page:
    """The report being assembled: HTML parts and the PNGs written."""

    data: ReportData
    plots_dir: Path | None
    """Where PNG copies of the figures go (None: embedded only)."""
    parts: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    renderer: Renderer | None = None
    """Figures rendered ahead (:mod:`sim.report.rendering`); None: each drawn when asked for."""

    def add(self, text: str) -> None:
        """Append raw HTML."""
        self.parts.append(text)

    def section(self, anchor: str) -> None:
        """Open a section with its heading."""
        title = dict(SECTIONS)[anchor]
        self.add(f'<section id="{anchor}"><h2>{esc(title)}</h2>')

    def end(self) -> None:
        """Close the current section."""
        self.add("</section>")

    def figure(self, name: str, caption: str) -> bool:
        """Render a figure, save it under plots/, embed it (as a PNG, or for :data:`INLINE_FIGURES`
        as SVG whose text stays text); a note instead when data is missing."""
        inline = name in INLINE_FIGURES
        got = render_figure(self.data, name) if self.renderer is None else self.renderer.get(name)
        if got.missing is not None:
            self.missing(f"Figure not drawn: {got.missing}.")
            self.data.note(f"figure {name}: {got.missing}")
            return False
        png, svg = got.png, got.svg
        if self.plots_dir is not None:
            path = self.plots_dir / f"{name}.png"
            atomic_write_bytes(path, png)
            self.written.append(path)
        if inline:
            cap = f"<figcaption>{esc(caption)}</figcaption>"
            self.add(f'<figure class="svg" id="figure-{name}">{svg}{cap}</figure>')
            return True
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        width = int.from_bytes(png[16:20], "big")  # PNG IHDR: width in pixels
        self.add(
            f'<figure><img src="{uri}" alt="{esc(caption)}" style="max-width:{width}px">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )
        return True

    def missing(self, text: str) -> None:
        """A visible note that something could not be shown."""
        self.add(f'<div class="missing">{esc(text)}</div>')


def table(
    header: Iterable[str],
    rows: Iterable[Iterable[str]],
    row_classes: Iterable[str] | None = None,
    raw: bool = False,
    css: str = "",
    text_columns: int = 1,
) -> str:
    """An HTML table; cells are escaped unless ``raw`` (then they are trusted HTML fragments).
    The first ``text_columns`` headers are left-aligned; ``css`` is the table's class."""
    head = "".join(
        f"<th{' class=text' if i < text_columns else ''}>{esc(h)}</th>" for i, h in enumerate(header)
    )
    cls_attr = f' class="{css}"' if css else ""
    body = []
    classes = list(row_classes) if row_classes is not None else None
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "".join(c if raw else f"<td>{esc(c)}</td>" for c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    rows_html = "".join(body)
    return (
        f'<div class="wide"><table{cls_attr}><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody>'
        "</table></div>"
    )


def ci_html(text: str) -> str:
    """An interval's text as HTML that may break only between its two ends (``[a, b]`` or
    ``a – b``), so a narrow column never splits a number from its unit."""
    for sep in (", ", " – "):
        if sep in text:
            lo, hi = text.split(sep, 1)
            return f'<span class="nw">{esc(lo + sep.rstrip())}</span> <span class="nw">{esc(hi)}</span>'
    return f'<span class="nw">{esc(text)}</span>'


def cell(text: str, ci: str | None = None, cls: str = "") -> str:
    """A table cell: the value, its interval below it (muted), an optional class."""
    c = f' class="{cls}"' if cls else ""
    extra = f'<span class="ci">{ci_html(ci)}</span>' if ci else ""
    return f"<td{c}>{esc(text)}{extra}</td>"
