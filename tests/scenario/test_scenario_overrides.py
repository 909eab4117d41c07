"""``--set path=value`` overrides: typed by the schema, plans by name or index, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_set, with_overrides
from sim.scenario.overrides import apply_overrides

SEED = Path(__file__).resolve().parent.parent.parent / "scenarios" / "seed-plans.yaml"


def load(*items: str) -> Scenario:
    return load_scenario(SEED, list(items))


def test_text_fields_keep_text() -> None:
    s = load("name=123", "plans.conventional.description=yes", "experiment.baseline_plan=clawback")
    assert s.name == "123"
    assert s.plan("conventional").description == "yes"
    assert s.experiment.baseline_plan == "clawback"


def test_numbers_are_parsed() -> None:
    s = load("experiment.seed=7", "company.horizon_years=2.5", "company.reps.headcount=12")
    assert s.experiment.seed == 7
    assert s.company.horizon_years == 2.5
    assert s.company.reps.headcount == 12


def test_lists_and_mappings_are_parsed() -> None:
    s = load("plans.conventional.crediting.upsell=[ae, csm]", "experiment.precision={nrr: 0.01, grr: 0.02}")
    assert s.plan("conventional").crediting.upsell == ["ae", "csm"]
    assert s.experiment.precision == {"nrr": 0.01, "grr": 0.02}


def test_plans_by_name_and_by_index() -> None:
    base = load()
    by_name = load("plans.clawback.ae.quota.annual_amount=900000")
    index = [p.name for p in base.plans].index("clawback")
    by_index = load(f"plans.{index}.ae.quota.annual_amount=900000")
    by_negative = load(f"plans.{index - len(base.plans)}.ae.quota.annual_amount=900000")
    base_quota = base.plan("conventional").ae.quota
    assert base_quota is not None and base_quota.annual_amount != 900000
    for s in (by_name, by_index, by_negative):
        quota = s.plan("clawback").ae.quota
        assert quota is not None and quota.annual_amount == 900000
        # Only that plan changed.
        assert s.plan("conventional").ae.quota == base_quota


def test_value_may_hold_an_equals_sign_and_later_sets_win() -> None:
    s = load("description=a=b", "experiment.seed=1", "experiment.seed=2")
    assert s.description == "a=b"
    assert s.experiment.seed == 2


def test_missing_intermediate_mappings_are_created() -> None:
    s = load("output.dir=x", "plans.conventional.ae.quota.period=year")
    assert s.output.dir == "x"
    quota = s.plan("conventional").ae.quota
    assert quota is not None and quota.period == "year"


@pytest.mark.parametrize(
    ("item", "path", "fragment"),
    [
        ("experiment.sed=1", "experiment.sed", "did you mean 'seed'?"),
        (
            "company.segments.smb.annual_churn_rate=0.1",
            "company.segments.smb.annual_churn_rate",
            "did you mean 'annual_churn'?",
        ),
        (
            "plans.convetional.ae.base_salary_annual_usd=1",
            "plans.convetional",
            "did you mean 'conventional'?",
        ),
        ("plans.99.name=x", "plans.99", "unknown item '99'"),
        ("plan.0.name=x", "plan", "did you mean 'plans'?"),
    ],
)
def test_unknown_paths_are_named_with_a_suggestion(item: str, path: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load(item)
    (problem,) = info.value.problems
    assert problem.file == "--set"
    assert problem.path == path
    assert fragment in problem.message


def test_wrong_values_are_reported_at_the_field() -> None:
    with pytest.raises(ScenarioError) as info:
        load("company.segments.smb.annual_churn=12")
    assert info.value.paths == ["company.segments.smb.annual_churn"]
    with pytest.raises(ScenarioError) as info:
        load("experiment.seed=seven")
    assert info.value.paths == ["experiment.seed"]


def test_missing_equals_sign() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_set(["experiment.seed7"])
    (problem,) = info.value.problems
    assert problem.path == "experiment.seed7"
    assert "no '='" in problem.message
    with pytest.raises(ScenarioError) as info:
        parse_set(["=3"])
    assert info.value.problems[0].path == "(empty)"


def test_scalar_in_the_way_is_replaced_not_crashed_on() -> None:
    """Setting below a value that is not a mapping (or a list item that is text) is an ordinary error."""
    data = {"name": "x", "plans": ["just text"], "company": 5}
    apply_overrides(data, {"plans.0.name": "a", "company.name": "c"}, source="--set")
    assert data["plans"] == [{"name": "a"}]
    assert data["company"] == {"name": "c"}


def test_cli_set_unknown_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SEED), "--set", "experiment.sed=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --set: experiment.sed: unknown key 'sed' (did you mean 'seed'?)")
    assert "Traceback" not in err


def test_cli_set_missing_equals_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SEED), "--set", "experiment.seed"]) == 2
    assert capsys.readouterr().err == (
        "error: --set: experiment.seed: expected path.to.field=value, found no '='\n"
    )


def test_cli_set_applies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SEED), "--set", "name=renamed"]) == 0
    assert "renamed" in capsys.readouterr().out


def test_with_overrides_on_a_loaded_scenario() -> None:
    s = load()
    changed = with_overrides(
        s, {"experiment.seed": "11", "plans.conventional.ae.base_salary_annual_usd": "1"}
    )
    assert changed.experiment.seed == 11
    assert changed.plan("conventional").ae.base_salary_annual_usd == 1
    assert s.experiment.seed != 11


def test_yaml_aliases_do_not_tie_fields_together(tmp_path: Path) -> None:
    """A plan written as an alias of another is a copy: --set on one leaves the other alone."""
    path = tmp_path / "aliases.yaml"
    path.write_text(
        "extends: " + str(SEED.parent / "base-company.yaml") + "\n"
        "plans:\n"
        "  - &p {name: a, ae: {base_salary_annual_usd: 1, target_variable_annual_usd: 0}}\n"
        "  - {<<: *p, name: b}\n"
        "experiment: {baseline_plan: a}\n",
        encoding="utf-8",
    )
    s = load_scenario(path, ["plans.a.ae.base_salary_annual_usd=5"])
    assert s.plan("a").ae.base_salary_annual_usd == 5
    assert s.plan("b").ae.base_salary_annual_usd == 1


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ScenarioError) as info:
        load("company.horizon_years=.inf", "behaviour.ae.win_odds_per_overcommit=.nan")
    assert info.value.paths == ["company.horizon_years", "behaviour.ae.win_odds_per_overcommit"]
    assert all("finite" in p.message for p in info.value.problems)


def test_paths_as_error_lines_print_them_are_accepted_by_set(scenario_from_text) -> None:  # type: ignore[no-untyped-def]
    s = scenario_from_text(
        "extends: base-company.yaml\nname: t\nplans:\n  - {name: v1.2, based_on: conventional}\n"
        "experiment: {baseline_plan: v1.2}\n",
        overrides={'plans["v1.2"].ae.components[commission].rates.0.rate': "0.08"},
    )
    assert s.plans[0].ae.components[0].rates[0].rate == 0.08


@pytest.mark.parametrize(
    "path",
    ["plans.3.ae.components.0.rates", 'plans[one-step-deeper].ae.components[commission].rates.1.rate',
     'plans["v1.2"].ae.components["a: b"].rates', 'company.segments.smb', 'experiment.precision."x.y"'],
)  # fmt: skip
def test_split_path_inverts_the_printed_paths(path: str) -> None:
    from sim.problems import format_path, named_path, split_path

    parts = split_path(path)
    assert named_path(parts, None) == format_path(parts)
    assert split_path(format_path(parts)) == parts


def test_named_path_names_unique_items_and_keeps_indexes_otherwise() -> None:
    from sim.problems import named_path

    data = {"plans": [{"name": "a", "ae": {"components": [{"name": "c"}, {"name": "c"}]}}, {"name": "a"}, {}]}
    assert named_path(["plans", 0, "ae", "components", 1, "rates"], data) == "plans.0.ae.components.1.rates"
    data["plans"][1]["name"] = "b"
    assert named_path(["plans", 0, "ae", "components", 1], data) == "plans[a].ae.components.1"
    assert named_path(["plans", 1, "x"], data) == "plans[b].x"
    assert named_path(["plans", 2, "x"], data) == "plans.2.x"
