"""Decision quantities (``sim.experiment.decision``) against hand formulas and known truths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.experiment import decision as dc
from sim.report.decision_view import decision_cells

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def _table(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """A replications table from ``{plan: {metric: [values by replication]}}``."""
    rows = []
    for plan, metrics in values.items():
        n = len(next(iter(metrics.values())))
        for k in range(n):
            rows.append({"plan": plan, "replication": k, **{m: v[k] for m, v in metrics.items()}})
    return pd.DataFrame(rows)


def test_paired_ratio_is_the_delta_method_written_out() -> None:
    c = np.array([10.0, 12.0, 9.0, 14.0, 11.0, 13.0])
    o = np.array([0.010, 0.013, 0.008, 0.016, 0.012, 0.012])
    r = dc.paired_ratio(c, o, 0.9, scale=100.0)
    oo = o * 100
    n = len(c)
    est = c.mean() / oo.mean()
    sc, so = c.var(ddof=1), oo.var(ddof=1)
    sco = np.sum((c - c.mean()) * (oo - oo.mean())) / (n - 1)
    se = math.sqrt((sc - 2 * est * sco + est**2 * so) / (n * oo.mean() ** 2))
    half = sps.t.ppf(0.95, n - 1) * se
    assert r.defined and r.n == n
    assert r.estimate == pytest.approx(est, rel=1e-12)
    assert (r.low, r.high) == pytest.approx((est - half, est + half), rel=1e-12)


def test_ratio_is_undefined_when_the_outcome_difference_is_not_significant() -> None:
    r = dc.paired_ratio(np.array([5.0, 6.0, 7.0]), np.array([-1.0, 0.5, 0.6]), 0.95)
    assert not r.defined
    assert math.isnan(r.low) and math.isnan(r.high)
    assert "not significant" in r.note
    assert not dc.paired_ratio(np.array([1.0]), np.array([1.0])).defined  # one pair


def test_delta_method_interval_covers_the_true_ratio_about_as_often_as_it_says() -> None:
    # 400 experiments of 40 paired replications: payout +$50k, NRR +2 pp, correlated noise.
    rng = np.random.default_rng(20261123)
    truth = 50_000.0 / 2.0
    covered = 0
    for _ in range(400):
        o = rng.normal(0.02, 0.006, 40)
        c = 50_000.0 + 1.5e6 * (o - 0.02) + rng.normal(0.0, 8_000.0, 40)
        r = dc.paired_ratio(c, o, 0.95, scale=100.0)
        covered += r.defined and r.low <= truth <= r.high
    # binomial(400, 0.95): 99.9% of outcomes fall in [0.915, 0.98]
    assert 0.91 <= covered / 400 <= 0.985


def test_trade_offs_are_bonferroni_adjusted_and_say_their_method() -> None:
    reps = _table(
        {
            "base": {
                "payout_cost": [100.0, 110, 90, 105],
                "nrr": [1.0, 1.01, 0.99, 1.0],
                "ending_arr": [1e6] * 4,
                "new_arr": [1e5, 1.1e5, 0.9e5, 1e5],
            },
            "a": {
                "payout_cost": [150.0, 161, 139, 156],
                "nrr": [1.02, 1.031, 1.009, 1.021],
                "ending_arr": [1e6] * 4,
                "new_arr": [1e5, 1.1e5, 0.9e5, 1e5],
            },
            "b": {
                "payout_cost": [90.0, 99, 81, 96],
                "nrr": [1.0, 1.01, 0.99, 1.0],
                "ending_arr": [1e6] * 4,
                "new_arr": [1e5, 1.1e5, 0.9e5, 1e5],
            },
        }
    )
    t = dc.trade_offs(reps, ["base", "a", "b"], "base", 0.95)
    assert t["confidence"].tolist() == pytest.approx([0.975] * len(t))
    assert set(t["method"]) == {dc.DELTA_METHOD}
    per_point = t[(t["plan"] == "a") & (t["quantity"] == "payout_per_nrr_point")].iloc[0]
    assert per_point["defined"]
    assert per_point["estimate"] == pytest.approx(np.mean([50, 51, 49, 51]) / np.mean([2, 2.1, 1.9, 2.1]))
    # plan b: NRR identical to the baseline, ending ARR and new ARR identical: no ratio
    assert not t[t["plan"] == "b"]["defined"].any()


def test_payout_share_is_the_mean_of_each_replications_share() -> None:
    reps = _table(
        {
            "base": {"payout_share_of_bookings": [0.1, 0.2, 0.15]},
            "a": {"payout_share_of_bookings": [0.05, 0.1, 0.1]},
        }
    )
    s = dc.payout_share(reps, ["base", "a"], "base").set_index("plan")
    assert s.loc["base", "mean"] == pytest.approx(np.mean([0.1, 0.2, 0.15]))
    assert s.loc["a", "diff"] == pytest.approx(np.mean([-0.05, -0.1, -0.05]))
    assert math.isnan(s.loc["base", "diff"])


def test_probability_best() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.01, 12)
    reps = _table(
        {
            "base": {"nrr": list(1.0 + noise), "payout_cost": list(100 + noise)},
            "better": {"nrr": list(1.05 + noise), "payout_cost": list(90 + noise)},
            "same": {"nrr": list(1.0 + noise), "payout_cost": list(100 + noise)},
        }
    )
    p = dc.probability_best(reps, ["base", "better", "same"], "nrr", seed=3)
    assert p == {"base": 0.0, "better": 1.0, "same": 0.0}
    # lower payout is better: the direction comes from the objective
    assert dc.probability_best(reps, ["base", "better"], "payout_cost", seed=3)["better"] == 1.0
    # two identical plans split every draw; the result is reproducible from the seed
    tie = dc.probability_best(reps, ["base", "same"], "nrr", seed=3)
    assert tie == {"base": 0.5, "same": 0.5}
    close = _table({"x": {"nrr": list(1.0 + noise)}, "y": {"nrr": list(1.0 + noise[::-1])}})
    one = dc.probability_best(close, ["x", "y"], "nrr", seed=5)
    assert one == dc.probability_best(close, ["x", "y"], "nrr", seed=5)
    assert sum(one.values()) == pytest.approx(1.0)
    assert 0.0 < one["x"] < 1.0


def test_probability_best_needs_eight_paired_replications() -> None:
    # 7 replications where both plans have a value (x lacks one of 8): too few for a bootstrap
    x = [1.0, 1.01, 0.99, 1.02, 1.0, 0.98, 1.01, math.nan]
    y = [1.05, 1.06, 1.04, 1.07, 1.05, 1.03, 1.06, 1.05]
    reps = _table({"x": {"nrr": x}, "y": {"nrr": y}})
    assert dc.paired_replications(reps, ["x", "y"], "nrr") == 7
    assert all(math.isnan(p) for p in dc.probability_best(reps, ["x", "y"], "nrr", seed=1).values())
    x[-1] = 1.0  # the eighth pair
    reps = _table({"x": {"nrr": x}, "y": {"nrr": y}})
    assert dc.paired_replications(reps, ["x", "y"], "nrr") == dc.MIN_BOOTSTRAP_REPLICATIONS == 8
    assert dc.probability_best(reps, ["x", "y"], "nrr", seed=1) == {"x": 0.0, "y": 1.0}
    assert dc.paired_replications(reps, ["x", "y"], "no_such_metric") == 0


def test_frontier_marks_dominated_plans() -> None:
    noise = np.array([0.0, 0.01, -0.01, 0.005, -0.005, 0.002])
    reps = _table(
        {
            "base": {"payout_cost": list(100 + 10 * noise), "nrr": list(1.0 + noise)},
            "cheap-good": {"payout_cost": list(80 + 10 * noise), "nrr": list(1.02 + noise)},
            "dear-bad": {"payout_cost": list(120 + 10 * noise), "nrr": list(0.99 + noise)},
            "dear-good": {"payout_cost": list(130 + 10 * noise), "nrr": list(1.05 + noise)},
        }
    )
    f = dc.frontier(reps, ["base", "cheap-good", "dear-bad", "dear-good"], "base", "nrr").set_index("plan")
    assert f.loc["base", "dominated_by"] == "cheap-good" and f.loc["base", "clearly_dominated"]
    assert f.loc["dear-bad", "dominated"] and f.loc["dear-bad", "clearly_dominated"]
    assert not f.loc["cheap-good", "dominated"]
    assert not f.loc["dear-good", "dominated"]  # costs more, retains more: on the frontier
    assert f.loc["cheap-good", "cost_diff"] == pytest.approx(-20.0)
    assert f.loc["cheap-good", "outcome_diff"] == pytest.approx(0.02)


def test_the_decision_table_ranks_plans_by_the_probability_of_being_best() -> None:
    import sim
    from sim.scenario import load_scenario_text

    scenario = load_scenario_text(
        "extends: base-company.yaml\nname: r\nplans:\n  - {name: a, based_on: conventional}\n"
        "  - {name: b, based_on: conventional}\n  - {name: c, based_on: conventional}\n"
        "experiment: {baseline_plan: a}\n",
        "r.yaml",
        base_dir=ROOT / "scenarios",
    )
    noise = [0.0, 0.01, -0.01, 0.004, -0.002, 0.006, -0.004, 0.002]
    reps = _table(
        {
            "a": {"nrr": [1.00 + x for x in noise], "payout_cost": [100.0] * 8},
            "b": {"nrr": [1.03 + x for x in noise], "payout_cost": [110.0] * 8},
            "c": {"nrr": [1.01 + x for x in noise], "payout_cost": [90.0] * 8},
        }
    )
    decision = sim.Results(scenario, reps).decision()
    table = decision.table().set_index("plan")
    assert table["rank"].to_dict() == {"b": 1.0, "a": 2.0, "c": 2.0}  # a and c never best: tied
    assert table.loc["b", "probability_best"] == 1.0
    assert table.loc["c", "plan_class"] == "dominates"  # better NRR at lower payout
    assert not any("P(best) –" in note for note in decision_cells(decision).notes)
    # six replications: no probability, no rank, and a footnote that says why
    few = sim.Results(scenario, reps[reps["replication"] < 6]).decision()
    table = few.table()
    assert table["probability_best"].isna().all() and table["rank"].isna().all()
    cells = decision_cells(few)
    assert {row[-2] for row in cells.rows} == {("–", "")}
    assert [n for n in cells.notes if n.startswith("P(best) –")] == [
        "P(best) –: 6 paired replications with a finite NRR; it is given from 8 on, as a bootstrap of "
        "fewer is too coarse and too narrow to be a probability: run at least 8 per plan."
    ]
