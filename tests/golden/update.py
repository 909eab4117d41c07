"""Recompute golden snapshots: ``python tests/golden/update.py [SCENARIO...] [--accept]``.

For each scenario (default: every ``scenarios/*.yaml``) the replications are run with the
golden configuration (``golden.default_config``). A snapshot that exists is first checked
against the new values (``golden.compare``) and its verdict printed; it is rewritten only if
the values are identical (nothing to do) or the check passes, or with ``--accept`` (a
deliberate change of behaviour, or a change of the golden configuration). New snapshots are
always written. Files are replaced atomically (temporary file, then rename).

Exit status: 0 when every scenario was written or already identical, 1 when a check failed
and ``--accept`` was not given (that snapshot is left as it was).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import golden


def update_one(name: str, *, accept: bool, workers: int, replications: int, verbose: bool) -> bool:
    """Recompute scenario ``name``; True unless a failed check left its snapshot unchanged."""
    path = golden.snapshot_path(name)
    config = golden.default_config(name, replications)
    t0 = time.perf_counter()
    samples = golden.run(config, workers=workers)
    fresh = golden.Snapshot.make(config, samples)
    elapsed = time.perf_counter() - t0
    print(f"== {name}: {len(samples)} plans x {len(config.replications)} replications in {elapsed:.0f} s")
    if not path.exists():
        fresh.write(path)
        print(f"   new snapshot {path.relative_to(golden.REPO_ROOT)}")
        return True
    stored = golden.Snapshot.read(path)
    if stored.config != config:
        print("   the golden configuration changed (seed, replications or overrides):")
        print(f"     stored: {stored.config.to_json()}")
        print(f"     now:    {config.to_json()}")
        if not accept:
            print("   not rewritten: a different configuration cannot be checked; rerun with --accept")
            return False
        fresh.write(path)
        print("   rewritten (--accept)")
        return True
    report = golden.compare(stored, samples)
    print("   " + report.render(everything=verbose).replace("\n", "\n   "))
    if report.identical and stored.digest == fresh.digest:
        print("   unchanged")
        return True
    if not report.ok and not accept:
        print("   not rewritten: metrics moved; if the change is intended, rerun with --accept")
        return False
    fresh.write(path)
    print("   rewritten" + (" (--accept)" if not report.ok else ""))
    return True


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and update the snapshots."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", help="scenario names (file stems); default: all")
    ap.add_argument("--accept", action="store_true", help="rewrite even if the check fails")
    ap.add_argument("--workers", type=int, default=2, help="processes (results do not depend on it)")
    ap.add_argument(
        "--replications",
        type=int,
        default=golden.REPLICATIONS,
        help="replications per plan (a new count is a new configuration: needs --accept)",
    )
    ap.add_argument("--verbose", action="store_true", help="print every plan×metric verdict")
    args = ap.parse_args(argv)
    known = golden.scenario_names()
    names = args.scenarios or known
    unknown = [n for n in names if n not in known]
    if unknown:
        ap.error(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(known)}")
    ok = True
    for name in names:
        ok = (
            update_one(
                name,
                accept=args.accept,
                workers=args.workers,
                replications=args.replications,
                verbose=args.verbose,
            )
            and ok
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
