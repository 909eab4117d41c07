"""Global sensitivity through the point runner: closed-form indices, screening, robustness, resume."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import explore_fakes
import numpy as np
import pandas as pd
import pytest
from explore_fakes import UNUSED, X_PATHS, analytic_indices
from ishigami import TINY, ishigami_scenario

from sim.explore.robustness import PRIM_DENSITY, _prim_threshold, prim_region
from sim.explore.sensitivity import Settings, run_sensitivity
from sim.scenario import load_scenario_text

FAKE = "explore_fakes:ishigami"


def test_sobol_recovers_the_ishigami_indices_within_salib_intervals() -> None:
    s = run_sensitivity(ishigami_scenario(), Settings("sobol", 256, 1), backend="serial", replicate=FAKE)
    s1, st = analytic_indices()
    t = s.table("nrr", "value")
    t = t[t["plan"] == "a"].set_index("parameter")
    for path, want1, want_t in zip(X_PATHS, s1, st, strict=True):
        row = t.loc[path]
        assert abs(row["S1"] - want1) <= row["S1_conf"], (path, row["S1"], row["S1_conf"], want1)
        assert abs(row["ST"] - want_t) <= row["ST_conf"], (path, row["ST"], row["ST_conf"], want_t)
        assert row["S1_conf"] < 0.2 and row["ST_conf"] < 0.2  # intervals narrow enough to mean something
    # the parameter nothing reads: no variance at all
    assert t.loc[UNUSED, "S1"] == 0.0 and t.loc[UNUSED, "ST"] == 0.0
    # the paired difference b - a moves with x1 only
    d = s.table("nrr", "difference").set_index("parameter")
    assert d.loc[X_PATHS[0], "ST"] > 0.9
    assert all(abs(d.loc[p, "ST"]) < 1e-6 for p in (*X_PATHS[1:], UNUSED))


def test_morris_screens_out_the_unused_parameter_and_ranks_the_others() -> None:
    s = run_sensitivity(ishigami_scenario(), Settings("morris", 20, 2), backend="serial", replicate=FAKE)
    t = s.table("nrr", "value")
    t = t[t["plan"] == "a"].set_index("parameter")
    assert t.loc[UNUSED, "mu_star"] == 0.0 and t.loc[UNUSED, "sigma"] == 0.0
    assert min(t.loc[p, "mu_star"] for p in X_PATHS) > 0.5
    # deterministic fake: no replication noise
    assert (s.indices.loc[s.indices["metric"] == "nrr", "noise_share"].fillna(0.0) == 0.0).all()


def test_design_layout_and_values_follow_the_declared_distributions() -> None:
    extra = """\
  company.customers.renewal_health_sensitivity:
    {distribution: triangular, low: 2, mode: 3, high: 6, source: t}
  company.reps.headcount: {low: 30, high: 34, source: whole numbers}
  behaviour.csm.advocacy_multiplier:
    {distribution: truncated_normal, mean: 2, sd: 0.5, low: 1, high: 3, source: t}
  behaviour.csm.expansion_multiplier: {distribution: log_uniform, low: 0.5, high: 2, source: t}
"""
    s = run_sensitivity(ishigami_scenario(extra), Settings("sobol", 64, 1), backend="serial", replicate=FAKE)
    d = s.design
    dims = len(s.params)
    assert len(d) == 64 * (dims + 2) and (d["block"].to_numpy() == np.arange(len(d)) // (dims + 2)).all()
    heads = d["company.reps.headcount"]
    assert set(heads.unique()) <= {30, 31, 32, 33, 34} and heads.nunique() == 5
    tri = d["company.customers.renewal_health_sensitivity"]
    assert tri.min() >= 2 and tri.max() <= 6 and abs(tri.mean() - (2 + 3 + 6) / 3) < 0.1
    tn = d["behaviour.csm.advocacy_multiplier"]
    assert tn.min() >= 1 and tn.max() <= 3 and abs(tn.median() - 2) < 0.05
    lu = np.log(d["behaviour.csm.expansion_multiplier"])
    assert abs(lu.mean() - (math.log(0.5) + math.log(2)) / 2) < 0.05
    # every point x plan x replication is in the samples, with the point's values
    assert len(s.samples) == len(d) * 2
    assert (s.samples.groupby("point")["company.reps.headcount"].nunique() == 1).all()


def test_probability_best_and_the_flip_region() -> None:
    # b beats a exactly when x1 > 0, i.e. behaviour.rationality_per_kusd > pi
    s = run_sensitivity(ishigami_scenario(), Settings("sobol", 128, 1), backend="serial", replicate=FAKE)
    rob = s.robustness.set_index("plan")
    assert abs(rob.loc["b", "p_best"] - 0.5) < 0.05
    assert rob.loc["b", "ci_low"] < 0.5 < rob.loc["b", "ci_high"]
    assert rob.loc["a", "p_best"] + rob.loc["b", "p_best"] == pytest.approx(1.0)
    region = next(r for r in s.regions if r.event == "b is the best plan")
    assert region.found and region.density > 0.95 and region.coverage > 0.95
    (limit,) = region.limits
    assert limit["parameter"] == X_PATHS[0] and limit["high"] is None
    assert abs(limit["low"] - math.pi) < 0.15
    assert "behaviour.rationality_per_kusd ≥ 3.1" in region.words()


def test_a_region_below_the_density_bar_is_reported_as_a_weak_box() -> None:
    # the event lives where x0 > 0.6 but happens at only 60% of those points: no box reaches the
    # 80% density bar, so the densest box is reported and flagged weak (docs/explore.md), whatever
    # ema_workbench's version (before 3.0 its threshold used to swap in an unpeeled "dump box")
    rng = np.random.default_rng(20261207)
    x = rng.random((600, 2))
    event = (x[:, 0] > 0.6) & (rng.random(600) < 0.6)
    params = [SimpleNamespace(path="a"), SimpleNamespace(path="b")]
    region = prim_region(x, params, event, "b is the best plan")  # type: ignore[arg-type]
    assert not region.found
    assert 0.45 < region.density < PRIM_DENSITY and region.coverage > 0.5
    limit_a = next(lim for lim in region.limits if lim["parameter"] == "a")
    assert 0.5 < limit_a["low"] < 0.7
    assert region.words().endswith("(a weak box: density below 80%).")


def test_the_prim_threshold_is_passed_only_to_an_ema_workbench_that_takes_one() -> None:
    class Before3:
        def __init__(self, x: object, y: object, threshold: float, mass_min: float = 0.05) -> None: ...

    class From3:
        def __init__(self, x: object, y: object, mass_min: float = 0.05) -> None: ...

    assert _prim_threshold(Before3) == {"threshold": 1e-9}  # counts the 1s alone; never a dump box
    assert _prim_threshold(From3) == {}


def test_p_best_has_no_interval_and_no_claim_below_eight_trajectories() -> None:
    from sim.explore import plots
    from sim.explore.report import probability_sentence

    few = run_sensitivity(ishigami_scenario(), Settings("morris", 4, 1), backend="serial", replicate=FAKE)
    rob = few.robustness
    assert rob["ci_low"].isna().all() and rob["ci_high"].isna().all() and (rob["blocks"] == 4).all()
    for row in rob.to_dict("records"):
        want = f"{row['plan']} is best at {row['p_best']:.0%} of sample points (no interval: 4 trajectories, "
        assert probability_sentence(few, row) == want + "it needs 8)."
    printed = str(few)
    assert printed.splitlines()[0].endswith("x 1 replication") and "CI" not in printed
    plots.probability_figure(few)  # drawn without error bars
    enough = run_sensitivity(ishigami_scenario(), Settings("morris", 8, 1), backend="serial", replicate=FAKE)
    assert enough.robustness[["ci_low", "ci_high"]].notna().all().all()
    assert "% CI " in probability_sentence(enough, enough.robustness.to_dict("records")[0])


def test_serial_and_process_backends_give_identical_results() -> None:
    sc = ishigami_scenario()
    a = run_sensitivity(
        sc, Settings("morris", 4, 2), backend="serial", replicate="explore_fakes:noisy_ishigami"
    )
    b = run_sensitivity(
        sc, Settings("morris", 4, 2), backend="process", workers=2, replicate="explore_fakes:noisy_ishigami"
    )
    pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)
    pd.testing.assert_frame_equal(a.indices, b.indices, check_exact=True)


def test_an_interrupted_run_resumes_without_recomputing(tmp_path: Path) -> None:
    sc = ishigami_scenario()
    out = tmp_path / "sens"
    settings = Settings("morris", 6, 2)
    explore_fakes.CALLS[0] = 0
    with pytest.raises(KeyboardInterrupt):
        run_sensitivity(sc, settings, backend="serial", replicate="explore_fakes:interrupting", out=out)
    assert '"status": "interrupted"' in (out / "metadata.json").read_text()
    saved = sum(len(pd.read_parquet(p)) for p in (out / "checkpoints").glob("chunk-*.parquet"))
    # the tasks finished before the interrupt (the interrupted task's earlier units are lost with it)
    assert 0 < saved < explore_fakes.INTERRUPT_AT
    resumed = run_sensitivity(sc, settings, backend="serial", replicate=FAKE, out=out, resume=True)
    total = len(resumed.design) * 2 * 2
    assert resumed.metadata["loaded_from_checkpoints"] == saved
    assert resumed.metadata["computed"] == total - saved
    fresh = run_sensitivity(sc, settings, backend="serial", replicate=FAKE)
    pd.testing.assert_frame_equal(resumed.samples, fresh.samples, check_exact=True)
    pd.testing.assert_frame_equal(resumed.indices, fresh.indices, check_exact=True)
    assert (out / "report.html").is_file() and (out / "indices.csv").is_file()


def test_real_world_common_random_numbers_give_exactly_zero_effect_to_an_unused_parameter() -> None:
    # billing is off in the base company, so the collection delay is read by nothing: under common
    # random numbers every elementary effect of it is exactly zero, whatever the world's noise
    text = """\
extends: base-company.yaml
name: tiny-unused
uncertainties:
  company.billing.collection_delay_mean_days: {low: 5, high: 60, source: billing is off}
"""
    from ishigami import SCENARIOS

    sc = load_scenario_text(text, "t.yaml", base_dir=SCENARIOS, overrides=TINY)
    sc = sc.model_copy(
        update={
            "uncertainties": {
                k: v for k, v in sc.uncertainties.items() if k.startswith(("company.b", "behaviour.r"))
            }
        }
    )
    s = run_sensitivity(sc, Settings("morris", 2, 1), backend="serial")
    t = s.table("nrr", "value").set_index("parameter")
    assert t.loc["company.billing.collection_delay_mean_days", "mu_star"] == 0.0
    assert t.loc["behaviour.rationality_per_kusd", "mu_star"] > 0.0


@pytest.mark.slow
def test_dask_backend_gives_the_serial_results() -> None:
    sc = ishigami_scenario()
    noisy = "explore_fakes:noisy_ishigami"
    a = run_sensitivity(sc, Settings("morris", 3, 2), backend="serial", replicate=noisy)
    b = run_sensitivity(sc, Settings("morris", 3, 2), backend="dask", workers=2, replicate=noisy)
    pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)
