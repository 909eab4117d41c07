"""``report.html`` of a sensitivity run, in the style of ``incentsim run``'s report (self-contained:
figures embedded as PNG, copies under ``plots/``)."""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import TYPE_CHECKING

from sim.explore import plots
from sim.explore.robustness import MIN_BLOCKS
from sim.files import atomic_write_bytes, atomic_write_text
from sim.report import fmt
from sim.report.page import CSS, esc, table
from sim.report.style import png_bytes
from sim.safetext import safe_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.explore.sensitivity_result import SensitivityResult

REPORT_FILE = "report.html"
PLOTS_DIR = "plots"


class _Page:
    def __init__(self, plots_dir: Path | None) -> None:
        self.parts: list[str] = []
        self.plots_dir = plots_dir

    def add(self, text: str) -> None:
        self.parts.append(text)

    def figure(self, fig: Figure | None, name: str, caption: str) -> None:
        if fig is None:
            return
        png = png_bytes(fig)
        if self.plots_dir is not None:
            atomic_write_bytes(self.plots_dir / f"{name}.png", png)
        data = base64.b64encode(png).decode("ascii")
        self.add(
            f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>"
        )


def _value(metric: str, x: float, difference: bool = True) -> str:
    return fmt.diff(metric, x) if difference else fmt.value(metric, x)


def probability_sentence(s: SensitivityResult, row: dict[str, float | str]) -> str:
    """One plan's probability of being best, with what its interval supports."""
    p, lo, hi = float(row["p_best"]), float(row["ci_low"]), float(row["ci_high"])
    if not (math.isfinite(lo) and math.isfinite(hi)):  # too few blocks for an interval: no claim
        unit = "trajectories" if s.settings.method == "morris" else "base samples"
        few = f"no interval: {int(row['blocks'])} {unit}, it needs {MIN_BLOCKS}"
        return f"{row['plan']} is best at {p:.0%} of sample points ({few})."
    text = f"{row['plan']} is best at {p:.0%} of sample points ({s.confidence:.0%} CI {lo:.0%}–{hi:.0%})"
    if lo > 0.5:
        text += ": best over most of the uncertainty"
    elif hi < 0.05:
        text += ": almost never best"
    if s.settings.reps >= 2:
        text += f"; with a decisive paired lead at {float(row['p_best_decisive']):.0%}"
    return text + "."


def _top_rows(s: SensitivityResult, plan: str, metric: str, k: int = 8) -> list[list[str]]:
    t = s.table(metric)
    t = t[t["plan"] == plan]
    if s.settings.method == "morris":
        t = t.sort_values("mu_star", ascending=False).head(k)
        return [
            [
                r.parameter,
                _value(metric, r.mu),
                f"{_value(metric, r.mu_star)} ± {_value(metric, r.mu_star_conf).lstrip('+')}",
                _value(metric, r.sigma).lstrip("+"),
            ]
            for r in t.itertuples()
        ]
    t = t.sort_values("ST", ascending=False).head(k)
    return [
        [r.parameter, f"{r.S1:.2f} ± {r.S1_conf:.2f}", f"{r.ST:.2f} ± {r.ST_conf:.2f}"]
        for r in t.itertuples()
    ]


def _noise_text(s: SensitivityResult, plan: str, metric: str) -> str:
    t = s.table(metric)
    share = t.loc[t["plan"] == plan, "noise_share"]
    v = float(share.iloc[0]) if len(share) else math.nan
    if not math.isfinite(v):
        return "Replication noise not measured (one replication per point); the indices include it."
    warn = " The indices mostly describe noise here: run with more --reps." if v > 0.5 else ""
    return f"Replication noise makes up {v:.0%} of the variance of this difference across points.{warn}"


def build(s: SensitivityResult, plots_dir: Path | None) -> str:
    """The report as HTML text (figures also written to ``plots_dir``)."""
    page = _Page(plots_dir)
    sc, st = s.scenario, s.settings
    obj = fmt.label(s.objective)
    page.add(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{esc(sc.name)}: sensitivity</title>"
    )
    page.add(f"<style>{CSS}</style></head><body><main>")
    page.add(f'<header class="top"><div class="kicker">incentsim sensitivity · {esc(st.method)}</div>')
    page.add(f"<h1>{esc(sc.name)}: is the answer robust?</h1>")
    page.add(
        f'<p class="lead">{len(s.design)} sample points over {len(s.params)} uncertainties, every plan run '
        f"{st.reps} time(s) at each point on common random numbers. Objective: {esc(obj)} "
        f"({'higher' if fmt.HIGHER_IS_BETTER[s.objective] else 'lower'} is better).</p></header>"
    )
    # robustness of the decision
    page.add('<section id="robustness"><h2>Which plan is best, and how sure is that?</h2>')
    page.add(
        "<ul>"
        + "".join(f"<li>{esc(probability_sentence(s, r))}</li>" for r in s.robustness.to_dict("records"))
        + "</ul>"
    )
    if st.method == "morris":
        page.add(
            '<p class="note">Morris points sit on a 4-level grid (quantiles 0, ⅓, ⅔, 1 of each range), so '
            "these shares weight the ends of each range more than the declared distributions do; a Sobol "
            "run samples the distributions themselves.</p>"
        )
    page.figure(
        plots.probability_figure(s), "probability_best", "Share of sample points where each plan is best."
    )
    page.add("<h3>Where the ranking flips</h3><ul>")
    page.add("".join(f"<li>{esc(r.words())}</li>" for r in s.regions) or "<li>One plan only.</li>")
    page.add(
        '</ul><p class="note">Regions found by PRIM (ema_workbench) on the sample points: coverage is the '
        "share of the event's points inside the box, density the share of the box's points where the "
        "event happens.</p>"
    )
    page.figure(plots.regions_figure(s), "flip_regions", "Best plan at each sample point (markers jittered).")
    page.add("</section>")
    # key differences
    page.add(f'<section id="differences"><h2>What moves the paired difference in {esc(obj)}</h2>')
    for plan in s.plans:
        if plan == s.baseline:
            continue
        noise = esc(_noise_text(s, plan, s.objective))
        page.add(f"<h3>{esc(plan)} − {esc(s.baseline)}</h3><p class=explain>{noise}</p>")
        page.figure(
            plots.tornado_figure(s, plan, s.objective), f"tornado_{plan}", "Tornado of the paired difference."
        )
        page.figure(plots.indices_figure(s, plan, s.objective), f"indices_{plan}", "Sensitivity indices.")
        head = (
            ["parameter", "μ", "μ* ± CI", "σ"]
            if st.method == "morris"
            else ["parameter", "S1 ± CI", "ST ± CI"]
        )
        page.add(table(head, _top_rows(s, plan, s.objective)))
    page.add("</section>")
    # uncertainties
    page.add('<section id="uncertainties"><h2>Uncertainties</h2>')
    rows = []
    for p in s.params:
        u = p.spec
        rng = f"{u.low:g} – {u.high:g}" + (f", mode {u.mode:g}" if u.mode is not None else "")
        rng += f", mean {u.mean:g}, sd {u.sd:g}" if u.mean is not None and u.sd is not None else ""
        rows.append([p.path, u.distribution, rng, f"{p.nominal:g}", u.source])
    page.add(table(["parameter", "distribution", "range", "scenario value", "source"], rows, text_columns=5))
    page.add("</section>")
    meta = s.metadata
    details = [
        ("Scenario", safe_text(sc.name)),
        (
            "Method",
            f"{st.method}, {st.samples} {'trajectories' if st.method == 'morris' else 'base samples'}",
        ),
        ("Points × plans × replications", f"{len(s.design)} × {len(s.plans)} × {st.reps}"),
        ("Seed", sc.experiment.seed),
        ("incentsim version", meta.get("incentsim_version", "–")),
        ("git commit", meta.get("git_commit") or "–"),
        ("Backend", meta.get("backend_detail") or meta.get("backend", "–")),
        ("Run", f"{meta.get('started_utc', '–')} → {meta.get('finished_utc', '–')}"),
        ("Command", " ".join(str(c) for c in meta.get("command", [])) or "–"),
    ]
    page.add('<footer><h2 style="border:none;margin-top:0">Run details</h2><table>')
    page.add("".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in details) + "</table>")
    page.add(
        "<p>Files: config.resolved.yaml, sensitivity.yaml, design.csv, samples.parquet (every point × plan × "
        "replication), indices.csv (every metric, values and paired differences), best.csv, robustness.csv, "
        "flips.json, plots/*.png. How to read them: docs/explore.md.</p></footer></main></body></html>"
    )
    return "".join(page.parts)


def write_sensitivity_report(s: SensitivityResult, folder: Path, *, save_plots: bool = True) -> Path:
    """Write ``report.html`` (and ``plots/*.png``) into ``folder``."""
    plots_dir = folder / PLOTS_DIR if save_plots else None
    path = folder / REPORT_FILE
    atomic_write_text(path, build(s, plots_dir))
    return path
