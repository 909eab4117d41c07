"""Compare this tree with a git ref: CPU per replication, the flagship, scaling, pool efficiency.

Usage (from anywhere in the checkout)::

    python benchmarks/compare.py                           # all four figures vs benchmarks/REF
    python benchmarks/compare.py --ref main~3 --reps 5     # another ref, 5 interleaved rounds
    python benchmarks/compare.py --only cpu                # just the CPU figure
    python benchmarks/compare.py --only scaling --sizes 1000,3000,10000 --scaling-ref

The ref (default: the name in ``benchmarks/REF``, the commit before the speed work) is checked
out into a temporary git worktree, removed at the end. Every measurement runs in a child
process with ``PYTHONPATH`` (and ``$INCENTSIM_BENCH_TREE``) set to the tree it measures; both
trees use this interpreter's installed dependencies, and each child checks that ``sim`` was
imported from its tree. Each tree's ``sim`` is compiled to bytecode first (``compile_bytecode``),
as an installed package has it. Runs of the two trees alternate (ref, this / this, ref, ...) so drifting
load on the machine affects both alike. Figures:

1. ``cpu``: CPU seconds per replication of ``scenarios/base-company.yaml`` (first plan, default
   incentive policy, ``sim.replication.simulate``); each child runs one uncounted warm-up replication
   and then ``--cpu-per-child`` counted ones; replication indices differ across rounds.
   Target: ref/this >= 8 and this <= 0.4 s.
2. ``flagship``: wall seconds of ``incentsim run scenarios/seed-plans.yaml --workers 2`` until
   its precision target is met (read from the results folder's ``metadata.json``). This tree
   only unless ``--flagship-ref``. Target: <= 60 s, precision target met.
   2b: ``--flagship-cold`` more runs of this tree as the first run after an install: numba's
   cache in an empty directory (``NUMBA_CACHE_DIR``), so every kernel's compile time is
   counted; and ``sim.warm.compile_kernels`` alone, cache empty and then filled. Same target.
3. ``scaling``: CPU seconds per replication of the base company scaled to each of ``--sizes``
   starting customers (``world.reference``; incentive policy), each point in its own process
   with its peak RSS; exponent b of CPU ~ customers^b fitted on log-log axes. This tree only
   unless ``--scaling-ref``. Target: b <= 1.05 (1k..100k) and peak RSS <= 1 GiB at 100k.
4. ``pool``: process-pool efficiency = serial wall / (workers x pool wall) for the same
   ``--pool-reps`` base-company replications (``parallel.parallel_run``; start-up included).
   This tree only unless ``--pool-ref``. Target: >= 0.9 on 2 workers.

Measured only when ``--only`` names it (no target; the ref must have calibration, issue 17):

5. ``calibration``: CPU seconds per calibration replication (``SimulatedMoments``: the world's
   run, its CRM export and its moments) of the calibration study's starting company matched to
   one synthetic export (``tests/calibrate/recovery.py``), in rounds as figure 1's.

Prints a plain-text table and writes every raw sample to ``benchmarks/results/compare-*.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _tree import TREE_ENV, check_sim, simulate_fn, simulate_spec, use_tree

HERE = Path(__file__).resolve().parent
FIGURES = ("cpu", "flagship", "scaling", "pool")
EXTRA = ("calibration",)
"""Figures measured only when ``--only`` names them."""
TARGET_CPU_RATIO = 8.0  # ref / this CPU seconds per base-company replication, at least
TARGET_CPU_SECONDS = 0.4  # this tree's CPU seconds per base-company replication, at most
TARGET_FLAGSHIP_SECONDS = 60.0  # wall seconds of the flagship command on 2 workers, at most
TARGET_EXPONENT = 1.05  # fitted exponent of CPU seconds vs customers, at most
TARGET_PEAK_MIB = 1024.0  # peak RSS at 100k customers, at most
TARGET_EFFICIENCY = 0.9  # process-pool efficiency on 2 workers, at least
PEAK_AT = 100_000  # customers at which the peak-memory target applies
WARMUP_CUSTOMERS = 300  # size of the uncounted warm-up run in each scaling child


# --- child side: one measurement of one tree ------------------------------------------------------


def _child(argv: list[str]) -> None:
    """Run one measurement in this process (the tree is ``$INCENTSIM_BENCH_TREE``) and print its
    JSON on the last line of stdout."""
    c_start = time.process_time()
    ap = argparse.ArgumentParser(prog="compare.py --child")
    ap.add_argument("kind", choices=(*FIGURES, *EXTRA, "command", "compile"))
    ap.add_argument("--replications", default="0,1")
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--replication", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reps", type=int, default=8)
    ap.add_argument("--out")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--backend", default="process")
    args = ap.parse_args(argv)
    root = use_tree()
    out: dict[str, Any] = {"sim_file": check_sim(root), "kind": args.kind}
    if args.kind == "cpu":
        from sim import load_scenario

        simulate = simulate_fn()

        sc = load_scenario(root / "scenarios" / "base-company.yaml")
        plan = sc.plans[0].name
        out["import_cpu_seconds"] = time.process_time() - c_start
        warm, *counted = (int(x) for x in args.replications.split(","))
        c0 = time.process_time()
        simulate(sc, plan, warm)
        out["warmup"] = {"replication": warm, "cpu_seconds": time.process_time() - c0}
        samples = []
        for r in counted:
            t0, c0 = time.perf_counter(), time.process_time()
            res = simulate(sc, plan, r)
            samples.append(
                {
                    "replication": r,
                    "cpu_seconds": time.process_time() - c0,
                    "wall_seconds": time.perf_counter() - t0,
                    "events_scheduled": getattr(res, "events_scheduled", None),
                }
            )
        out["samples"] = samples
    elif args.kind == "calibration":
        out["import_cpu_seconds"] = time.process_time() - c_start
        out["samples"] = _calibration_samples([int(x) for x in args.replications.split(",")])
    elif args.kind == "scaling":
        import world

        world.one_run(world.reference(WARMUP_CUSTOMERS, years=2.0), "incentive", 0)  # warm-up
        out.update(world.one_run(world.reference(args.customers), "incentive", args.replication))
    elif args.kind == "pool":
        import parallel

        sc = parallel.workload(args.reps, world=True, horizon_years=None)
        replicate = simulate_spec()
        serial, _, serial_share = parallel.timed_run("serial", 1, sc, replicate)
        out["replications"] = args.reps * len(sc.plans)
        out["workers"] = args.workers
        out["serial_wall_seconds"] = serial
        out["serial_share"] = serial_share
        out["pool"] = parallel.parallel_run(sc, replicate, serial, "process", args.workers)
    elif args.kind == "compile":  # every kernel compiled (or loaded), as the fork server does
        from sim.warm import compile_kernels

        out["import_cpu_seconds"] = time.process_time() - c_start
        t0, c0 = time.perf_counter(), time.process_time()
        compile_kernels()
        out["compile_wall_seconds"] = time.perf_counter() - t0
        out["compile_cpu_seconds"] = time.process_time() - c0
    else:  # flagship: the README's command; command: the pool workload as the command runs it
        from sim.cli import main

        if args.kind == "flagship":
            argv = ["run", "scenarios/seed-plans.yaml", "--workers", str(args.workers)]
        else:
            argv = ["run", "scenarios/base-company.yaml", "--reps", str(args.reps), "--backend", args.backend]
            argv += ["--workers", str(args.workers)]
        argv += ["--out", args.out, "--quiet"]
        for item in args.set:
            argv += ["--set", item]
        sys.argv = ["incentsim", *argv]
        t0 = time.perf_counter()
        code = main(argv)
        out["command_wall_seconds"] = time.perf_counter() - t0
        out["exit_code"] = code
    print(json.dumps(out))


def _calibration_samples(replications: list[int]) -> list[dict[str, Any]]:
    """CPU seconds of calibration replications ``replications[1:]`` after ``replications[0]``
    uncounted (figure 5)."""
    from sim.calibrate.history import load_history
    from sim.calibrate.moments import MomentSpec
    from sim.calibrate.points import SimulatedMoments
    from tests.calibrate.recovery import START, write_all

    with tempfile.TemporaryDirectory(prefix="incentsim-calibration-") as tmp:
        f = write_all(Path(tmp), 1)[0]
        observed = load_history(f / "opportunities.csv", f / "accounts.csv", START, f / "people.csv")
    replicate = SimulatedMoments(MomentSpec.of(observed, START, START.baseline))
    warm, *counted = replications
    replicate(START, START.baseline, warm)
    samples = []
    for r in counted:
        c0 = time.process_time()
        replicate(START, START.baseline, r)
        samples.append({"replication": r, "cpu_seconds": time.process_time() - c0})
    return samples


# --- parent side ----------------------------------------------------------------------------------


def git(*args: str, cwd: Path = HERE) -> str:
    """Output of a git command (stripped); raises on failure."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@dataclass
class Tree:
    """A source tree to measure."""

    label: str  # "ref" or "this"
    root: Path
    commit: str
    describe: str


def default_ref() -> str:
    """The first non-comment line of ``benchmarks/REF``."""
    for line in (HERE / "REF").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    raise SystemExit("error: benchmarks/REF names no ref")


@contextlib.contextmanager
def ref_worktree(ref: str, this_root: Path) -> Iterator[Tree]:
    """A temporary detached git worktree of ``ref``, removed on exit."""
    try:
        sha = git("rev-parse", "--verify", f"{ref}^{{commit}}", cwd=this_root)
    except subprocess.CalledProcessError:
        raise SystemExit(f"error: --ref {ref!r} is not a commit in this repository") from None
    tmp = Path(tempfile.mkdtemp(prefix="incentsim-ref-"))
    path = tmp / "tree"
    git("worktree", "add", "--detach", "--quiet", str(path), sha, cwd=this_root)
    try:
        yield Tree("ref", path.resolve(), sha, f"{ref} ({sha[:10]})")
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            git("worktree", "remove", "--force", str(path), cwd=this_root)
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(subprocess.CalledProcessError):
            git("worktree", "prune", cwd=this_root)


def this_tree() -> Tree:
    """The checkout holding this script (with its uncommitted changes, if any)."""
    root = Path(git("rev-parse", "--show-toplevel")).resolve()
    sha = git("rev-parse", "HEAD", cwd=root)
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", cwd=root))
    return Tree("this", root, sha, f"{sha[:10]}{' + uncommitted changes' if dirty else ''}")


def compile_bytecode(tree: Tree) -> None:
    """Compile the tree's ``sim`` to bytecode, as an installed package (pip compiles it) or any
    second run has it: with ``PYTHONDONTWRITEBYTECODE`` set (as on the CI machines), every process
    would otherwise compile each module from source, a cost no user pays."""
    cmd = [sys.executable, "-m", "compileall", "-q", "-j", "0", str(tree.root / "sim")]
    subprocess.run(cmd, check=True, capture_output=True)


class ChildFailed(RuntimeError):
    """A measurement's child process failed."""


def run_child(tree: Tree, argv: list[str], env_extra: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``compare.py --child *argv`` on ``tree`` (``env_extra``: more environment); its JSON plus
    wall, CPU and peak RSS of the child as the OS saw them (``wait4``: the child and its
    waited-for descendants)."""
    env = dict(os.environ) | (env_extra or {})
    env["PYTHONPATH"] = str(tree.root)
    env[TREE_ENV] = str(tree.root)
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", *argv],
            cwd=tree.root,
            env=env,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise ChildFailed(f"{tree.label} child {argv} exited {proc.returncode}:\n{tail}")
    lines = stdout.strip().splitlines()
    data: dict[str, Any] = json.loads(lines[-1])
    if not Path(data["sim_file"]).is_relative_to(tree.root):
        raise ChildFailed(f"{tree.label} child imported sim from {data['sim_file']}")
    data.update(
        {
            "tree": tree.label,
            "process_wall_seconds": wall,
            "process_cpu_seconds": usage.ru_utime + usage.ru_stime,
            "process_peak_rss_mib": usage.ru_maxrss / 1024.0,
            "load_before": load,
        }
    )
    return data


def interleave(trees: list[Tree], i: int) -> list[Tree]:
    """Round ``i``'s order: as given on even rounds, reversed on odd ones."""
    return trees if i % 2 == 0 else trees[::-1]


def median(xs: list[float]) -> float:
    """Median of a non-empty list."""
    import numpy as np

    return float(np.median(xs))


def ratio_ci(ref: list[float], this: list[float], n: int = 4000) -> tuple[float, float]:
    """95% bootstrap interval of median(ref) / median(this), resampling each tree's samples."""
    import numpy as np

    rng = np.random.default_rng(12)
    a, b = np.asarray(ref), np.asarray(this)
    ra = np.median(rng.choice(a, (n, a.size)), axis=1)
    rb = np.median(rng.choice(b, (n, b.size)), axis=1)
    lo, hi = np.quantile(ra / rb, [0.025, 0.975])
    return float(lo), float(hi)


def verdict(ok: bool | None) -> str:
    """PASS, FAIL or n/a."""
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


class Report:
    """Lines of the text table, and the figures for the JSON file."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.figures: dict[str, Any] = {}

    def say(self, line: str = "") -> None:
        """Print a line now and keep it for the summary."""
        print(line, flush=True)
        self.lines.append(line)


def cpu_rounds(
    trees: list[Tree], rounds: int, per_child: int, kind: str
) -> tuple[list[dict[str, Any]], dict[str, list[float]]]:
    """Children of ``kind`` (``cpu`` or ``calibration``) in interleaved rounds: their raw results,
    and every counted replication's CPU seconds by tree."""
    raw: list[dict[str, Any]] = []
    for i in range(rounds):
        reps = [10_000 + i] + [i * per_child + j for j in range(per_child)]
        for t in interleave(trees, i):
            d = run_child(t, [kind, "--replications", ",".join(map(str, reps))])
            d["round"] = i
            raw.append(d)
            cpus = ", ".join(f"{s['cpu_seconds']:.3f}" for s in d["samples"])
            print(
                f"  round {i + 1}/{rounds} {t.label}: {cpus} CPU s (load {d['load_before']:.1f})", flush=True
            )
    per = {
        t.label: [s["cpu_seconds"] for d in raw if d["tree"] == t.label for s in d["samples"]] for t in trees
    }
    return raw, per


def cpu_table(trees: list[Tree], raw: list[dict[str, Any]], per: dict[str, list[float]], rep: Report) -> None:
    """The per-tree lines of a CPU figure: median, range, count, the child's import CPU."""
    imports = {t.label: median([d["import_cpu_seconds"] for d in raw if d["tree"] == t.label]) for t in trees}
    rep.say(f"    {'tree':6s} {'median':>8s} {'min':>7s} {'max':>7s} {'n':>3s}  import+load CPU s")
    for t in trees:
        xs = per[t.label]
        rep.say(
            f"    {t.label:6s} {median(xs):8.3f} {min(xs):7.3f} {max(xs):7.3f} {len(xs):3d}  "
            f"{imports[t.label]:.2f}"
        )


def cpu_ratio(raw: list[dict[str, Any]], per: dict[str, list[float]], rounds: int) -> dict[str, Any]:
    """median(ref) / median(this), its bootstrap 95% interval and the ratio of each round's medians."""
    r = median(per["ref"]) / median(per["this"])
    lo, hi = ratio_ci(per["ref"], per["this"])
    paired = []
    for i in range(rounds):
        m = {d["tree"]: median([s["cpu_seconds"] for s in d["samples"]]) for d in raw if d["round"] == i}
        paired.append(m["ref"] / m["this"])
    return {"ratio": r, "ratio_ci95": [lo, hi], "ratio_per_round": paired}


def measure_cpu(trees: list[Tree], rounds: int, per_child: int, rep: Report) -> None:
    """Figure 1: CPU seconds per base-company replication, interleaved rounds."""
    raw, per = cpu_rounds(trees, rounds, per_child, "cpu")
    rep.say(
        f"(1) CPU seconds per base-company replication (incentive policy; {rounds} interleaved rounds x "
        f"{per_child} counted replications per tree, after one warm-up each)"
    )
    cpu_table(trees, raw, per, rep)
    fig: dict[str, Any] = {"samples": raw, "median": {k: median(v) for k, v in per.items()}}
    this = median(per["this"])
    fig["target_this_seconds"] = this <= TARGET_CPU_SECONDS
    if "ref" in per:
        fig.update(cpu_ratio(raw, per, rounds))
        fig["target_ratio"] = fig["ratio"] >= TARGET_CPU_RATIO
        rep.say(f"{ratio_line(fig)}   target >= {TARGET_CPU_RATIO:g}x: {verdict(fig['target_ratio'])}")
    rep.say(
        f"    this {this:.3f} s   target <= {TARGET_CPU_SECONDS} s: {verdict(fig['target_this_seconds'])}"
    )
    rep.figures["cpu"] = fig


def ratio_line(fig: dict[str, Any]) -> str:
    """The ratio of a CPU figure with its interval and its rounds' range."""
    (lo, hi), paired = fig["ratio_ci95"], fig["ratio_per_round"]
    return (
        f"    ratio ref/this {fig['ratio']:.2f}  (bootstrap 95% CI {lo:.2f}-{hi:.2f}; per round "
        f"{min(paired):.2f}-{max(paired):.2f})"
    )


def measure_calibration(trees: list[Tree], rounds: int, per_child: int, rep: Report) -> None:
    """Figure 5: CPU seconds per calibration replication, interleaved rounds (no target)."""
    raw, per = cpu_rounds(trees, rounds, per_child, "calibration")
    rep.say(
        f"(5) CPU seconds per calibration replication (the calibration study's starting company and one "
        f"synthetic export: run, export, moments; {rounds} interleaved rounds x {per_child} counted "
        "replications per tree, after one warm-up each)"
    )
    cpu_table(trees, raw, per, rep)
    fig: dict[str, Any] = {"samples": raw, "median": {k: median(v) for k, v in per.items()}}
    if "ref" in per:
        fig.update(cpu_ratio(raw, per, rounds))
        rep.say(ratio_line(fig))
    rep.figures["calibration"] = fig


def _flagship_once(
    t: Tree, i: int, workers: int, overrides: list[str], env_extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """One run of the flagship command on ``t`` in a child process, with its results folder's facts."""
    with tempfile.TemporaryDirectory(prefix="incentsim-flagship-") as tmp:
        out = Path(tmp) / "run"
        argv = ["flagship", "--workers", str(workers), "--out", str(out)]
        argv += [f"--set={item}" for item in overrides]
        d = run_child(t, argv, env_extra)
        meta = json.loads((out / "metadata.json").read_text())
    d.update(
        {
            "round": i,
            "precision": meta.get("precision", {}),
            "replications_per_plan": meta.get("replications_per_plan"),
            "status": meta.get("status"),
            "git_commit": meta.get("git_commit"),
            "runner_wall_seconds": meta.get("wall_seconds"),
            "computed": meta.get("computed"),
            "cpu_seconds_per_replication": meta.get("cpu_seconds_per_replication"),
        }
    )
    d["replication_cpu_seconds"] = (d["cpu_seconds_per_replication"] or math.nan) * (d["computed"] or 0)
    return d


def _g(x: float | None) -> str:
    """``x`` to 4 significant digits; ``n/a`` for a half-width not computed (None)."""
    return "n/a" if x is None else f"{x:.4g}"


def _flagship_rows(raw: list[dict[str, Any]], rep: Report) -> None:
    head = f"{'tree':6s} {'wall s':>8s} {'runner s':>8s} {'repl CPU s':>10s} {'reps/plan':>9s}"
    rep.say(f"    {head}  precision")
    for d in raw:
        reps = max((d["replications_per_plan"] or {"?": 0}).values())
        widths = d["precision"].get("half_widths", {})
        hw = ", ".join(
            f"{m} ±{_g(widths.get(m))} (target {v:g})" for m, v in d["precision"].get("targets", {}).items()
        )
        rep.say(
            f"    {d['tree']:6s} {d['process_wall_seconds']:8.1f} "
            f"{d['runner_wall_seconds'] or math.nan:8.1f} "
            f"{d['replication_cpu_seconds']:10.1f} {reps:9d}  {d['precision'].get('status')}: {hw}"
        )


def measure_flagship(
    trees: list[Tree],
    rounds: int,
    workers: int,
    rep: Report,
    overrides: list[str] | None = None,
    cold: int = 1,
) -> None:
    """Figure 2: wall seconds of the flagship command to its precision target (``overrides``:
    ``--set`` items for trying the harness quickly; the figure is then not the flagship's). Then
    (2b) ``cold`` runs of this tree as the first run after an install: numba's cache in an empty
    directory (``NUMBA_CACHE_DIR``), so every kernel's compile time is counted, and the compile
    alone (``sim.warm.compile_kernels`` in a fresh process, empty cache and then filled)."""
    overrides = overrides or []
    raw: list[dict[str, Any]] = []
    for i in range(rounds):
        for t in interleave(trees, i):
            d = _flagship_once(t, i, workers, overrides)
            raw.append(d)
            print(f"  round {i + 1}/{rounds} {t.label}: {d['process_wall_seconds']:.1f} s wall", flush=True)
    sets = "".join(f" --set {item}" for item in overrides)
    rep.say(
        f"(2) flagship: incentsim run scenarios/seed-plans.yaml --workers {workers}{sets} (wall seconds, "
        "whole process; the precision target must be met)"
    )
    if overrides:
        rep.say("    NOTE: with --flagship-set overrides this is a harness check, not the flagship figure")
    _flagship_rows(raw, rep)
    this = [d for d in raw if d["tree"] == "this"]
    wall = median([d["process_wall_seconds"] for d in this])
    met = all(d["precision"].get("status") == "met" for d in this)
    fig: dict[str, Any] = {"samples": raw, "this_wall_seconds": wall, "precision_met": met}
    fig["target"] = wall <= TARGET_FLAGSHIP_SECONDS and met
    ref = [d["process_wall_seconds"] for d in raw if d["tree"] == "ref"]
    extra = ""
    if ref:
        fig["ratio"] = median(ref) / wall
        extra = f"   ratio ref/this {fig['ratio']:.2f}"
    rep.say(
        f"    this {wall:.1f} s, precision target {'met' if met else 'NOT met'}{extra}   target <= "
        f"{TARGET_FLAGSHIP_SECONDS:g} s with the target met: {verdict(fig['target'])}"
    )
    if cold:
        here = next(t for t in trees if t.label == "this")
        fig["cold"] = measure_cold(here, cold, workers, overrides, rep)
    rep.figures["flagship"] = fig


def measure_cold(tree: Tree, rounds: int, workers: int, overrides: list[str], rep: Report) -> dict[str, Any]:
    """Figure 2b: the flagship as the first run after an install (numba's cache empty), and the
    kernels' compile alone."""
    raw: list[dict[str, Any]] = []
    compiles: list[dict[str, Any]] = []
    for i in range(rounds):
        with tempfile.TemporaryDirectory(prefix="incentsim-numba-cache-") as cache:
            d = _flagship_once(tree, i, workers, overrides, {"NUMBA_CACHE_DIR": cache})
        raw.append(d)
        print(f"  cold round {i + 1}/{rounds}: {d['process_wall_seconds']:.1f} s wall", flush=True)
        with tempfile.TemporaryDirectory(prefix="incentsim-numba-cache-") as cache:
            empty = run_child(tree, ["compile"], {"NUMBA_CACHE_DIR": cache})
            filled = run_child(tree, ["compile"], {"NUMBA_CACHE_DIR": cache})
        compiles.append({"empty": empty, "filled": filled})
    rep.say(
        "(2b) the flagship as the first run after an install: numba's cache in an empty directory "
        "(NUMBA_CACHE_DIR), so every kernel is compiled, as on a fresh machine"
    )
    _flagship_rows(raw, rep)
    wall = median([d["process_wall_seconds"] for d in raw])
    met = all(d["precision"].get("status") == "met" for d in raw)
    empty = median([c["empty"]["compile_wall_seconds"] for c in compiles])
    filled = median([c["filled"]["compile_wall_seconds"] for c in compiles])
    rep.say(
        f"    the kernels alone (sim.warm.compile_kernels in a fresh process, what the fork server runs): "
        f"{empty:.1f} s with the cache empty, {filled:.2f} s with it filled"
    )
    ok = wall <= TARGET_FLAGSHIP_SECONDS and met
    rep.say(
        f"    this {wall:.1f} s on a fresh install, precision target {'met' if met else 'NOT met'}   "
        f"target <= {TARGET_FLAGSHIP_SECONDS:g} s with the target met: {verdict(ok)}"
    )
    return {
        "samples": raw,
        "compiles": compiles,
        "this_wall_seconds": wall,
        "precision_met": met,
        "compile_empty_wall_seconds": empty,
        "compile_filled_wall_seconds": filled,
        "target": ok,
    }


def measure_scaling(trees: list[Tree], sizes: list[int], rounds: int, rep: Report) -> None:
    """Figure 3: CPU seconds per replication vs starting customers (median of ``rounds``
    processes per point and tree), peak RSS per point (the largest over its processes)."""
    import numpy as np

    raw: list[dict[str, Any]] = []
    for k in range(rounds):
        for i, n in enumerate(sizes):
            for t in interleave(trees, k + i):
                d = run_child(t, ["scaling", "--customers", str(n), "--replication", str(k + 1)])
                d.update({"customers": n, "round": k})
                raw.append(d)
                print(
                    f"  round {k + 1}/{rounds} {n:,} customers {t.label}: "
                    f"{d['total_cpu_seconds']:.2f} CPU s, {d['process_peak_rss_mib']:.0f} MiB",
                    flush=True,
                )
    rep.say(
        "(3) scaling: CPU seconds per replication (world + payouts + metrics, incentive policy, 5 years) "
        f"vs starting customers, median of {rounds} process(es) per point; peak RSS of each point's process"
    )
    labels = [t.label for t in trees]
    cpu = {
        (lab, n): median([d["total_cpu_seconds"] for d in raw if d["tree"] == lab and d["customers"] == n])
        for lab in labels
        for n in sizes
    }
    mib = {
        (lab, n): max(d["process_peak_rss_mib"] for d in raw if d["tree"] == lab and d["customers"] == n)
        for lab in labels
        for n in sizes
    }
    head = "".join(f" {lab + ' CPU s':>11s} {lab + ' MiB':>9s}" for lab in labels)
    rep.say(f"    {'customers':>9s}{head}{'  ratio ref/this' if 'ref' in labels else ''}")
    for n in sizes:
        row = "".join(f" {cpu[(lab, n)]:11.2f} {mib[(lab, n)]:9.0f}" for lab in labels)
        if "ref" in labels:
            row += f"  {cpu[('ref', n)] / cpu[('this', n)]:15.2f}"
        rep.say(f"    {n:9,d}{row}")
    fig: dict[str, Any] = {"samples": raw, "sizes": sizes, "exponent": {}}
    fig["median_cpu_seconds"] = {lab: [cpu[(lab, n)] for n in sizes] for lab in labels}
    fig["peak_rss_mib"] = {lab: [mib[(lab, n)] for n in sizes] for lab in labels}
    if len(sizes) >= 2:
        starts = {d["customers"]: d["customers_start"] for d in raw}  # after rounding the segments
        x = np.log([starts[n] for n in sizes])
        for lab in labels:
            fig["exponent"][lab] = float(np.polyfit(x, np.log([cpu[(lab, n)] for n in sizes]), 1)[0])
    b = fig["exponent"].get("this")
    spans = min(sizes) <= 1000 and max(sizes) >= PEAK_AT
    fig["target_exponent"] = None if b is None or not spans else (b <= TARGET_EXPONENT)
    peak = mib[("this", PEAK_AT)] if PEAK_AT in sizes else None
    fig["peak_mib_at_100k"] = peak
    fig["target_peak"] = None if peak is None else peak <= TARGET_PEAK_MIB
    exps = ", ".join(f"{k} {v:.3f}" for k, v in fig["exponent"].items())
    note = "" if spans else f" (sizes do not span 1,000..{PEAK_AT:,}: indicative only)"
    rep.say(
        f"    exponent b (CPU ~ customers^b): {exps or 'n/a'}{note}   target <= {TARGET_EXPONENT}: "
        f"{verdict(fig['target_exponent'])}"
    )
    peak_text = "not measured" if peak is None else f"{peak:.0f} MiB"
    rep.say(
        f"    peak RSS at {PEAK_AT:,} customers: {peak_text}   target <= {TARGET_PEAK_MIB:.0f} MiB: "
        f"{verdict(fig['target_peak'])}"
    )
    rep.figures["scaling"] = fig


def measure_pool(trees: list[Tree], rounds: int, reps: int, workers: int, rep: Report) -> None:
    """Figure 4: process-pool efficiency on ``workers`` workers."""
    raw: list[dict[str, Any]] = []
    for i in range(rounds):
        for t in interleave(trees, i):
            d = run_child(t, ["pool", "--reps", str(reps), "--workers", str(workers)])
            d["round"] = i
            raw.append(d)
            print(
                f"  round {i + 1}/{rounds} {t.label}: serial {d['serial_wall_seconds']:.1f} s, pool "
                f"{d['pool']['wall_seconds']:.1f} s",
                flush=True,
            )
    rep.say(
        f"(4) process-pool efficiency: serial wall / ({workers} x pool wall), {reps} base-company "
        "replications, process backend"
    )
    rep.say(
        f"    {'tree':6s} {'serial s':>9s} {'pool s':>7s} {'start s':>7s} {'eff':>6s} {'steady':>6s} "
        f"{'CPU/wall serial,pool':>21s} {'load-adj':>8s}"
    )
    for d in raw:
        p = d["pool"]
        d["efficiency_load_adjusted"] = p["efficiency"] * d["serial_share"] / p["share"]
        rep.say(
            f"    {d['tree']:6s} {d['serial_wall_seconds']:9.1f} {p['wall_seconds']:7.1f} "
            f"{p['startup_seconds']:7.2f} {p['efficiency']:6.2f} {p['efficiency_steady']:6.2f} "
            f"{d['serial_share']:10.2f},{p['share']:.2f}{'':5s} {d['efficiency_load_adjusted']:8.2f}"
        )
    this = [d for d in raw if d["tree"] == "this"]
    eff = median([d["pool"]["efficiency"] for d in this])
    adj = median([d["efficiency_load_adjusted"] for d in this])
    fig = {
        "samples": raw,
        "efficiency": eff,
        "efficiency_load_adjusted": adj,
        "target": eff >= TARGET_EFFICIENCY,
        "target_load_adjusted": adj >= TARGET_EFFICIENCY,
    }
    rep.say(
        f"    this: efficiency {eff:.2f}   target >= {TARGET_EFFICIENCY}: {verdict(fig['target'])}; "
        f"load-adjusted {adj:.2f}: {verdict(fig['target_load_adjusted'])}"
    )
    fig["command"] = measure_command_pool(trees, rounds, reps, workers, rep)
    rep.figures["pool"] = fig


def command_run(tree: Tree, reps: int, workers: int, backend: str) -> dict[str, Any]:
    """One ``incentsim run scenarios/base-company.yaml --reps N`` on ``backend`` in a fresh process:
    the command's wall and its runner's (``metadata.json``: from the runner's start to the last
    replication, the backend's start-up included, the report excluded)."""
    with tempfile.TemporaryDirectory(prefix="incentsim-command-") as tmp:
        out = Path(tmp) / "run"
        argv = ["command", "--reps", str(reps), "--workers", str(workers), "--backend", backend]
        d = run_child(tree, [*argv, "--out", str(out)])
        meta = json.loads((out / "metadata.json").read_text())
    d.update(
        {"backend": backend, "runner_wall_seconds": meta["wall_seconds"], "computed": meta.get("computed")}
    )
    return d


def measure_command_pool(
    trees: list[Tree], rounds: int, reps: int, workers: int, rep: Report
) -> dict[str, Any]:
    """Figure 4 as a user meets it: the same replications run by the command, serially and on
    ``workers`` workers, each in a fresh process (both start cold: the serial run loads the kernels
    itself; the command starts the pool's fork server before it reads the scenario)."""
    raw: list[dict[str, Any]] = []
    for i in range(rounds):
        for t in interleave(trees, i):
            pair = [("serial", 1), ("process", workers)]
            for backend, w in pair if i % 2 == 0 else pair[::-1]:
                d = command_run(t, reps, w, backend)
                d["round"] = i
                raw.append(d)
                print(
                    f"  round {i + 1}/{rounds} {t.label} command, {backend}: "
                    f"runner {d['runner_wall_seconds']:.1f} s, command {d['process_wall_seconds']:.1f} s",
                    flush=True,
                )
    rep.say(
        f"    as the command runs it (incentsim run scenarios/base-company.yaml --reps {reps}, --backend "
        f"serial vs --workers {workers}, each in a fresh process): runner wall = the replications phase, "
        "start-up included"
    )
    rep.say(
        f"    {'tree':6s} {'serial s':>9s} {'pool s':>7s} {'eff':>6s}   "
        f"{'command serial s':>16s} {'pool s':>7s}"
    )
    effs: list[float] = []
    for t in trees:
        for i in range(rounds):
            runs = {d["backend"]: d for d in raw if d["tree"] == t.label and d["round"] == i}
            ser, par = runs["serial"], runs["process"]
            e = ser["runner_wall_seconds"] / (workers * par["runner_wall_seconds"])
            if t.label == "this":
                effs.append(e)
            rep.say(
                f"    {t.label:6s} {ser['runner_wall_seconds']:9.1f} {par['runner_wall_seconds']:7.1f} "
                f"{e:6.2f}   {ser['process_wall_seconds']:16.1f} {par['process_wall_seconds']:7.1f}"
            )
    eff = median(effs)
    fig = {"samples": raw, "efficiency": eff, "target": eff >= TARGET_EFFICIENCY}
    rep.say(
        f"    this, as the command runs it: efficiency {eff:.2f}   target >= {TARGET_EFFICIENCY}: "
        f"{verdict(fig['target'])}"
    )
    return fig


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "executable": sys.executable,
    }


def main() -> None:
    """Command-line entry point."""
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref", help="git ref to compare with (default: the ref named in benchmarks/REF)")
    ap.add_argument("--reps", type=int, default=3, help="interleaved rounds of the CPU figure (default 3)")
    ap.add_argument(
        "--cpu-per-child", type=int, default=2, help="counted replications per CPU child (default 2)"
    )
    ap.add_argument(
        "--only",
        default=",".join(FIGURES),
        help="figures to measure: cpu,flagship,scaling,pool (default), and calibration",
    )
    ap.add_argument(
        "--calibration-per-child",
        type=int,
        default=20,
        help="counted replications per calibration child (default 20)",
    )
    ap.add_argument("--workers", type=int, default=2, help="workers of the flagship and the pool (default 2)")
    ap.add_argument("--flagship-reps", type=int, default=1, help="runs of the flagship per tree (default 1)")
    ap.add_argument("--flagship-ref", action="store_true", help="also run the flagship on the ref (slow)")
    ap.add_argument(
        "--flagship-cold",
        type=int,
        default=1,
        help="runs of the flagship with numba's cache empty, as after an install (default 1; 0: none)",
    )
    ap.add_argument(
        "--flagship-set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field of the flagship run (to try the harness quickly; not the figure)",
    )
    ap.add_argument(
        "--sizes", default="1000,3000,10000,30000,100000", help="starting customers of the scaling"
    )
    ap.add_argument(
        "--scaling-reps", type=int, default=1, help="processes per scaling point and tree (default 1)"
    )
    ap.add_argument("--scaling-ref", action="store_true", help="also run the scaling on the ref (slow)")
    ap.add_argument(
        "--pool-reps", type=int, default=12, help="replications in the pool workload (default 12)"
    )
    ap.add_argument("--pool-rounds", type=int, default=1, help="pool measurements per tree (default 1)")
    ap.add_argument("--pool-ref", action="store_true", help="also measure the pool on the ref")
    ap.add_argument("--json", type=Path, help="where to write the raw samples (default benchmarks/results/)")
    args = ap.parse_args()
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = sorted(set(only) - set(FIGURES) - set(EXTRA))
    if unknown:
        ap.error(f"--only: unknown figure(s) {', '.join(unknown)}; choose from {','.join(FIGURES + EXTRA)}")
    counts = (
        "reps",
        "cpu_per_child",
        "calibration_per_child",
        "workers",
        "flagship_reps",
        "scaling_reps",
        "pool_reps",
        "pool_rounds",
    )
    if args.flagship_cold < 0:
        ap.error("--flagship-cold: must be at least 0")
    for name in counts:
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')}: must be at least 1")
    sizes = [int(x) for x in args.sizes.split(",")]
    ref_name = args.ref or default_ref()
    this = this_tree()
    wants_ref = {
        "cpu": True,
        "flagship": args.flagship_ref,
        "scaling": args.scaling_ref,
        "pool": args.pool_ref,
        "calibration": True,
    }
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    rep = Report()
    ref: Tree | None = None
    try:
        with contextlib.ExitStack() as stack:
            if any(wants_ref[f] for f in only):
                ref = stack.enter_context(ref_worktree(ref_name, this.root))
            for t in (this, ref):
                if t is not None:
                    compile_bytecode(t)
            rep.say(f"incentsim compare.py, {started:%Y-%m-%d %H:%M} UTC")
            rep.say(f"  this: {this.root.name} at {this.describe}")
            rep.say(f"  ref:  {ref.describe if ref else ref_name + ' (not measured)'}")
            rep.say(
                f"  machine: {os.cpu_count()} CPUs; load average before {load_before[0]:.2f} "
                f"{load_before[1]:.2f} {load_before[2]:.2f}"
            )
            rep.say()

            def trees(fig: str) -> list[Tree]:
                return [ref, this] if ref is not None and wants_ref[fig] else [this]

            if "cpu" in only:
                measure_cpu(trees("cpu"), args.reps, args.cpu_per_child, rep)
                rep.say()
            if "flagship" in only:
                fl, cold = trees("flagship"), args.flagship_cold
                measure_flagship(fl, args.flagship_reps, args.workers, rep, args.flagship_set, cold)
                rep.say()
            if "scaling" in only:
                measure_scaling(trees("scaling"), sizes, args.scaling_reps, rep)
                rep.say()
            if "pool" in only:
                measure_pool(trees("pool"), args.pool_rounds, args.pool_reps, args.workers, rep)
                rep.say()
            if "calibration" in only:
                measure_calibration(trees("calibration"), args.reps, args.calibration_per_child, rep)
                rep.say()
    except ChildFailed as exc:
        raise SystemExit(f"error: {exc}") from None
    load_after = os.getloadavg()
    rep.say(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    record = {
        "date_utc": started.isoformat(timespec="seconds"),
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": ["python", "benchmarks/compare.py", *sys.argv[1:]],
        "this": {"commit": this.commit, "describe": this.describe},
        "ref": {"name": ref_name, "commit": ref.commit if ref else None},
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "figures": rep.figures,
        "table": rep.lines,
    }
    path = args.json or HERE / "results" / f"compare-{started:%Y%m%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"raw samples: {path}")


if __name__ == "__main__":
    main()
