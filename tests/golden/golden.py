"""Golden snapshots: per-scenario, per-plan metric samples, and the check against them.

A snapshot (``tests/golden/snapshots/<scenario>.json``) holds, for every plan of a shipped
scenario and every metric of :class:`sim.result.ReplicationResult`, the exact value of
each replication (plus its mean, SD and n), the configuration that produced them (seed,
replication indices, the overrides that make the scenario cheap) and a SHA-256 digest of the
exact values.

The check reruns the same replications and decides, in this order:

1. **identical**: every stored value is reproduced bit for bit (the draws are unchanged):
   pass.
2. otherwise, per plan and metric, a verdict on the two samples (:func:`compare_metric`):

   * equal within a float tolerance (``RTOL`` of the metric's scale), replication by
     replication: pass (summation order and the like);
   * constant on both sides (a deterministic metric): pass if equal within the tolerance,
     else a hard failure;
   * defined (finite) on every replication of one side and on none of the other: a hard
     failure;
   * otherwise up to four p-values: Welch's t-test on the means (the gate that holds
     whatever happened to the draws), a paired t-test on the replication-by-replication
     differences (valid whatever the draws, since replication ``k`` of both runs is
     independent of every other ``k``; far more powerful when most draws are shared),
     the Brown–Forsythe test (Levene's test centred on the median) on the spread, and
     Fisher's exact test on how many replications leave the metric undefined.

3. All p-values of a scenario form one family; Holm's step-down procedure at
   ``FAMILY_ALPHA`` decides which are rejected, so a correct change (new draws, same
   distributions) fails with probability at most ``FAMILY_ALPHA`` per scenario, and a
   moved metric is named in a table.

Tests that are the same test (identical stored and new samples, e.g. ``grr`` and
``grr_year1`` on a one-year horizon) are counted once in the family.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim.replication import simulate
from sim.scenario import Scenario, load_scenario
from sim.scenario.company import SEGMENTS
from sim.scenario.experiment import METRICS
from sim.vocabulary import RATIO_MEASURES, ROLES

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS_DIR = REPO_ROOT / "scenarios"
SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshots"

FORMAT = 1
"""Version of the snapshot file layout."""

SCALE = 0.2
"""Fraction of the company simulated: starting customers, leads, addressable organisations
and every headcount are multiplied by it (as ``benchmarks/world.py`` scales the company)."""
WARMUP_YEARS = 0.5
HORIZON_YEARS = 1.0
REPLICATIONS = 16
"""Replications per plan (indices ``0..REPLICATIONS-1``)."""

FAMILY_ALPHA = 0.01
"""Family-wise error rate of one scenario's check (Holm over all its tests)."""
RTOL = 1e-9
"""Relative tolerance (of the largest absolute value of a metric) under which two values are
the same number computed differently (float summation order)."""

CORE_METRICS: tuple[str, ...] = METRICS
"""Metrics every replication reports (``sim.scenario.experiment.METRICS``)."""

HEADCOUNT_GROUPS = ("reps", "csms", "consultants", "marketing", "sdrs")

Samples = dict[str, dict[str, list[float]]]
"""plan -> metric -> one value per replication."""


# -- configuration -----------------------------------------------------------------------


def scenario_names() -> list[str]:
    """The shipped scenarios (``scenarios/*.yaml``), by file stem."""
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.yaml"))


def scaled_overrides(
    scenario: Scenario,
    scale: float = SCALE,
    warmup_years: float = WARMUP_YEARS,
    horizon_years: float = HORIZON_YEARS,
) -> dict[str, Any]:
    """Dotted-path overrides that shrink ``scenario``'s company by ``scale`` and its time.

    Starting customers, leads per month, a finite market's addressable organisations, every
    non-zero headcount (at least 1) and the targets of team bonuses on company volumes are scaled
    together, so per-person loads (quota per rep, accounts per CSM, projects per consultant) and a
    team bonus's attainment stay about what the scenario says.
    """
    c = scenario.company
    over: dict[str, Any] = {
        "company.warmup_years": warmup_years,
        "company.horizon_years": horizon_years,
    }
    for name in SEGMENTS:
        seg = getattr(c.segments, name)
        over[f"company.segments.{name}.starting_customers"] = round(seg.starting_customers * scale)
        over[f"company.segments.{name}.leads_per_month"] = round(seg.leads_per_month * scale, 6)
        if seg.addressable_organisations:
            over[f"company.segments.{name}.addressable_organisations"] = round(
                seg.addressable_organisations * scale
            )
    for group in HEADCOUNT_GROUPS:
        headcount = getattr(c, group).headcount
        if headcount:
            over[f"company.{group}.headcount"] = max(1, round(headcount * scale))
    # a team bonus's target in units of the whole company's volume (tickets a year, say) scales
    # with the company, as per-person targets keep their loads; ratio targets (NRR) do not
    for plan in scenario.plans:
        for role in ROLES:
            for k, comp in enumerate(plan.role(role).components):
                if comp.kind == "bonus" and comp.scope == "team" and comp.measure not in RATIO_MEASURES:
                    over[f"plans.{plan.name}.{role}.components.{k}.target_value"] = comp.target_value * scale
    return over


@dataclass(frozen=True)
class GoldenConfig:
    """What a snapshot was computed from; applied identically when it is checked."""

    scenario: str
    seed: int
    replications: list[int]
    overrides: dict[str, Any]
    scale: float = SCALE
    warmup_years: float = WARMUP_YEARS
    horizon_years: float = HORIZON_YEARS

    def to_json(self) -> dict[str, Any]:
        """Plain data for the snapshot file."""
        return {
            "scenario": self.scenario,
            "scenario_file": f"scenarios/{self.scenario}.yaml",
            "seed": self.seed,
            "replications": list(self.replications),
            "scale": self.scale,
            "warmup_years": self.warmup_years,
            "horizon_years": self.horizon_years,
            "overrides": dict(self.overrides),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GoldenConfig:
        """Read the ``config`` block of a snapshot file."""
        return cls(
            scenario=str(data["scenario"]),
            seed=int(data["seed"]),
            replications=[int(r) for r in data["replications"]],
            overrides=dict(data["overrides"]),
            scale=float(data["scale"]),
            warmup_years=float(data["warmup_years"]),
            horizon_years=float(data["horizon_years"]),
        )


def default_config(name: str, replications: int = REPLICATIONS) -> GoldenConfig:
    """The configuration ``update.py`` records for scenario ``name`` (its own seed)."""
    base = load_scenario(SCENARIOS_DIR / f"{name}.yaml")
    over = scaled_overrides(base)
    over["experiment.seed"] = base.experiment.seed
    return GoldenConfig(
        scenario=name, seed=base.experiment.seed, replications=list(range(replications)), overrides=over
    )


def build_scenario(config: GoldenConfig, extra: Mapping[str, Any] | None = None) -> Scenario:
    """The scenario of ``config``: its file with the stored overrides (then ``extra``)."""
    over = dict(config.overrides)
    over.update(extra or {})
    return load_scenario(SCENARIOS_DIR / f"{config.scenario}.yaml", overrides=over)


# -- running -------------------------------------------------------------------------------


def _one(task: tuple[Scenario, str, int]) -> dict[str, float]:
    scenario, plan, replication = task
    metrics = simulate(scenario, plan, replication).metrics
    return {k: float(v) for k, v in metrics.items()}


def run(
    config: GoldenConfig,
    extra: Mapping[str, Any] | None = None,
    replications: Sequence[int] | None = None,
    workers: int = 1,
) -> Samples:
    """Every plan's metrics over the replications of ``config`` (or ``replications``).

    ``extra`` overrides are applied after the stored ones (to perturb the world in tests).
    Results do not depend on ``workers``: each replication is a pure function of the
    scenario, the plan and its index.
    """
    scenario = build_scenario(config, extra)
    reps = list(config.replications if replications is None else replications)
    tasks = [(scenario, plan.name, r) for plan in scenario.plans for r in reps]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_one, tasks))
    else:
        results = [_one(t) for t in tasks]
    out: Samples = {}
    for (_, plan, _), metrics in zip(tasks, results, strict=True):
        per_plan = out.setdefault(plan, {})
        for name, value in metrics.items():
            per_plan.setdefault(name, []).append(value)
    return out


# -- snapshot files --------------------------------------------------------------------------


def _exact(x: float) -> str:
    """A float's exact text (``float.hex``; ``nan``, ``inf``, ``-inf`` for the others)."""
    return float(x).hex()


def digest(samples: Mapping[str, Mapping[str, Sequence[float]]]) -> str:
    """SHA-256 of every exact value, plans and metrics in sorted order."""
    h = hashlib.sha256()
    for plan in sorted(samples):
        for metric in sorted(samples[plan]):
            values = ",".join(_exact(v) for v in samples[plan][metric])
            h.update(f"{plan}\t{metric}\t{values}\n".encode())
    return h.hexdigest()


def _encode(x: float) -> float | str | None:
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _decode(x: float | int | str | None) -> float:
    if x is None:
        return math.nan
    return float(x)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """n (defined values), NaN count, mean and sample SD of the finite values (None if undefined)."""
    a = np.asarray(values, dtype=float)
    fin = a[np.isfinite(a)]
    mean = float(fin.mean()) if fin.size else None
    sd = float(fin.std(ddof=1)) if fin.size > 1 else None
    return {"n": int(fin.size), "n_undefined": int(a.size - fin.size), "mean": mean, "sd": sd}


def snapshot_path(name: str) -> Path:
    """Where scenario ``name``'s snapshot lives."""
    return SNAPSHOT_DIR / f"{name}.json"


@dataclass
class Snapshot:
    """A scenario's stored samples and the configuration that produced them."""

    config: GoldenConfig
    samples: Samples
    digest: str

    def render(self) -> str:
        """The file's text: JSON, one metric per line so diffs stay readable."""
        lines = ["{", f'  "format": {FORMAT},']
        lines.append(f'  "config": {json.dumps(self.config.to_json(), sort_keys=True)},')
        lines.append(f'  "digest": "{self.digest}",')
        lines.append('  "plans": {')
        plans = list(self.samples)
        for i, plan in enumerate(plans):
            metrics = self.samples[plan]
            one = {plan: metrics}
            lines.append(f'    {json.dumps(plan)}: {{"digest": "{digest(one)}", "metrics": {{')
            names = sorted(metrics)
            for j, name in enumerate(names):
                entry = summary(metrics[name])
                entry["values"] = [_encode(v) for v in metrics[name]]
                tail = "," if j < len(names) - 1 else ""
                lines.append(f"      {json.dumps(name)}: {json.dumps(entry, allow_nan=False)}{tail}")
            lines.append("    }}" + ("," if i < len(plans) - 1 else ""))
        lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        """Write atomically: a temporary file in the same folder, then a rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.render())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def make(cls, config: GoldenConfig, samples: Samples) -> Snapshot:
        """A snapshot of freshly computed samples."""
        return cls(config=config, samples=samples, digest=digest(samples))

    @classmethod
    def read(cls, path: Path) -> Snapshot:
        """Read a snapshot file (values exactly as written)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path.name}: snapshot format {data.get('format')!r}, expected {FORMAT}")
        samples: Samples = {
            plan: {name: [_decode(v) for v in entry["values"]] for name, entry in body["metrics"].items()}
            for plan, body in data["plans"].items()
        }
        return cls(config=GoldenConfig.from_json(data["config"]), samples=samples, digest=data["digest"])


# -- comparing two samples of one metric -------------------------------------------------------

TESTS = ("welch", "paired", "spread", "undefined")
"""Names of the statistical tests: Welch t on means, paired t on per-replication differences,
Brown–Forsythe on spread, Fisher exact on the count of undefined (non-finite) values."""


@dataclass
class MetricComparison:
    """The verdict on one metric of one plan before the family correction."""

    status: str
    """``identical``, ``within-tolerance``, ``constant-equal``, ``undefined-both``,
    ``tested`` (p-values below), or a hard failure: ``constant-changed``,
    ``defined-on-one-side``, ``missing``, ``length-changed``."""
    stored: dict[str, Any]
    new: dict[str, Any]
    pvalues: dict[str, float] = field(default_factory=dict)

    @property
    def hard_failure(self) -> bool:
        """A change no test is needed for."""
        return self.status in ("constant-changed", "defined-on-one-side", "missing", "length-changed")


def _bits_equal(a: Sequence[float], b: Sequence[float]) -> bool:
    return len(a) == len(b) and all(_exact(x) == _exact(y) for x, y in zip(a, b, strict=True))


def _two_sided_t(t: float, df: float) -> float:
    return float(2.0 * stats.t.sf(abs(t), df))


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p of Welch's t-test (unequal variances) on the means of ``a`` and ``b``."""
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = a.mean() - b.mean()
    if va + vb == 0.0:
        return 1.0 if diff == 0.0 else 0.0
    t = diff / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return _two_sided_t(t, df)


def paired_p(d: np.ndarray) -> float:
    """Two-sided p of the paired t-test: is the mean of the differences ``d`` zero?"""
    sd = d.std(ddof=1)
    m = d.mean()
    if sd == 0.0:
        return 1.0 if m == 0.0 else 0.0
    return _two_sided_t(m / (sd / math.sqrt(d.size)), d.size - 1)


def spread_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p of the Brown–Forsythe test (Levene on |x - median|) for equal spread."""
    da, db = np.abs(a - np.median(a)), np.abs(b - np.median(b))
    if np.ptp(np.concatenate([da, db])) == 0.0:
        return 1.0
    p = float(stats.levene(a, b, center="median").pvalue)
    if math.isnan(p):  # no spread within either group (e.g. both two-valued and symmetric)
        return 1.0 if np.array_equal(np.sort(da), np.sort(db)) else 0.0
    return p


def compare_metric(
    stored: Sequence[float], new: Sequence[float], *, paired: bool = True, rtol: float = RTOL
) -> MetricComparison:
    """Compare one metric's stored replications with new ones (see the module docstring).

    ``paired`` pairs ``stored[k]`` with ``new[k]`` (same replication index); the samples must
    then have the same length.
    """
    a, b = np.asarray(stored, dtype=float), np.asarray(new, dtype=float)
    s_old, s_new = summary(stored), summary(new)
    if _bits_equal(stored, new):
        return MetricComparison("identical", s_old, s_new)
    fa, fb = np.isfinite(a), np.isfinite(b)
    xa, xb = a[fa], b[fb]
    if not xa.size and not xb.size:
        return MetricComparison("undefined-both", s_old, s_new)
    if (not xa.size and fb.all()) or (not xb.size and fa.all()):
        return MetricComparison("defined-on-one-side", s_old, s_new)
    scale = float(np.max(np.abs(np.concatenate([xa, xb]))))
    tol = rtol * scale
    same_pattern = (
        a.size == b.size and np.array_equal(fa, fb) and np.array_equal(a[~fa], b[~fb], equal_nan=True)
    )
    if same_pattern and np.all(np.abs(a[fa] - b[fb]) <= tol):
        return MetricComparison("within-tolerance", s_old, s_new)
    if xa.size and xb.size and np.ptp(xa) <= tol and np.ptp(xb) <= tol:
        equal = abs(float(xa.mean() - xb.mean())) <= tol
        if equal and a.size - xa.size == 0 and b.size - xb.size == 0:
            return MetricComparison("constant-equal", s_old, s_new)
        if not equal:
            return MetricComparison("constant-changed", s_old, s_new)
    p: dict[str, float] = {}
    undefined_a, undefined_b = a.size - xa.size, b.size - xb.size
    if undefined_a or undefined_b:
        table = [[undefined_a, xa.size], [undefined_b, xb.size]]
        p["undefined"] = float(stats.fisher_exact(table).pvalue)
    if xa.size >= 2 and xb.size >= 2:
        if np.ptp(xa) > tol or np.ptp(xb) > tol:
            p["welch"] = welch_p(xa, xb)
            p["spread"] = spread_p(xa, xb)
        elif abs(float(xa.mean() - xb.mean())) > tol:
            p["welch"] = 0.0
    if paired and a.size == b.size:
        both = fa & fb
        if both.sum() >= 2:
            d = b[both] - a[both]
            d[np.abs(d) <= tol] = 0.0
            p["paired"] = paired_p(d)
    return MetricComparison("tested", s_old, s_new, p)


# -- comparing a scenario ---------------------------------------------------------------------


@dataclass
class Row:
    """One plan and metric in a scenario's comparison."""

    plan: str
    metric: str
    comparison: MetricComparison
    adjusted: dict[str, float] = field(default_factory=dict)
    """Holm-adjusted p-values of the tests (same keys as ``comparison.pvalues``)."""
    rejected: list[str] = field(default_factory=list)
    """Tests whose null hypothesis (no change) Holm rejects at the family alpha."""

    @property
    def moved(self) -> bool:
        """This metric changed: a hard failure or a rejected test."""
        return self.comparison.hard_failure or bool(self.rejected)


@dataclass
class Report:
    """The check of one scenario."""

    scenario: str
    identical: bool
    rows: list[Row]
    family_size: int
    alpha: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No metric moved."""
        return self.identical or not any(r.moved for r in self.rows)

    @property
    def moved(self) -> list[Row]:
        """The rows that moved, most significant first."""
        rows = [r for r in self.rows if r.moved]
        return sorted(
            rows, key=lambda r: (not r.comparison.hard_failure, min(r.adjusted.values(), default=0.0))
        )

    def counts(self) -> dict[str, int]:
        """How many plan×metric rows ended in each status."""
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.comparison.status] = out.get(r.comparison.status, 0) + 1
        return out

    def headline(self) -> str:
        """One line: the verdict."""
        if self.identical:
            return f"{self.scenario}: identical (every value bit for bit; draws unchanged)"
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items()))
        verdict = "PASS" if self.ok else f"FAIL ({len(self.moved)} plan×metric moved)"
        return (
            f"{self.scenario}: {verdict}; not bit-identical; {len(self.rows)} plan×metric rows ({counts}); "
            f"{self.family_size} distinct tests, Holm at family alpha {self.alpha}"
        )

    def table(self, rows: Iterable[Row] | None = None) -> str:
        """A fixed-width table of ``rows`` (default: the moved ones)."""
        chosen = list(self.moved if rows is None else rows)
        head = (
            f"{'plan':<28} {'metric':<30} {'stored mean':>14} {'stored sd':>12} {'new mean':>14} "
            f"{'new sd':>12} {'shift/sd':>9}  verdict"
        )
        out = [head, "-" * len(head)]
        for r in chosen:
            c = r.comparison
            sm, ss, nm, ns = c.stored["mean"], c.stored["sd"], c.new["mean"], c.new["sd"]
            pooled = math.sqrt(((ss or 0.0) ** 2 + (ns or 0.0) ** 2) / 2)
            shift = (nm - sm) / pooled if sm is not None and nm is not None and pooled > 0 else math.nan
            if c.status == "tested":
                parts = [
                    f"{t} p={c.pvalues[t]:.2g} adj={r.adjusted[t]:.2g}{' *' if t in r.rejected else ''}"
                    for t in TESTS
                    if t in c.pvalues
                ]
                verdict = "; ".join(parts)
            else:
                verdict = c.status
            if c.stored["n_undefined"] or c.new["n_undefined"]:
                verdict += f" (undefined {c.stored['n_undefined']} -> {c.new['n_undefined']})"
            out.append(
                f"{r.plan[:28]:<28} {r.metric[:30]:<30} {_num(sm):>14} {_num(ss):>12} {_num(nm):>14} "
                f"{_num(ns):>12} {shift:>9.2f}  {verdict}"
            )
        return "\n".join(out)

    def render(self, everything: bool = False) -> str:
        """The headline, notes, and the table of moved rows (every row with ``everything``)."""
        parts = [self.headline(), *self.notes]
        if not self.identical and (everything or self.moved):
            parts.append(self.table(self.rows if everything else None))
        return "\n".join(parts)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (reject where adjusted <= alpha)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def compare(
    stored: Snapshot | Samples,
    new: Samples,
    *,
    scenario: str = "",
    alpha: float = FAMILY_ALPHA,
    paired: bool = True,
) -> Report:
    """Check ``new`` samples against a stored snapshot (or stored samples).

    Holm's procedure runs over every distinct test of every plan and metric; identical
    tests (same stored and same new values) count once.
    """
    if isinstance(stored, Snapshot):
        scenario = scenario or stored.config.scenario
        old = stored.samples
    else:
        old = stored
    notes: list[str] = []
    rows: list[Row] = []
    for plan in old:
        if plan not in new:
            for metric in old[plan]:
                s = summary(old[plan][metric])
                rows.append(Row(plan, metric, MetricComparison("missing", s, summary([]))))
            notes.append(f"plan {plan!r} is missing from the new results")
            continue
        for metric, values in old[plan].items():
            if metric not in new[plan]:
                rows.append(Row(plan, metric, MetricComparison("missing", summary(values), summary([]))))
                continue
            new_values = new[plan][metric]
            if paired and len(values) != len(new_values):
                c = MetricComparison("length-changed", summary(values), summary(new_values))
            else:
                c = compare_metric(values, new_values, paired=paired)
            rows.append(Row(plan, metric, c))
        extra = sorted(set(new[plan]) - set(old[plan]))
        if extra:
            notes.append(f"plan {plan!r}: metrics not in the snapshot (not checked): {', '.join(extra)}")
    extra_plans = sorted(set(new) - set(old))
    if extra_plans:
        notes.append(f"plans not in the snapshot (not checked): {', '.join(extra_plans)}")
    identical = not notes and all(r.comparison.status == "identical" for r in rows)
    # the family: distinct tests (a test is its name and the exact values it was run on)
    keys: dict[tuple[str, str, str], int] = {}
    family: list[float] = []
    where: list[tuple[Row, str, int]] = []
    for r in rows:
        for t, pv in r.comparison.pvalues.items():
            key = (t, _key(old[r.plan][r.metric]), _key(new[r.plan][r.metric]))
            if key not in keys:
                keys[key] = len(family)
                family.append(pv)
            where.append((r, t, keys[key]))
    adjusted = holm(family)
    for r, t, k in where:
        r.adjusted[t] = adjusted[k]
        if adjusted[k] <= alpha:
            r.rejected.append(t)
    return Report(scenario, identical, rows, len(family), alpha, notes)


def _key(values: Sequence[float]) -> str:
    return ",".join(_exact(v) for v in values)
