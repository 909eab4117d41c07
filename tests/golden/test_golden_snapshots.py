"""Every shipped scenario's plans reproduce their golden snapshot (see tests/golden/README.md).

``base-company`` and ``seed-plans`` run by default; the other scenarios are ``slow``.
"""

from __future__ import annotations

import math

import golden
import pytest

DEFAULT = ("base-company", "seed-plans")


def _params() -> list[object]:
    return [
        pytest.param(name, marks=() if name in DEFAULT else pytest.mark.slow, id=name)
        for name in golden.scenario_names()
    ]


def test_every_scenario_has_a_snapshot() -> None:
    missing = [n for n in golden.scenario_names() if not golden.snapshot_path(n).exists()]
    assert not missing, (
        f"no golden snapshot for {missing}: run python tests/golden/update.py {' '.join(missing)}"
    )
    stale = sorted(
        p.stem for p in golden.SNAPSHOT_DIR.glob("*.json") if p.stem not in golden.scenario_names()
    )
    assert not stale, f"snapshots of scenarios that no longer exist: {stale}"


@pytest.mark.parametrize("name", golden.scenario_names())
def test_snapshot_file_is_consistent(name: str) -> None:
    """The stored digest, means and SDs agree with the stored values (no hand edits)."""
    snap = golden.Snapshot.read(golden.snapshot_path(name))
    assert golden.digest(snap.samples) == snap.digest
    assert snap.config == golden.default_config(name, len(snap.config.replications)), (
        "the golden configuration of this scenario changed: run python tests/golden/update.py --accept "
        f"{name} (and say why in the commit)"
    )
    text = golden.snapshot_path(name).read_text(encoding="utf-8")
    assert snap.render() == text, "the file is not in the layout update.py writes"
    for plan, metrics in snap.samples.items():
        assert set(metrics) >= set(golden.CORE_METRICS), plan
        for metric, values in metrics.items():
            assert len(values) == len(snap.config.replications), (plan, metric)
            s = golden.summary(values)
            if s["n"]:
                finite = [v for v in values if math.isfinite(v)]
                assert math.isclose(s["mean"], math.fsum(finite) / len(finite), rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("name", _params())
def test_golden(name: str) -> None:
    snap = golden.Snapshot.read(golden.snapshot_path(name))
    new = golden.run(snap.config)
    report = golden.compare(snap, new)
    print(report.render())
    assert report.ok, (
        "metrics moved against the golden snapshot (if the change is intended: "
        f"python tests/golden/update.py --accept {name})\n" + report.render()
    )
