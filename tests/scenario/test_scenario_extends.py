"""``extends`` (file overlays) and ``based_on`` (plan overlays)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.load import deep_merge, resolve_raw

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

BASE = """\
name: base
company:
  horizon_years: 2
  segments:
    smb: {leads_per_month: 100, annual_churn: 0.2, base_win_rate: 0.3}
    enterprise: {leads_per_month: 5}
behaviour:
  ae: {discount_options: [0.0, 0.1, 0.2]}
plans:
  - name: upfront
    description: the base plan
    ae:
      base_salary_annual_usd: 100000
      quota: {annual_amount: 1000000}
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.1}, {from_attainment: 1.0, rate: 0.15}]
    csm: {base_salary_annual_usd: 90000}
experiment: {replications: 2, max_replications: 4}
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def put(rel: str, text: str) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return put


def test_deep_merge_of_mappings(write: Callable[[str, str], Path]) -> None:
    write("base.yaml", BASE)
    child = write(
        "child.yaml", "extends: base.yaml\nname: child\ncompany:\n  segments:\n    smb: {annual_churn: 0.1}\n"
    )
    s = load_scenario(child)
    smb = s.company.segments.smb
    assert smb.annual_churn == 0.1  # overridden
    assert smb.leads_per_month == 100 and smb.base_win_rate == 0.3  # kept from the base
    assert s.company.segments.enterprise.leads_per_month == 5
    assert s.company.horizon_years == 2
    assert s.name == "child"


def test_lists_are_replaced_whole(write: Callable[[str, str], Path]) -> None:
    write("base.yaml", BASE)
    child = write(
        "child.yaml",
        "extends: base.yaml\nbehaviour:\n  ae: {discount_options: [0.05]}\nplans:\n  - name: only\n"
        "experiment: {baseline_plan: only}\n",
    )
    s = load_scenario(child)
    assert s.behaviour.ae.discount_options == [0.05]
    assert [p.name for p in s.plans] == ["only"]
    assert s.plan("only").ae.components == []  # nothing merged from the base's plan list


def test_relative_path_is_from_the_extending_files_folder(
    write: Callable[[str, str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("shared/bases/base.yaml", BASE)
    child = write("scenarios/deep/child.yaml", "extends: ../../shared/bases/base.yaml\nname: child\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_scenario(child).company.horizon_years == 2
    # The same reference from the working directory would not resolve.
    with pytest.raises(ScenarioError) as info:
        load_scenario(write("elsewhere/child.yaml", "extends: ../../shared/bases/base.yaml\nname: c\n"))
    assert info.value.paths == ["extends"]


def test_based_on_a_plan_of_the_extended_file(write: Callable[[str, str], Path]) -> None:
    write("base.yaml", BASE)
    child = write(
        "child.yaml",
        """\
extends: base.yaml
plans:
  - name: upfront
    based_on: upfront
  - name: richer
    based_on: upfront
    ae: {base_salary_annual_usd: 120000}
""",
    )
    s = load_scenario(child)
    richer = s.plan("richer")
    assert richer.ae.base_salary_annual_usd == 120000
    assert richer.ae.quota is not None and richer.ae.quota.annual_amount == 1_000_000
    assert [c.name for c in richer.ae.components] == ["commission"]
    assert richer.csm.base_salary_annual_usd == 90000
    assert richer.description == ""  # descriptions are not inherited
    assert s.plan("upfront").description == "the base plan"  # ... unless the plan is the same one


def test_based_on_a_plan_of_the_same_file_in_any_order() -> None:
    raw = {
        "name": "x",
        "plans": [
            {"name": "b", "based_on": "a", "ae": {"base_salary_annual_usd": 2}},
            {"name": "a", "ae": {"base_salary_annual_usd": 1, "target_variable_annual_usd": 7}},
            {"name": "c", "based_on": "b"},
        ],
    }
    from sim.scenario.load import _resolve_based_on

    plans = _resolve_based_on(raw["plans"], [], "<test>")
    assert plans[0]["ae"] == {"base_salary_annual_usd": 2, "target_variable_annual_usd": 7}
    assert plans[2]["ae"] == plans[0]["ae"] and plans[2]["ae"] is not plans[0]["ae"]


def test_chain_of_three_files(write: Callable[[str, str], Path]) -> None:
    write("a/base.yaml", BASE)
    write(
        "b/middle.yaml",
        """\
extends: ../a/base.yaml
name: middle
company: {horizon_years: 3, segments: {smb: {leads_per_month: 50}}}
plans:
  - name: upfront
    based_on: upfront
  - name: cheaper
    based_on: upfront
    csm: {base_salary_annual_usd: 80000}
""",
    )
    top = write(
        "c/top.yaml",
        """\
extends: ../b/middle.yaml
company: {segments: {smb: {annual_churn: 0.05}}}
experiment: {baseline_plan: cheaper}
""",
    )
    s = load_scenario(top)
    assert s.name == "middle"  # from the middle file
    assert s.company.horizon_years == 3  # middle overrides base
    smb = s.company.segments.smb
    assert (smb.leads_per_month, smb.annual_churn, smb.base_win_rate) == (50, 0.05, 0.3)  # all three layers
    assert [p.name for p in s.plans] == ["upfront", "cheaper"]
    assert s.plan("cheaper").csm.base_salary_annual_usd == 80000
    assert s.plan("cheaper").ae.base_salary_annual_usd == 100000  # from the base file's plan
    assert s.baseline == "cheaper"


def test_based_on_looks_in_the_resolved_parent(write: Callable[[str, str], Path]) -> None:
    """A plan of the grandparent is reachable only if the parent did not replace the plan list."""
    write("base.yaml", BASE)
    write("keeps.yaml", "extends: base.yaml\nname: keeps\n")
    write(
        "replaces.yaml",
        "extends: base.yaml\nname: replaces\nplans: [{name: other}]\nexperiment: {baseline_plan: other}\n",
    )
    child = "plans: [{name: mine, based_on: upfront}]\nexperiment: {baseline_plan: mine}\n"
    ok = write("ok.yaml", "extends: keeps.yaml\n" + child)
    assert load_scenario(ok).plan("mine").ae.base_salary_annual_usd == 100000
    bad = write("bad.yaml", "extends: replaces.yaml\n" + child)
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert info.value.paths == ["plans[mine].based_on"]
    assert "valid plans: mine, other" in info.value.problems[0].message


def test_errors_in_an_extended_file_name_that_file(write: Callable[[str, str], Path]) -> None:
    write("bases/broken.yaml", "name: [unclosed\n")
    child = write("child.yaml", "extends: bases/broken.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    (problem,) = info.value.problems
    assert Path(problem.file) == child.parent / "bases" / "broken.yaml"
    assert problem.path.startswith("line 2, column")


def test_resolve_raw_drops_extends_and_based_on(write: Callable[[str, str], Path]) -> None:
    write("base.yaml", BASE)
    child = write("child.yaml", "extends: base.yaml\nplans: [{name: p, based_on: upfront}]\n")
    raw = resolve_raw(child)
    assert "extends" not in raw
    assert "based_on" not in raw["plans"][0]


def test_deep_merge_copies() -> None:
    base = {"a": {"b": [1, 2]}, "k": {"x": 1}}
    out = deep_merge(base, {"a": {"c": 3}})
    assert out == {"a": {"b": [1, 2], "c": 3}, "k": {"x": 1}}
    out["a"]["b"].append(9)
    out["k"]["x"] = 2
    assert base == {"a": {"b": [1, 2]}, "k": {"x": 1}}


def test_fixture_extends_the_real_base(scenario_from_text: Callable[..., Scenario]) -> None:
    s = scenario_from_text("extends: base-company.yaml\nname: from-text\ncompany: {horizon_years: 1}\n")
    assert s.name == "from-text"
    assert s.company.horizon_years == 1
    raw = yaml.safe_load((SCENARIOS / "base-company.yaml").read_text())
    smb = raw["company"]["segments"]["smb"]
    assert s.company.segments.smb.starting_customers == smb["starting_customers"]
    assert s.baseline == "conventional"
    with pytest.raises(ScenarioError) as info:
        scenario_from_text("extends: base-company.yaml\ncompany: {horizon_year: 1}\n")
    assert info.value.paths == ["company.horizon_year"]


def test_a_copy_outside_scenarios_says_where_it_looked_and_what_would_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo_root: Path
) -> None:
    copy = tmp_path / "mine" / "seed-plans.yaml"
    copy.parent.mkdir()
    copy.write_text((repo_root / "scenarios" / "seed-plans.yaml").read_text("utf-8"), "utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(copy)
    (problem,) = info.value.problems
    assert problem.path == "extends"
    assert "looked for mine/base-company.yaml" in problem.message
    hint = problem.message.split("did you mean extends: ")[1].split(" ")[0]
    assert (copy.parent / hint).resolve() == (repo_root / "scenarios" / "base-company.yaml").resolve()
    copy.write_text(copy.read_text("utf-8").replace("base-company.yaml", hint, 1), "utf-8")
    assert load_scenario(copy).name == "seed-plans"  # the suggested path works


def test_an_extends_path_with_a_nul_character_is_a_scenario_error(write: Callable[[str, str], Path]) -> None:
    # found by the fuzz test: the path went to the file system, which raised a bare ValueError
    child = write("child.yaml", 'extends: "base\\0.yaml"\nname: x\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert info.value.paths == ["extends"]
    assert "NUL character" in info.value.problems[0].message
