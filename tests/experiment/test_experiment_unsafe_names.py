"""Random unicode (markup brackets, control characters, escapes, bidi marks) in every name that
reaches the terminal or the report: a scenario's name, a component's name, a deal's owner and
CSM. Nothing may raise, render as markup or reach the terminal raw."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import yaml
from experiment_helpers import SCENARIOS, make_scenario
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from rich.console import Console

from sim.cli import main
from sim.experiment.runner import Runner
from sim.experiment.summary import render_summary
from sim.safetext import path_component, rich_text, safe_text
from sim.scenario import Scenario, ScenarioError, load_scenario

FAKE = "experiment_fakes:replicate"
REPO = Path(__file__).resolve().parents[2]

NASTY = st.sampled_from(
    [
        "[",
        "]",
        "[/]",
        "[bold red]",
        "[link=x]",
        "\\",
        "\x1b[31m",
        "\x1b]0;t\x07",
        "\r",
        "\n",
        "\t",
        "\x00",
        "\x7f",
        "\x9b",
        "\u202e",
        "\u2028",
        "$",
        "$x^2$",
        ":smile:",
        "\ufeff",
        "ß",
        "名",
    ]
)
NAME = st.lists(st.one_of(NASTY, st.text(min_size=1, max_size=3)), min_size=1, max_size=6).map("".join)
"""Text built from markup, escapes and control characters mixed with arbitrary unicode."""


def _valid(data: dict[str, object]) -> Scenario:
    """A scenario from data through the schema (which strips surrounding whitespace and refuses
    empty names); data the schema refuses is not an example."""
    try:
        return Scenario.model_validate(data)
    except ValidationError:
        assume(False)
        raise


def _named(scenario: Scenario, name: str) -> Scenario:
    """``scenario`` renamed through the schema."""
    return _valid({**scenario.model_dump(mode="json"), "name": name})


def _clean_terminal(text: str) -> None:
    """Plain (non-terminal) output: printable characters and line breaks only."""
    bad = [c for c in text if not (c.isprintable() or c == "\n")]
    assert not bad, bad


@given(name=NAME)
def test_safe_text_is_one_printable_line_and_rich_text_renders_verbatim(name: str) -> None:
    shown = safe_text(name)
    assert shown.isprintable()
    buf = io.StringIO()
    Console(file=buf, width=10_000, color_system=None).print(rich_text(name))
    assert buf.getvalue() == shown + "\n"
    part = path_component(name)
    assert part and "/" not in part and "\\" not in part and not part.startswith(".")


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAME)
def test_scenario_name_in_the_run_summary_and_validate(name: str, tmp_path_factory: object) -> None:
    sc = make_scenario(
        "  - name: conventional\n    based_on: conventional\n  - name: b\n    based_on: conventional\n",
        "  replications: 2\n  max_replications: 2\n  precision: {}",
    )
    sc = _named(sc, name)
    results = Runner(sc, replicate=FAKE, backend="serial").run()
    buf = io.StringIO()
    render_summary(results, Console(file=buf, width=200, color_system=None))
    out = buf.getvalue()
    _clean_terminal(out)
    assert safe_text(sc.name)[:20] in out.replace("\n", "") or len(safe_text(sc.name)) > 150


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAME)
def test_scenario_name_in_validate(name: str, tmp_path_factory: object, capsys: object) -> None:
    import pytest

    assert isinstance(capsys, pytest.CaptureFixture)
    folder = Path(str(tmp_path_factory.mktemp("v")))  # type: ignore[attr-defined]
    path = folder / "s.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'base-company.yaml'}\n" + yaml.safe_dump({"name": name}), encoding="utf-8"
    )
    try:  # the schema strips surrounding whitespace (NEL and friends too) and refuses an empty name
        loaded = load_scenario(path).name
    except ScenarioError:
        assume(False)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    _clean_terminal(out)
    assert out == f"ok: {path}: {safe_text(loaded)} (1 plans)\n"


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAME, component=NAME)
def test_names_in_the_report(name: str, component: str, tmp_path_factory: object) -> None:
    from sim.report import write_report

    plans = (
        "  - name: conventional\n    based_on: conventional\n"
        "    ae: {components: [{name: c, measure: bookings_acv,\n"
        "                       rates: [{from_attainment: 0, rate: 0.1}]}]}\n"
    )
    sc = make_scenario(plans, "  replications: 2\n  max_replications: 2\n  precision: {}")
    data = sc.model_dump(mode="json")
    data["plans"][0]["ae"]["components"][0]["name"] = component
    sc = _named(_valid(data), name)
    out = Path(str(tmp_path_factory.mktemp("rep")))  # type: ignore[attr-defined]
    results = Runner(sc, replicate=FAKE, backend="serial", out=out / "r").run()
    report = write_report(out / "r", results, save_plots=True)
    text = report.read_text(encoding="utf-8")
    assert f"<h1>{html.escape(safe_text(results.scenario.name), quote=True)}</h1>" in text
    assert "\x1b" not in re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(owner=NAME, csm=NAME)
def test_owner_and_csm_names_in_the_backtest(
    owner: str, csm: str, tmp_path_factory: object, capsys: object
) -> None:
    import pytest

    assert isinstance(capsys, pytest.CaptureFixture)
    # an empty owner is a row error and a NUL byte makes the file binary (both tested elsewhere)
    assume(owner.strip() and owner.strip() != csm.strip() and "\x00" not in owner + csm)
    folder = Path(str(tmp_path_factory.mktemp("bt")))  # type: ignore[attr-defined]
    path = folder / "d.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "owner", "amount", "close_date", "type", "csm"])
        w.writerow(["D1", owner, "1000", "2025-03-01", "new", ""])
        w.writerow(["D2", owner, "500", "2025-06-01", "upsell", csm])
    code = main(
        [
            "backtest",
            str(path),
            "--scenario",
            str(REPO / "tests/plans/data/seed-plans.yaml"),
            "--out",
            str(folder / "o.json"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    _clean_terminal(out)
    data = json.loads((folder / "o.json").read_text(encoding="utf-8"))
    assert f"ae:{owner.strip()}" in data["people"]
