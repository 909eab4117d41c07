"""A synthetic company with known truth: CRM-shaped exports made by the simulator.

One replication of a scenario (the truth) is run as a calibration simulates
(:mod:`sim.calibrate.simulated`: won and lost opportunities, monthly ARR, people), its measured
window is kept, and it is written the way a CRM exports it: spreadsheet headers (``Opportunity
Owner``, ``Close Date``...), stages ``Closed Won``/``Closed Lost``, percentages, segment and source
labels as people type them, amounts rounded to $100, and some optional cells left empty
(:class:`Noise`). ``incentsim synthesize TRUTH.yaml --out DIR`` writes ``opportunities.csv``,
``accounts.csv``, ``people.csv`` and the resolved ``truth.yaml``; a calibration of those files
should find the truth's parameters within its intervals (``tests/calibrate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.calibrate.crm import AE, Crm
from sim.rng import stream
from sim.scenario.schema import Scenario
from sim.vocabulary import ROLE_SYNONYMS

SEGMENT_LABEL = {"smb": "SMB", "mid_market": "Mid-Market", "enterprise": "Enterprise"}
SOURCE_LABEL = {
    "outbound": "Outbound",
    "marketing": "Inbound",
    "referral": "Customer Referral",
    "champion": "Former Champion",
    "": "",
}
TYPE_LABEL = {"new": "New Business", "upsell": "Upsell", "cross_sell": "Cross-sell", "renewal": "Renewal"}
FILES = ("opportunities.csv", "accounts.csv", "people.csv", "truth.yaml")


@dataclass(frozen=True)
class Noise:
    """What makes an export untidy: cells left empty (shares of opportunities) and rounding."""

    missing_discount: float = 0.04
    missing_fit: float = 0.08
    missing_source: float = 0.05
    missing_created: float = 0.02
    round_usd: float = 100.0
    """Amounts and ARR are rounded to this many dollars (0: not rounded)."""


def simulate_history(truth: Scenario, plan: str | None = None, replication: int = 0) -> Crm:
    """One replication of ``truth`` as its CRM would show it (the measured window only)."""
    from sim.calibrate.simulated import OpportunityLog, crm_of
    from sim.policy import make_policy
    from sim.replication import history

    name = plan or truth.baseline
    log = OpportunityLog(make_policy(truth, name), truth.behaviour.ae.pull_in_discount)
    crm = crm_of(truth, name, replication, history(truth, name, replication, policy=log).rows, log)
    o = crm.opportunities
    crm.opportunities = o[o["closed"] >= crm.start].reset_index(drop=True)
    crm.arr = crm.arr[crm.arr["month"] >= crm.start].reset_index(drop=True)
    p = crm.people
    crm.people = p[p["leave"].isna() | (p["leave"] > crm.start)].reset_index(drop=True)
    return crm


def _round(x: pd.Series, step: float) -> pd.Series:
    return (np.round(x / step) * step) if step > 0 else x


def _date(s: pd.Series) -> list[str]:
    return ["" if pd.isna(d) else str(np.datetime64(d, "D")) for d in s]


def export_frames(crm: Crm, noise: Noise, seed: int, replication: int = 0) -> dict[str, pd.DataFrame]:
    """The history as the three CSV tables a CRM exports (module docstring)."""
    o = crm.opportunities.sort_values(["closed", "id"], kind="stable").reset_index(drop=True)
    rng = stream(seed, replication, "synthetic.noise")
    u = rng.random((len(o), 4))
    owners = {n: f"Rep {i + 1:02d}" for i, n in enumerate(sorted(set(o["owner"]) | set(crm.people["name"])))}
    accounts = {
        a: f"Account {i + 1:04d}" for i, a in enumerate(sorted(set(o["account"]) | set(crm.arr["account"])))
    }
    disc = [
        f"{round(100 * d):g}%" if not (np.isnan(d) or u[i, 0] < noise.missing_discount) else ""
        for i, d in enumerate(o["discount"])
    ]
    fit = ["" if (np.isnan(f) or u[i, 1] < noise.missing_fit) else f"{f:.3f}" for i, f in enumerate(o["fit"])]
    source = ["" if u[i, 2] < noise.missing_source else SOURCE_LABEL[s] for i, s in enumerate(o["source"])]
    created = _date(o["created"])
    created = ["" if u[i, 3] < noise.missing_created else c for i, c in enumerate(created)]
    opps = pd.DataFrame(
        {
            "Opportunity ID": [f"OPP-{i + 1:05d}" for i in range(len(o))],
            "Opportunity Owner": o["owner"].map(owners),
            "Account Name": o["account"].map(accounts),
            "Segment": o["segment"].map(SEGMENT_LABEL),
            "Type": o["type"].map(TYPE_LABEL),
            "Stage": np.where(o["won"], "Closed Won", "Closed Lost"),
            "Amount (USD)": _round(o["amount"], noise.round_usd).map(lambda v: f"{v:.0f}"),
            "Discount": disc,
            "Created Date": created,
            "Close Date": _date(o["closed"]),
            "Lead Source": source,
            "Fit Score": fit,
            "Term (months)": o["term_months"].map(lambda v: "" if np.isnan(v) else f"{v:.0f}"),
        }
    )
    a = crm.arr.sort_values(["account", "month"], kind="stable")
    arr = pd.DataFrame(
        {
            "Account Name": a["account"].map(accounts),
            "Segment": a["segment"].map(SEGMENT_LABEL),
            "Month": [str(np.datetime64(m, "M")) for m in a["month"]],
            "ARR (USD)": _round(a["arr"], noise.round_usd).map(lambda v: f"{v:.0f}"),
        }
    )
    arr = arr[arr["ARR (USD)"] != "0"]
    p = crm.people
    people = pd.DataFrame(
        {
            "Name": p["name"].map(owners),
            "Role": ROLE_SYNONYMS[AE][0].replace("_", " ").title(),  # as an HR export types it
            "Hire Date": _date(p["hire"]),
            "Leave Date": _date(p["leave"]),
            "Annual Quota": p["quota"].map(lambda v: "" if np.isnan(v) else f"{v:.0f}"),
        }
    )
    return {"opportunities.csv": opps, "accounts.csv": arr, "people.csv": people}


def write_exports(
    truth: Scenario,
    folder: str | Path,
    *,
    replication: int = 0,
    noise: Noise | None = None,
    plan: str | None = None,
) -> dict[str, Path]:
    """Simulate ``truth`` and write its exports and ``truth.yaml`` into ``folder`` (atomically)."""
    from sim.files import atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    crm = simulate_history(truth, plan, replication)
    frames = export_frames(crm, noise or Noise(), truth.experiment.seed, replication)
    out: dict[str, Path] = {}
    for name, frame in frames.items():
        atomic_write_text(folder / name, frame.to_csv(index=False, lineterminator="\n"))
        out[name] = folder / name
    header = (
        f"# The truth behind the synthetic exports in this folder (replication {replication} of this "
        "scenario, its measured window).\n"
    )
    text = header + yaml.safe_dump(truth.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    atomic_write_text(folder / "truth.yaml", text)
    out["truth.yaml"] = folder / "truth.yaml"
    return out
