"""End to end with the real world (sim.replication.simulate) on a tiny company."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from experiment_helpers import ROOT, SCENARIOS

from sim.experiment.runner import Runner
from sim.scenario import load_scenario_text
from sim.scenario.experiment import METRICS

TINY = {"company.horizon_years": 1, "company.warmup_years": 0}
for _seg, (_customers, _leads) in {"smb": (120, 15), "mid_market": (60, 6), "enterprise": (20, 2)}.items():
    TINY[f"company.segments.{_seg}.starting_customers"] = _customers
    TINY[f"company.segments.{_seg}.leads_per_month"] = _leads

AA = """\
extends: base-company.yaml
name: tiny-aa
plans:
  - name: conventional
    based_on: conventional
  - name: copy
    based_on: conventional
    description: identical rules, another name
experiment:
  replications: 2
  max_replications: 2
  precision: {}
"""


def test_real_world_aa_gives_exactly_zero_difference() -> None:
    sc = load_scenario_text(AA, "aa.yaml", base_dir=SCENARIOS, overrides=TINY)
    res = Runner(sc, replicate=None, backend="serial").run()  # the default: sim.replication.simulate
    assert res.metadata["replication_function"] == "sim.replication:simulate"
    reps = res.replications
    assert len(reps) == 4 and set(METRICS) <= set(reps.columns)
    comp = res.comparison()
    defined = comp["n"] > 0
    assert defined.sum() >= len(METRICS) - 2
    assert (comp.loc[defined, "diff"] == 0.0).all()
    a = reps[reps["plan"] == "conventional"].drop(columns="plan").reset_index(drop=True)
    b = reps[reps["plan"] == "copy"].drop(columns="plan").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert len(res.timeseries) and "arr" in set(res.timeseries["series"])


@pytest.mark.slow
def test_real_world_cli_process_and_dask_backends_match_serial(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    base = SCENARIOS / "base-company.yaml"
    scenario.write_text(
        AA.replace("extends: base-company.yaml", f"extends: {base}").replace(
            "description: identical rules, another name", "ae: {base_salary_annual_usd: 90000}"
        )
    )
    sets = [f"--set={k}={v}" for k, v in TINY.items()]
    outs = {}
    for backend, workers in (("serial", "1"), ("process", "2"), ("dask", "2")):
        out = tmp_path / backend
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "run",
                str(scenario),
                *sets,
                "--reps",
                "3",
                "--backend",
                backend,
                "--workers",
                workers,
                "--out",
                str(out),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )
        assert run.returncode == 0, run.stderr
        outs[backend] = out
        assert json.loads((out / "metadata.json").read_text())["status"] == "complete"
    for other in ("process", "dask"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(outs["serial"] / "replications.parquet"),
            pd.read_parquet(outs[other] / "replications.parquet"),
            check_exact=True,
        )
