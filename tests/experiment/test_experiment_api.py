"""The notebook API: sim.run, Results, Results.load and the plot helpers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from experiment_helpers import SCENARIOS, THREE_PLANS, make_scenario
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


@pytest.mark.parametrize("arg", ["reps", "max_reps"])
def test_one_replication_names_the_argument_as_the_command_line_names_its_flag(arg: str) -> None:
    with pytest.raises(ScenarioError) as err:
        sim.run(SCENARIOS / "base-company.yaml", replicate="experiment_fakes:replicate", **{arg: 1})
    assert err.value.paths == [arg]
    assert str(err.value) == (
        f"error: (arguments): {arg}: expected at least 2 replications per plan "
        "(an interval needs two), found 1"
    )


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


def test_reps_means_exactly_that_many_replications_per_plan() -> None:
    # the scenario asks for a precision loop up to 40; reps=3 still runs exactly 3 per plan
    s = make_scenario(THREE_PLANS, "  replications: 8\n  max_replications: 40\n  precision: {nrr: 1e-9}")
    res = sim.run(s, reps=3, backend="serial", quiet=True, replicate="experiment_fakes:replicate")
    assert res.replications.groupby("plan").size().tolist() == [3, 3, 3]
    assert res.scenario.experiment.precision == {}
    # max_reps asks for the loop: from reps, up to max_reps (the target cannot be met)
    res = sim.run(s, reps=3, max_reps=7, backend="serial", quiet=True, replicate="experiment_fakes:replicate")
    assert res.replications.groupby("plan").size().tolist() == [7, 7, 7]
    assert res.metadata["precision"]["status"] == "stopped_at_max"


def test_run_defaults_are_the_command_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    from sim.api import run
    from sim.commands import run as run_command

    params = inspect.signature(run).parameters
    assert params["backend"].default == "process"
    assert params["workers"].default is None  # one per core, like the command line
    assert params["quiet"].default is False
    parser = __import__("argparse").ArgumentParser()
    run_command.register(parser.add_subparsers())
    args = parser.parse_args(["run", "x.yaml"])
    assert args.backend == params["backend"].default and args.workers == params["workers"].default


def test_a_notebook_gets_an_html_progress_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.experiment import progress

    shown: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            shown.append(obj._repr_html_())  # type: ignore[attr-defined]

    def display(obj: object, display_id: bool = False) -> Handle:
        shown.append(obj._repr_html_())  # type: ignore[attr-defined]
        return Handle()

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", display)
    bar = progress.make_progress(False)
    assert isinstance(bar, progress.NotebookProgress)
    bar.start(10)
    bar.update(10, 10, "nrr ±0.004")
    assert "<progress" in shown[0] and 'value="10" max="10"' in shown[-1] and "nrr ±0.004" in shown[-1]
    assert type(progress.make_progress(True)) is progress.Progress  # quiet
    monkeypatch.undo()
    assert not progress.in_notebook()  # pytest is no notebook


def test_results_show_formatted_tables_in_a_notebook() -> None:
    res = sim.run(_scenario(), reps=8, backend="serial", quiet=True, replicate="experiment_fakes:replicate")
    page = res._repr_html_()
    assert "<table" in page and "conventional (baseline)" in page
    assert " pp" in page and "$" in page and "Δ" in page  # differences in pp, money in $
    decision = res.decision()
    assert "payout per NRR point" in decision._repr_html_()
    table = decision.table()
    assert table["plan"].tolist() == ["conventional", "richer", "leaner"]
    assert table["probability_best"].sum() == pytest.approx(1.0)
    assert len(decision.verdicts()) == 2


def test_printing_the_decision_shows_the_command_lines_table_and_verdicts() -> None:
    # outside a notebook print(results.decision()) shows what incentsim run prints, in plain text
    res = sim.run(_scenario(), backend="serial", quiet=True, replicate="experiment_fakes:replicate")
    decision = res.decision()
    text = str(decision)
    assert text.splitlines()[0].strip() == "Decision: what each plan buys, per dollar"
    assert "payout per NRR point" in text and "conventional (baseline)" in text
    assert "\x1b[" not in text  # no terminal colour codes
    flat = " ".join(text.split())
    for verdict in decision.verdicts():
        assert "• " + " ".join(verdict.text.split()) in flat


def test_tab_completion_offers_the_lazy_exports() -> None:
    assert {"run", "Results", "sensitivity", "optimise", "load_scenario"} <= set(dir(sim))


def test_plots_have_units_and_paired_bands() -> None:
    res = sim.run(_scenario(), backend="serial", quiet=True, replicate="experiment_fakes:replicate")
    fig = res.plot_arr()
    left = fig.axes[0]
    labels = [t.get_text() for t in left.get_yticklabels()]
    assert any(t.startswith("$") for t in labels)  # dollars on the axis, no 1e6 offset
    assert left.yaxis.get_offset_text().get_text() == ""
    assert len(fig.axes) == 2 and "paired" in fig.axes[1].get_title()
    forest = res.plot_metric("nrr")
    assert "percentage points" in forest.axes[1].get_xlabel()
    frontier = res.plot_frontier()
    assert len(frontier.axes) == 2
