"""Calibration's parameter-recovery study (issue 17), on demand: coverage per field and wall time.

Usage (from the repository root)::

    python benchmarks/calibration_recovery.py                   # the study: 20 exports, the test's settings
    python benchmarks/calibration_recovery.py --datasets 40     # coverage with less binomial noise
    python benchmarks/calibration_recovery.py --reps 8 --final-reps 16 --bridge-rounds 3 --lm-steps 6
                                                                # the command's own default settings

Makes ``--datasets`` synthetic exports of the small company of ``tests/calibrate/recovery.py``
(replications 0..n-1 of the truth), calibrates each from the wrong starting scenario on a pool of
``--workers`` processes, and prints for every field the exports that identify it and, of those,
how many 95% intervals hold the truth, against the bar (90%); then the wall time, the replications
simulated and the load average before and after (the machine is shared: load stretches wall time).
Exit status 1 when a field misses the bar.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiment.backends import make_backend  # noqa: E402
from tests.calibrate import recovery  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    s = recovery.SETTINGS
    parser.add_argument("--datasets", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=s.reps)
    parser.add_argument("--final-reps", type=int, default=s.final_reps)
    parser.add_argument("--bridge-rounds", type=int, default=s.bridge_rounds)
    parser.add_argument("--lm-steps", type=int, default=s.lm_steps)
    parser.add_argument("--notes", action="store_true", help="say why a field was not identified")
    args = parser.parse_args()
    settings = replace(s, reps=args.reps, final_reps=args.final_reps)
    settings = replace(settings, bridge_rounds=args.bridge_rounds, lm_steps=args.lm_steps)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folders = recovery.write_all(Path(tmp), args.datasets)
        t1 = time.perf_counter()
        with make_backend("process", args.workers) as backend:
            cals = recovery.calibrate_all(folders, backend, settings)
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()
    cov = recovery.coverage([c.estimates for c in cals])
    short = recovery.short_of_bar(cov)
    reps = sum(int(c.log[-1].split()[0]) for c in cals)
    print(f"date (UTC)        {datetime.now(UTC):%Y-%m-%d %H:%M}")
    print(f"settings          {settings}, behaviour searched: {', '.join(recovery.SEARCHED)}")
    print(f"exports           {args.datasets} (written in {t1 - t0:.0f} s)")
    print(f"wall time         {wall:.0f} s ({wall / 60:.1f} min) on {args.workers} workers")
    print(f"replications      {reps}")
    print(f"load average      before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    print()
    print(f"| field | identified | interval holds the truth | bar ({recovery.BAR:.0%}) |")
    print("|---|---|---|---|")
    for path in sorted(cov):
        n, c = cov[path]
        print(f"| `{path}` | {n} | {c} | {'MISSED' if path in short else 'met'} |")
    never = sorted({e.path for cal in cals for e in cal.estimates if not e.identified} - set(cov))
    print(f"\nnever identified: {', '.join(f'`{p}`' for p in never)}")
    if args.notes:
        print("\nwhy not identified, where some exports identify the field:")
        for path in sorted(cov):
            for cal in cals:
                for e in cal.estimates:
                    if e.path == path and not e.identified:
                        print(f"  {path}: {e.note}")
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
