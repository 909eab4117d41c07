"""Progress reporting and the terminal summary table."""

from __future__ import annotations

import io

from experiment_fakes import replicate
from experiment_helpers import make_scenario

from sim.experiment.progress import PlainProgress, Progress, RichProgress, make_progress
from sim.experiment.runner import WAITING, Runner
from sim.experiment.summary import fmt_value, render_summary, summary_rows

PLANS = """\
  - name: conventional
    based_on: conventional
  - name: copy
    based_on: conventional
  - name: richer
    based_on: conventional
    ae: {base_salary_annual_usd: 110000}
"""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_progress_modes() -> None:
    assert type(make_progress(True)) is Progress
    assert isinstance(make_progress(False, io.StringIO()), PlainProgress)
    assert isinstance(make_progress(False, _Tty()), RichProgress)


def test_plain_progress_logs_lines_with_status() -> None:
    sc = make_scenario(
        PLANS, "  replications: 6\n  batch_size: 6\n  max_replications: 12\n  precision: {nrr: 1.0e-9}"
    )
    buf = io.StringIO()
    Runner(sc, replicate=replicate, backend="serial", progress=PlainProgress(buf)).run()
    lines = buf.getvalue().splitlines()
    assert lines[0] == "incentsim: running 18 replications"
    assert lines[1] == f"incentsim: 0/18 replications, 0s elapsed, {WAITING}"  # why a cold start waits
    assert not any(WAITING in line for line in lines[2:])
    assert any(line.startswith("incentsim: 36/36 replications") and "nrr ±" in line for line in lines)
    assert any("adding replications: now 12 per plan" in line for line in lines)


def test_summary_marks_significant_differences_only() -> None:
    sc = make_scenario(PLANS, "  replications: 10\n  max_replications: 10\n  precision: {}")
    res = Runner(sc, replicate=replicate, backend="serial").run()
    rows = {r[0]: r[1:] for r in summary_rows(res)}
    assert set(rows) == {"conventional (baseline)", "copy", "richer"}
    assert all("Δ" not in cell for cell in rows["conventional (baseline)"])
    assert all(cell.split("\n")[1] in ("Δ +0.0pp ±0.0", "Δ +0 ±0") for cell in rows["copy"])  # A/A: zero
    comp = res.comparison(["grr", "nrr", "new_arr", "payout_cost", "cost_of_sales"])
    sig = comp[comp["plan"] == "richer"]["significant"].tolist()
    assert [cell.endswith(" *") for cell in rows["richer"]] == sig
    buf = io.StringIO()
    from rich.console import Console

    render_summary(res, Console(file=buf, width=200))
    assert "richer" in buf.getvalue() and "paired difference vs conventional" in buf.getvalue()


def test_fmt_value() -> None:
    assert fmt_value("nrr", 1.0512) == "105.1%"
    assert fmt_value("nrr", 0.0042, diff=True) == "+0.4pp"
    assert fmt_value("payout_cost", 4_013_206.0) == "4.01M"
    assert fmt_value("new_arr", -12_500.0, diff=True) == "-12.5k"
    assert fmt_value("grr", float("nan")) == "n/a"
