"""The parameter-recovery study of calibration (issue 17), shared by the slow test
(``tests/calibrate/test_calibrate_recovery.py``) and the on-demand benchmark
(``benchmarks/calibration_recovery.py``).

Independent exports of one small company (replications ``0..n-1`` of the truth, its own seed) are
calibrated with another scenario as the starting point (a wrong win rate, churn, lead volume and
deal size). For every field a calibration calls identified, its 95% interval must hold the truth in
at least 90% of the exports that identify it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sim.api import resolve_scenario
from sim.calibrate import Calibration, Settings, calibrate
from sim.calibrate.estimates import BEHAVIOUR, BRIDGED, DIRECT, Estimate
from sim.calibrate.synthetic import write_exports
from sim.experiment.backends import Backend
from tests.calibrate.company import BASE, SMALL

TRUTH = resolve_scenario(BASE, SMALL | {"behaviour.rationality_per_kusd": 1.5, "experiment.seed": 9000})
START = resolve_scenario(BASE, SMALL | {
    "company.segments.smb.base_win_rate": 0.22, "company.segments.smb.annual_churn": 0.1,
    "company.segments.smb.leads_per_month": 20, "company.segments.smb.list_acv_mean_usd": 12000,
})  # fmt: skip
SEARCHED = ["behaviour.rationality_per_kusd"]
"""The behaviour field stage 2 searches in the study (the others are held at the truth's values)."""
SETTINGS = Settings(reps=4, final_reps=8, lm_steps=4, bridge_rounds=2, seed=1)
"""How much a calibration of the study simulates (about 200 replications of the small company)."""
BAR = 0.9
"""Share of the exports identifying a field whose interval must hold the truth."""
NEVER_IDENTIFIED = {
    "behaviour.ae.effort_cost_kusd_per_opportunity",  # not searched: a CRM shows only pursued leads
    "company.deals.expansion_win_rate",  # no lost expansion deals in the exports
    "company.reps.ramp_months",  # the world ramps capacity, not volume
    "company.reps.annual_attrition",  # three AEs: a departure or two, under 16 events
}


def truth_of(path: str) -> float | None:
    """The truth's value of a dotted field path (None for a field that is not a number)."""
    node: object = TRUTH
    for part in path.split("."):
        node = getattr(node, part, None)
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def write_all(root: Path, datasets: int) -> list[Path]:
    """Exports of replications ``0..datasets-1`` of the truth, one folder each."""
    folders = [root / f"export-{k:02d}" for k in range(datasets)]
    for k, folder in enumerate(folders):
        write_exports(TRUTH, folder, replication=k)
    return folders


def calibrate_all(
    folders: Sequence[Path], backend: Backend, settings: Settings = SETTINGS
) -> list[Calibration]:
    """Every export calibrated from :data:`START` on ``backend`` (one pool for them all)."""
    return [
        calibrate(f / "opportunities.csv", f / "accounts.csv", START, f / "people.csv", settings=settings,
                  behaviour=SEARCHED, backend=backend)
        for f in folders
    ]  # fmt: skip


def coverage(runs: Sequence[Sequence[Estimate]]) -> dict[str, tuple[int, int]]:
    """Per field: (exports that identify it, of those whose interval holds the truth)."""
    out: dict[str, tuple[int, int]] = {}
    for estimates in runs:
        for e in estimates:
            truth = truth_of(e.path)
            if truth is None or not e.identified or e.stage not in (DIRECT, BRIDGED, BEHAVIOUR):
                continue
            n, c = out.get(e.path, (0, 0))
            out[e.path] = (n + 1, c + int(e.covers(truth)))
    return out


def short_of_bar(cov: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """The fields whose intervals held the truth in under :data:`BAR` of the exports identifying them."""
    return {p: (n, c) for p, (n, c) in cov.items() if c < BAR * n}
