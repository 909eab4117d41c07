"""``incentsim optimise``: a known optimum, budgets, Pareto fronts, the confirmation, determinism."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from explore_fakes import rate_optimum
from ishigami import ROOT

from sim.explore.optimise import run_optimise
from sim.explore.optimise_settings import OptimiseSettings
from sim.scenario import Scenario, load_scenario_text

FAKE = "explore_fakes:rate_world"
LEVER = "ae.components.commission.rates.0.rate"
TOY = f"""\
extends: {ROOT / "tests" / "corpus" / "bases" / "minimal.yaml"}
name: rate-toy
plans:
  - name: flat
    based_on: flat
  - name: generous
    based_on: flat
    ae:
      components:
        - name: commission
          measure: bookings_acv
          rates: [{{from_attainment: 0.0, rate: 0.2}}]
levers:
  plan: flat
  fields:
    {LEVER}: {{low: 0.0, high: 0.3}}
experiment: {{replications: 3, max_replications: 3}}
"""


def toy(extra: str = "") -> Scenario:
    return load_scenario_text(TOY + extra, "toy.yaml", base_dir=ROOT)


def _best(o: object) -> float:
    return float(o.candidates[0].params[LEVER])  # type: ignore[attr-defined]


def test_finds_the_known_optimum_within_tolerance() -> None:
    # nrr(r) is smooth with a single maximum at r* ~ 0.1775 on [0, 0.3]; stated tolerance 0.01
    o = run_optimise(toy(), OptimiseSettings(trials=30, batch=4), backend="serial", replicate=FAKE)
    assert abs(_best(o) - rate_optimum()) < 0.01
    # racing: clearly bad candidates stopped before max_reps, good ones ran in full
    t = o.trials
    assert (t["stopped"] != "").any() and (t.loc[t["stopped"] != "", "reps"] < 6).all()
    assert (t.loc[t["stopped"] == "", "reps"] == 6).all()
    # the confirmation: fresh seed, every plan, and the verdict against the best hand-written plan
    assert o.confirmation.scenario.experiment.seed != toy().experiment.seed
    assert set(o.confirmation.plans) == {"flat", "generous", "optimised-1", "optimised-2", "optimised-3"}
    assert o.verdict["best_hand_written_within_budget"] == "generous"
    first = next(r for r in o.verdict["plans"] if r["plan"] == "optimised-1")
    assert first["vs_best_hand_written"]["diff"] > 0 and "beats generous" in first["sentence"]
    assert o.importance and math.isclose(sum(o.importance.values()), 1.0)
    # printed (a script, the command line): one sentence per confirmed plan
    sentences = [r["sentence"] for r in o.verdict["plans"] if r.get("sentence")]
    assert str(o).splitlines() == sentences and len(sentences) == 3


def test_a_budget_binds_the_optimum() -> None:
    # payout_cost = 1e6 * r, nrr rising below r* = 0.1775: under payout_cost <= 150000 the best is r = 0.15
    settings = OptimiseSettings(trials=30, batch=4, budgets=("payout_cost<=150000",))
    o = run_optimise(toy(), settings, backend="serial", replicate=FAKE)
    assert 0.14 <= _best(o) <= 0.15
    t = o.trials
    over = t[t["payout_cost"] > 150000]
    assert len(over) and not over["feasible"].any()
    for row in o.verdict["plans"]:
        if row["kind"] == "candidate":
            assert row["within_budget"]
    # generous (r = 0.2) is over the budget: the best affordable hand-written plan is flat
    assert o.verdict["best_hand_written_within_budget"] == "flat"


def test_two_objectives_give_a_pareto_front() -> None:
    settings = OptimiseSettings(objectives=("nrr", "payout_cost"), trials=24, batch=4, top=3)
    o = run_optimise(toy(), settings, backend="serial", replicate=FAKE)
    front = [(c.params[LEVER]) for c in o.candidates]
    assert len(front) == 3 and len(set(front)) == 3
    # on this toy, the front is r <= r*: more pay buys more NRR up to the optimum, never beyond
    assert max(front) <= rate_optimum() + 0.02
    nrr = [t.values[0] for t in o.chosen]
    cost = [t.values[1] for t in o.chosen]
    order = np.argsort(cost)
    assert all(np.diff(np.asarray(nrr)[order]) >= 0)


def test_the_same_scenario_gives_the_same_study(tmp_path: Path) -> None:
    settings = OptimiseSettings(trials=8, batch=4, top=1, confirm_reps=2)
    lever = f"    {LEVER}: {{low: 0.0, high: 0.3}}\n"
    choice = lever + "    ae.components.commission.pays: {choices: [on_booking, on_cash]}\n"
    sc = load_scenario_text(TOY.replace(lever, choice), "toy.yaml", base_dir=ROOT)
    a = run_optimise(sc, settings, backend="serial", replicate=FAKE)
    b = run_optimise(sc, settings, backend="serial", replicate=FAKE, out=tmp_path / "b")
    assert set(a.trials["lever:ae.components.commission.pays"]) <= {"on_booking", "on_cash"}
    pd.testing.assert_frame_equal(a.trials, b.trials, check_exact=True)
    assert (tmp_path / "b" / "best-plans.yaml").read_text().count("- name: optimised-1") == 1
    assert (tmp_path / "b" / "study.db").is_file() and (
        tmp_path / "b" / "confirmation" / "report.html"
    ).is_file()


def test_robust_optimisation_over_the_uncertainties() -> None:
    extra = "uncertainties:\n  behaviour.rationality_per_kusd: {low: 0.5, high: 2, source: read by nothing}\n"
    settings = OptimiseSettings(trials=16, batch=4, top=1, confirm_reps=2, robust="q25", robust_points=3)
    o = run_optimise(toy(extra), settings, backend="serial", replicate=FAKE)
    assert len(o.trials) == 16
    # every candidate was scored at the three samples of the uncertainties
    assert len(o.chosen[0].user_attrs["point_diffs"]["nrr"]) == 3
    # the toy ignores the uncertainty, so the robust optimum is the nominal one
    assert abs(_best(o) - rate_optimum()) < 0.02


def test_levers_that_break_a_linked_constraint_are_never_simulated() -> None:
    extra = f"    {LEVER.replace('rates.0', 'rates.1')}: {{low: 0.0, high: 0.3}}\n"
    text = TOY.replace(
        "    ae:\n      components:\n        - name: commission\n          measure: bookings_acv\n"
        "          rates: [{from_attainment: 0.0, rate: 0.2}]\n",
        "",
    )
    text = text.replace(
        f"    {LEVER}: {{low: 0.0, high: 0.3}}\n", f"    {LEVER}: {{low: 0.0, high: 0.3}}\n{extra}"
    )
    text = text.replace(
        "experiment:", f"  constraints: ['{LEVER.replace('rates.0', 'rates.1')} >= {LEVER}']\nexperiment:"
    )
    sc = load_scenario_text(text, "toy.yaml", base_dir=ROOT)
    o = run_optimise(
        sc, OptimiseSettings(trials=12, batch=4, top=1, confirm_reps=2), backend="serial", replicate=FAKE
    )
    t = o.trials
    broken = t["infeasible"].str.startswith("breaks")
    assert broken.any() and (t.loc[broken, "reps"] == 0).all()
    ok = t[~broken]
    assert (ok[f"lever:{LEVER.replace('rates.0', 'rates.1')}"] >= ok[f"lever:{LEVER}"]).all()
