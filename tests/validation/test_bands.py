"""Benchmark bands: the base company within SaaS Capital 2023 retention bands (slow), and the
band-checking machinery on synthetic numbers (fast), including bands shifted so that it must fail."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
import sim.validation as validation
import sim.validation.bands as bands
from sim.experiment.stats import t_interval
from sim.result import ReplicationResult
from sim.rng import stream
from sim.validation.bands import BANDS, RETENTION_BANDS, SEGMENTS, Band, check_band, find_scenario

BAND_CASES = [c.id for c in validation.select(["band"])]


def _explain(result: validation.CaseResult) -> str:
    lines = [result.error] if result.error else []
    lines += [
        f"{c.name}: expected {c.expected}, simulated {c.simulated:.4g} [{c.low:.4g}, {c.high:.4g}] "
        f"{'pass' if c.passed else 'FAIL'} ({c.detail})"
        for c in result.checks
    ]
    return "\n".join(lines)


def _centre(band: Band) -> float:
    """A value well inside the band (for a one-sided band, 0.05 inside its finite end)."""
    if math.isinf(band.lo):
        return band.hi - 0.05
    if math.isinf(band.hi):
        return band.lo + 0.05
    return (band.lo + band.hi) / 2.0


def _samples(centre: float, sd: float, n: int, name: str) -> np.ndarray:
    return stream(11, 0, f"validation.tests.bands.{name}").normal(centre, sd, n)


@pytest.mark.slow
@pytest.mark.parametrize("case_id", BAND_CASES)
def test_band_case_passes(case_id: str) -> None:
    result = validation.run_case(case_id)
    assert result.passed, _explain(result)
    assert {c.name for c in result.checks} >= {b.label for b in RETENTION_BANDS}


def test_band_cases_are_registered_and_slow() -> None:
    assert "band.saas_capital" in BAND_CASES
    assert all(validation.CASES[c].slow for c in BAND_CASES)


def test_every_segment_has_a_grr_and_an_nrr_band() -> None:
    for kind in ("grr", "nrr"):
        assert kind in BANDS
        for seg in SEGMENTS:
            assert f"{kind}_{seg}" in BANDS, (kind, seg)
    assert len(BANDS) == len(RETENTION_BANDS)  # no metric banded twice


@pytest.mark.parametrize("band", RETENTION_BANDS, ids=lambda b: b.metric)
def test_band_check_passes_inside_and_fails_when_the_band_is_shifted(band: Band) -> None:
    x = _samples(_centre(band), 0.005, 6, band.metric)
    assert check_band(band, x).passed
    if math.isinf(band.lo):  # one-sided: move the finite end past the values (0.05 inside it)
        shifts: tuple[float, ...] = (-0.1,)
    elif math.isinf(band.hi):
        shifts = (0.1,)
    else:  # the same numbers against a band moved by its own width, up and down
        shifts = (band.hi - band.lo, band.lo - band.hi)
    for shift in shifts:
        moved = dataclasses.replace(band, lo=band.lo + shift, hi=band.hi + shift)
        check = check_band(moved, x)
        assert not check.passed, (moved, check)


def test_whole_interval_bands_fail_when_only_the_mean_is_inside() -> None:
    band = BANDS["grr"]
    assert band.whole_interval
    x = _samples(band.hi - 0.004, 0.01, 6, "wide")  # mean inside, interval across the upper end
    iv = t_interval(x)
    assert band.lo <= iv.mean <= band.hi and iv.high > band.hi
    assert not check_band(band, x).passed
    assert check_band(dataclasses.replace(band, whole_interval=False), x).passed


def test_one_sided_band_text_and_edges() -> None:
    band = Band("nrr_smb", "NRR, SMB", -math.inf, 1.00, median=1.00, source="test")
    assert band.expected() == "< 1.000"
    assert band.contains(0.999) and not band.contains(1.0) and not band.contains(math.nan)


def test_every_shipped_band_can_fail_on_both_sides() -> None:
    """A band open on one side cannot catch a value that is wrong in that direction."""
    for band in BANDS.values():
        assert math.isfinite(band.lo) and math.isfinite(band.hi), band.metric
        assert not band.contains(band.lo - 1e-6) and not band.contains(band.hi + 1e-6), band.metric


finite = st.floats(min_value=0.5, max_value=1.5, allow_nan=False, allow_infinity=False)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(finite, min_size=2, max_size=12), finite, st.floats(min_value=0.0, max_value=0.5), st.booleans()
)
def test_band_check_is_mean_in_band_and_interval_when_asked(
    xs: list[float], lo: float, width: float, whole: bool
) -> None:
    band = Band("m", "m", lo, lo + width, whole_interval=whole)
    iv = t_interval(xs)
    expected = lo <= iv.mean <= lo + width
    if whole:
        expected = expected and lo <= iv.low and iv.high <= lo + width
    assert check_band(band, xs).passed == expected


def _fake_simulate(values: dict[str, float]) -> Any:
    """A stand-in for sim.replication.simulate whose band metrics sit at ``values`` (tiny noise)."""

    def simulate(scenario: Any, plan: str, replication: int, **kwargs: Any) -> ReplicationResult:
        rng = stream(5, replication, "validation.tests.bands.fake")
        metrics = {m: v + 0.001 * float(rng.normal()) for m, v in values.items()}
        return ReplicationResult(plan=plan, replication=replication, metrics=metrics)

    return simulate


def _inside_values() -> dict[str, float]:
    # segment values spaced so that retention rises with contract size
    values = {b.metric: _centre(b) for b in RETENTION_BANDS}
    values["grr_smb"], values["grr_mid_market"], values["grr_enterprise"] = 0.86, 0.90, 0.92
    return values


def test_band_case_wiring_with_a_fake_world(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.replication

    monkeypatch.setattr(sim.replication, "simulate", _fake_simulate(_inside_values()))
    result = validation.run_case("band.saas_capital")
    assert result.passed, _explain(result)
    labels = {b.label for b in RETENTION_BANDS}
    assert all(c.n == bands.REPLICATIONS for c in result.checks if c.name in labels)


def test_band_case_fails_when_the_world_misses_a_band(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.replication

    broken = _inside_values()
    broken["nrr_smb"] = 1.04  # SMB gaining net revenue: outside its band (NRR < 1)
    monkeypatch.setattr(sim.replication, "simulate", _fake_simulate(broken))
    result = validation.run_case("band.saas_capital")
    assert not result.passed
    failed = {c.name for c in result.checks if not c.passed}
    assert BANDS["nrr_smb"].label in failed


def test_band_case_fails_when_a_band_is_shifted(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.replication

    monkeypatch.setattr(sim.replication, "simulate", _fake_simulate(_inside_values()))
    shifted = tuple(
        dataclasses.replace(b, lo=b.lo + 0.1, hi=b.hi + 0.1) if b.metric == "grr" else b
        for b in RETENTION_BANDS
    )
    monkeypatch.setattr(bands, "RETENTION_BANDS", shifted)
    result = validation.run_case("band.saas_capital")
    assert [c.name for c in result.checks if not c.passed] == [BANDS["grr"].label]


def test_band_case_fails_when_retention_falls_with_contract_size(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.replication

    values = _inside_values()
    values["grr_enterprise"] = 0.885  # inside its band, but below mid-market's 0.90
    assert BANDS["grr_enterprise"].contains(0.885)
    monkeypatch.setattr(sim.replication, "simulate", _fake_simulate(values))
    result = validation.run_case("band.saas_capital")
    assert [c.name for c in result.checks if not c.passed] == ["GRR rises with contract size"]


def test_find_scenario_from_the_repository_and_a_clear_error_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no scenarios/ here: falls back to the package's repository
    found = find_scenario()
    assert found.is_file() and found.name == "base-company.yaml"
    monkeypatch.setattr(sim, "__file__", str(tmp_path / "site" / "sim" / "__init__.py"))
    with pytest.raises(FileNotFoundError, match=r"base-company\.yaml.*repository root"):
        find_scenario()
    result = validation.run_case("band.saas_capital")  # the case reports it, as a failure
    assert not result.passed and "FileNotFoundError" in result.error
