"""The notebook API: sim.run, Results, Results.load and the plot helpers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS, THREE_PLANS, make_scenario
from matplotlib.figure import Figure

import sim
from sim.scenario import ScenarioError


def _scenario():  # type: ignore[no-untyped-def]
    return make_scenario(THREE_PLANS, "  replications: 4\n  max_replications: 4\n  precision: {}")


def test_run_with_overrides_and_load(tmp_path: Path) -> None:
    res = sim.run(
        _scenario(),
        reps=5,
        seed=3,
        replicate="experiment_fakes:replicate",
        out=tmp_path / "api",
        set={"company.segments.smb.annual_churn": 0.2},
        company__horizon_years=2,
    )
    assert isinstance(res, sim.Results)
    assert res.scenario.company.segments.smb.annual_churn == 0.2
    assert res.scenario.company.horizon_years == 2
    assert res.scenario.experiment.seed == 3
    assert res.replications.groupby("plan").size().tolist() == [5, 5, 5]
    summary = res.summary(["nrr"])
    assert summary["plan"].tolist() == ["conventional", "richer", "leaner"]
    assert res.comparison(["nrr"])["plan"].tolist() == ["richer", "leaner"]
    assert set(res.timeseries["series"]) == {"arr", "customers"}
    loaded = sim.Results.load(tmp_path / "api")
    pd.testing.assert_frame_equal(loaded.replications, res.replications, check_exact=True)
    assert loaded.scenario == res.scenario
    pd.testing.assert_frame_equal(loaded.comparison(), res.comparison())


def test_run_from_path_with_a_bad_override() -> None:
    with pytest.raises(ScenarioError) as err:
        sim.run(
            SCENARIOS / "base-company.yaml", replicate="experiment_fakes:replicate", company__horizon_years=-1
        )
    assert "company.horizon_years" in err.value.paths[0]


def test_failures_warn_and_return(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match="richer#2"):
        res = sim.run(_scenario(), replicate="experiment_fakes:failing_replicate")
    assert [f["replication"] for f in res.failures] == [2]
    assert len(res.replications) == 11


def test_plots_return_figures() -> None:
    res = sim.run(_scenario(), replicate="experiment_fakes:replicate")
    fig = res.plot_metric("nrr")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["conventional", "richer", "leaner"]
    fig2 = res.plot_arr()
    assert isinstance(fig2, Figure)
    assert len(fig2.axes[0].get_lines()) == 3
