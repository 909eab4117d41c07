"""Wall time of ``incentsim sensitivity scenarios/seed-plans.yaml --method morris`` (issue 16).

Usage (from the repository root)::

    python benchmarks/sensitivity.py                         # the figure: default settings, 2 workers
    python benchmarks/sensitivity.py --samples 2 --set company.horizon_years=1   # try the harness

Runs the command in a child process (``python -m sim``) with ``--workers 2 --quiet`` into a
temporary folder and reports: wall seconds of the whole process, the points, replications and the
CPU seconds per replication the run recorded (``metadata.json``), the load average before and
after (the machine is shared: a busy machine stretches wall time), and the probability-best
table. Target: at most 15 minutes on 2 cores with the defaults (10 Morris trajectories over the
10 uncertainties of base-company.yaml, 6 plans, 1 replication per point).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, help="Morris trajectories (default: the command's)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    parser.add_argument("--out", metavar="DIR", help="keep the results folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "sens"
        scenario = str(ROOT / "scenarios" / "seed-plans.yaml")
        cmd = [sys.executable, "-m", "sim", "sensitivity", scenario, "--method", "morris"]
        cmd += ["--workers", str(args.workers), "--out", str(out), "--quiet", "--force"]
        if args.samples:
            cmd += ["--samples", str(args.samples)]
        cmd += [f"--set={s}" for s in args.set]
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, check=False)
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()
        if proc.returncode != 0:
            print(f"command failed with exit {proc.returncode}", file=sys.stderr)
            return 1
        meta = json.loads((out / "metadata.json").read_text())
        robustness = (out / "robustness.csv").read_text()
        regions = [r["words"] for r in json.loads((out / "flips.json").read_text())]
    reps = meta["points"] * len(meta["plans"]) * meta["replications_per_point"]
    print(f"date (UTC)           {datetime.now(UTC):%Y-%m-%d %H:%M}")
    print(
        f"command              incentsim sensitivity scenarios/seed-plans.yaml --method morris "
        f"--workers {args.workers}"
        + (f" --samples {args.samples}" if args.samples else "")
        + "".join(f" --set {s}" for s in args.set)
    )
    print(f"cores                {os.cpu_count()}")
    print(f"load average before  {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"load average after   {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    shape = f"{meta['points']} x {len(meta['plans'])} x {meta['replications_per_point']}"
    print(f"points x plans x reps {shape} = {reps}")
    print(f"CPU s / replication  {meta['cpu_seconds_per_replication']:.2f}")
    print(f"wall                 {wall:.0f} s ({wall / 60:.1f} min); target <= 900 s")
    print("probability best:")
    print(robustness)
    print("flip regions:")
    for words in regions:
        print(f"  {words}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
