"""Valuation benchmark: what the incentive policy adds to a replication, and µs per option.

Usage (from the repository root)::

    python benchmarks/valuation.py                      # seed-plans: conventional, revenue-realization
    python benchmarks/valuation.py --plans clawback --replication 3

For each plan it runs one replication of ``scenarios/seed-plans.yaml`` two ways, timing CPU
seconds: with the neutral policy and with the incentive policy (options valued in bulk by the
pricing kernel, ``sim/policy/valuation.py``). It prints seconds per replication, the
incentive/neutral ratio and the valuation cost per option (the world's building of the option
tables included, since the incentive policy is what asks for them).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _tree import use_tree

ROOT = use_tree()  # this checkout, or the tree compare.py names in $INCENTSIM_BENCH_TREE

from sim import load_scenario  # noqa: E402
from sim.policy import IncentivePolicy, NeutralPolicy  # noqa: E402
from sim.replication import simulate  # noqa: E402


class _Timed(IncentivePolicy):
    """The incentive policy, timing its valuation (options materialised outside the clock)."""

    def __init__(self, *a: Any, **k: Any) -> None:
        super().__init__(*a, **k)
        self.valuing = 0.0
        self.options = 0

    def choose(self, decision: Any, u: float) -> int:
        t0 = time.process_time()
        k = super().choose(decision, u)
        self.valuing += time.process_time() - t0
        if self.behaviour.rationality_per_kusd > 0 and len(decision.options) > 1:
            self.options += len(decision.options)
        return k


def run(plan: str, replication: int) -> dict[str, Any]:
    """CPU seconds per replication (neutral, incentive) and µs per option of one plan."""
    sc = load_scenario(ROOT / "scenarios" / "seed-plans.yaml")
    months = round(sc.company.warmup_years * 12)
    out: dict[str, Any] = {"plan": plan}
    for kind in ("neutral", "incentive"):
        pol: Any = (
            NeutralPolicy()
            if kind == "neutral"
            else _Timed(sc.behaviour, sc.plan(plan), measure_start_months=months)
        )
        t0 = time.process_time()
        simulate(sc, plan, replication, policy=pol)
        out[f"{kind}_s"] = time.process_time() - t0
        if kind != "neutral":
            out[f"{kind}_us_per_option"] = pol.valuing / max(pol.options, 1) * 1e6
            out[f"{kind}_deviations"] = pol.deviations
    out["ratio"] = out["incentive_s"] / out["neutral_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plans", default="conventional,revenue-realization")
    ap.add_argument("--replication", type=int, default=0)
    args = ap.parse_args()
    for plan in args.plans.split(","):
        r = run(plan, args.replication)
        print(
            f"{plan:22s} neutral {r['neutral_s']:5.2f} s | incentive {r['incentive_s']:5.2f} s "
            f"(x{r['ratio']:.2f}, {r['incentive_us_per_option']:.2f} us/option, "
            f"{r['incentive_deviations']} deviations)",
            flush=True,
        )


if __name__ == "__main__":
    main()
