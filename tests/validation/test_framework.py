"""The validation framework itself: comparisons that can fail, the registry and the command."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim.validation as validation
from sim.cli import main
from sim.rng import stream
from sim.validation.core import CASES, Check, case, covers, direction, equals, within

REPO = Path(__file__).resolve().parents[2]


def _normal(mean: float, sd: float, n: int, name: str) -> np.ndarray:
    return stream(7, 0, f"validation.tests.{name}").normal(mean, sd, n)


def test_covers_passes_on_the_true_mean_and_fails_far_from_it() -> None:
    x = _normal(1.0, 0.1, 40, "covers")
    assert covers("m", 1.0, x).passed
    assert not covers("m", 1.2, x).passed
    assert not covers("m", 1.0, [1.0]).passed  # one sample: no interval, no pass


def test_direction_needs_sign_and_significance() -> None:
    up = _normal(0.5, 0.2, 12, "up")
    assert direction("d", up, +1).passed
    assert not direction("d", up, -1).passed
    flat = _normal(0.0, 1.0, 12, "flat")
    assert not direction("d", flat - flat.mean(), +1).passed  # mean exactly 0: p = 0.5
    assert not direction("d", up, +1, size=(2.0, 3.0)).passed  # right sign, wrong size
    assert direction("d", up, +1, size=(0.3, 0.7)).passed


def test_direction_fails_on_identical_plans() -> None:
    # every paired difference exactly 0 (zero variance): a failure with p = 1, not an error
    for size in (None, (-1.0, 1.0)):
        c = direction("d", np.zeros(16), +1, size=size)
        assert not c.passed and c.simulated == 0.0 and "p = 1 " in c.detail
        assert not direction("d", np.zeros(16), -1, size=size).passed


def test_within_and_equals() -> None:
    x = _normal(0.9, 0.01, 10, "within")
    assert within("b", x, 0.88, 0.94).passed
    assert not within("b", x, 0.92, 0.94).passed
    assert equals("e", 0.19, 0.19 + 1e-12, tol=1e-9).passed
    assert not equals("e", 0.19, 0.1905, tol=1e-4).passed
    assert not equals("e", 0.19, math.nan, tol=1.0).passed


def test_registry_rejects_duplicates_and_unknown_groups() -> None:
    with pytest.raises(ValueError, match="must start with"):
        case("nonsense.x", "t", "s")
    with pytest.raises(ValueError, match="registered twice"):
        case("exact.rates.monthly_annual", "t", "s")(lambda: [])


def test_every_case_has_a_title_source_and_group() -> None:
    assert CASES, "no validation case registered"
    for c in CASES.values():
        assert c.title and c.source and c.group in ("exact", "finding", "band", "statistics"), c.id


def test_a_raising_case_is_recorded_as_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> list[Check]:
        raise RuntimeError("deliberate")

    boom_case = validation.Case("exact.tests.boom", "t", "exact", "s", False, boom)
    monkeypatch.setitem(CASES, "exact.tests.boom", boom_case)
    r = validation.run_case("exact.tests.boom")
    assert not r.passed and "deliberate" in r.error


def test_a_case_without_checks_does_not_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        CASES, "exact.tests.empty", validation.Case("exact.tests.empty", "t", "exact", "s", False, lambda: [])
    )
    assert not validation.run_case("exact.tests.empty").passed


def test_rate_conversion_case_passes() -> None:
    r = validation.run_case("exact.rates.monthly_annual")
    assert r.passed, [c for c in r.checks if not c.passed]


def test_rate_conversion_case_fails_with_the_naive_conversion(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.world.rules as rules

    real = rules.renewal_churn_probability

    def naive(annual_churn, term_months, *args, **kwargs):  # type: ignore[no-untyped-def]
        # the classic mistake: a monthly rate is the annual one over twelve
        p = np.asarray(annual_churn, dtype=float) * np.asarray(term_months) / 12.0
        return real(1 - (1 - p) ** (12.0 / np.asarray(term_months)), term_months, *args, **kwargs)

    monkeypatch.setattr(rules, "renewal_churn_probability", naive)
    r = validation.run_case("exact.rates.monthly_annual")
    assert not r.passed


def test_command_lists_runs_and_writes_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-model", "--list"]) == 0
    assert "exact.rates.monthly_annual" in capsys.readouterr().out
    out_json, out_md = tmp_path / "v.json", tmp_path / "v.md"
    args = ["exact.rates.monthly_annual", "--json", str(out_json), "--markdown", str(out_md)]
    code = main(["validate-model", *args])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "pass" in text and "1 of 1 cases passed" in text
    data = json.loads(out_json.read_text())
    assert data[0]["case"] == "exact.rates.monthly_annual" and data[0]["passed"] is True
    assert "| `exact.rates.monthly_annual` |" in out_md.read_text()


def test_command_exits_1_when_a_case_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = [equals("x", 1.0, 2.0, tol=0.1)]
    wrong = validation.Case("exact.tests.wrong", "t", "exact", "s", False, lambda: checks)
    monkeypatch.setitem(CASES, "exact.tests.wrong", wrong)
    assert main(["validate-model", "exact.tests.wrong"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_command_rejects_an_unknown_case_with_exit_2() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "sim", "validate-model", "no.such.case"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert p.returncode == 2
    assert p.stderr.strip().splitlines()[-1].startswith("error: validate-model: (cases):")
    assert "Traceback" not in p.stderr


def test_known_failures_are_reported_and_expected(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A documented limitation fails visibly ('FAIL (known)' with its diagnosis) without failing the
    command; the same case passing turns the command red (the write-up is stale), like a strict xfail."""
    failing = [equals("x", 1.0, 2.0, tol=0.1)]
    known = validation.Case("finding.tests.known", "t", "finding", "s", False, lambda: failing, "no lever")
    monkeypatch.setitem(CASES, "finding.tests.known", known)
    assert main(["validate-model", "finding.tests.known"]) == 0
    out = capsys.readouterr().out
    assert "FAIL (known)" in out and "no lever" in out
    # the summary line counts it as a failure, not a pass
    assert "0 of 1 cases passed; 1 failed as a known limitation (counted as failures)" in out
    assert not validation.run_case("finding.tests.known").passed
    passing = [equals("x", 1.0, 1.0, tol=0.1)]
    stale = validation.Case("finding.tests.stale", "t", "finding", "s", False, lambda: passing, "no lever")
    monkeypatch.setitem(CASES, "finding.tests.stale", stale)
    assert main(["validate-model", "finding.tests.stale"]) == 1
    assert "documented as a known failure but passed" in capsys.readouterr().out


def test_every_module_with_cases_is_registered() -> None:
    """A module of ``sim/validation`` that defines cases is imported by the package (a module left
    out of ``_MODULES`` would register nothing and its cases would silently never run)."""
    import re
    from pathlib import Path

    import sim.validation as validation

    folder = Path(validation.__file__).parent
    defining = {
        p.stem
        for p in folder.glob("*.py")
        if p.stem not in ("__init__", "core") and re.search(r"^@case\(", p.read_text(), re.MULTILINE)
    }
    assert defining, "no module defines a case: the pattern above no longer finds them"
    assert defining <= set(validation._MODULES), sorted(defining - set(validation._MODULES))


def test_command_runs_cases_on_one_worker_per_core_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as every other command, the default is one worker per core; the cases then run on warm
    # workers forked from the process backend's server, and their results equal a serial run's
    import sim.commands.validate_model as vm
    import sim.experiment.backends as backends

    seen: list[int] = []
    run_all = vm._run_all
    monkeypatch.setattr(backends, "default_workers", lambda: 2)
    monkeypatch.setattr(vm, "_run_all", lambda ids, workers: seen.append(workers) or run_all(ids, workers))
    ids = ["exact.rates.monthly_annual", "exact.little.backlog"]
    out = {w: tmp_path / f"{w}.json" for w in ("serial", "pooled")}
    assert main(["validate-model", *ids, "--workers", "1", "--json", str(out["serial"])]) == 0
    assert main(["validate-model", *ids, "--json", str(out["pooled"])]) == 0
    assert seen == [1, 2]
    serial, pooled = (json.loads(out[w].read_text()) for w in ("serial", "pooled"))
    for d in (*serial, *pooled):
        d.pop("seconds")
    assert pooled == serial and [d["case"] for d in pooled] == ids


def test_command_refuses_zero_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["validate-model", "--workers", "0"])
    assert stop.value.code == 2
    assert (
        capsys.readouterr().err.strip().endswith("argument --workers: expected a positive integer, found 0")
    )
