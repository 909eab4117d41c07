"""Back-test benchmark: seconds and peak memory of ``incentsim backtest`` on a large CRM export.

Usage (from the repository root)::

    python benchmarks/backtest.py                 # 200,000 rows, scenarios/seed-plans.yaml
    python benchmarks/backtest.py --rows 20000

It writes a synthetic export (200 owners, 60 CSMs, two years of closes, every deal type, 10%
churned, some failed implementations) to a temporary folder, then runs the command in a fresh
process and reports wall and CPU seconds and the peak resident memory (``ru_maxrss``) of that
process. Targets (issue 15): under 60 s and under 1 GiB for 200,000 rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_deals(path: Path, rows: int, seed: int = 1) -> None:
    """A synthetic CRM export of ``rows`` closed deals (deterministic for a seed)."""
    rng = random.Random(seed)  # synthetic test data, not a model draw
    owners = [f"Rep {i}" for i in range(200)]
    csms = [f"CSM {i}" for i in range(60)]
    start = dt.date(2024, 2, 1)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            "id,owner,amount,close_date,type,discount,term_months,csm,account,churn_date,implementation\n"
        )
        for i in range(rows):
            close = start + dt.timedelta(days=rng.randrange(730))
            kind = rng.choice(["new", "new", "upsell", "cross_sell", "renewal"])
            churn = (
                (close + dt.timedelta(days=rng.randrange(60, 900))).isoformat() if rng.random() < 0.1 else ""
            )
            fh.write(
                f"D{i},{rng.choice(owners)},{rng.randrange(5000, 300000)},{close.isoformat()},{kind},"
                f"{rng.choice(['0', '0.1', '15%'])},{rng.choice([12, 24, 36])},{rng.choice(csms)},"
                f"A{rng.randrange(rows // 2 + 1)},{churn},{rng.choice(['', 'success', 'failed'])}\n"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "seed-plans.yaml"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        deals = Path(tmp) / "deals.csv"
        write_deals(deals, args.rows)
        cmd = [
            sys.executable,
            "-m",
            "sim",
            "backtest",
            str(deals),
            "--scenario",
            args.scenario,
            "--out",
            str(Path(tmp) / "lines.csv"),
        ]
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss_mib = after.ru_maxrss / 1024 if sys.platform != "darwin" else after.ru_maxrss / 2**20
    print(f"rows {args.rows}: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {rss_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
