"""Assemble a company's history from its exports: segments filled in, the window chosen, and the
checks that make a calibration possible (lost deals present, enough deals per segment, a window
of whole fiscal quarters covered by both the opportunities and the ARR history)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate.crm import PEOPLE_COLUMNS, SEGMENTS, Crm, add_months, empty_frame, fiscal_quarter_start
from sim.calibrate.inputs import read_accounts, read_opportunities, read_people
from sim.problems import Problem, ScenarioError
from sim.scenario.schema import Scenario

MIN_DEALS = 30
"""Closed new-business opportunities a segment needs in the window (``--min-deals``)."""
MIN_QUARTERS = 2
"""Fiscal quarters the window must cover."""


def segment_bands(scenario: Scenario) -> tuple[list[str], np.ndarray]:
    """Segments in order of list ACV and the ACV thresholds between them (geometric midpoints of
    the scenario's mean list ACVs): how a row without a segment is placed."""
    seg = scenario.company.segments
    means = sorted((getattr(seg, s).list_acv_mean_usd, s) for s in SEGMENTS)
    names = [s for _, s in means]
    cuts = np.array([math.sqrt(a * b) for (a, _), (b, _) in itertools.pairwise(means)])
    return names, cuts


def _by_band(amount: np.ndarray, bands: tuple[list[str], np.ndarray]) -> np.ndarray:
    names, cuts = bands
    return np.asarray(names, dtype=object)[np.searchsorted(cuts, amount)]


def fill_segments(opps: pd.DataFrame, arr: pd.DataFrame, bands: tuple[list[str], np.ndarray]) -> None:
    """Give every opportunity and account a segment: its own, else its account's (or its
    account's new deal's), else the segment whose ACV band holds its amount (ARR)."""
    named = arr.loc[arr["segment"] != "", ["account", "segment"]].drop_duplicates("account")
    of_account = dict(zip(named["account"], named["segment"], strict=True))
    new = opps[(opps["type"] == "new") & (opps["segment"] != "")]
    for a, s in zip(new["account"], new["segment"], strict=True):
        of_account.setdefault(a, s)
    blank = opps["segment"] == ""
    if blank.any():
        from_account = opps.loc[blank, "account"].map(of_account).fillna("")
        list_amount = (opps["amount"] / (1.0 - opps["discount"].fillna(0.0))).fillna(0.0)
        banded = _by_band(list_amount[blank].to_numpy(), bands)
        opps.loc[blank, "segment"] = np.where(from_account != "", from_account, banded)
    blank = arr["segment"] == ""
    if blank.any():
        from_opps = arr.loc[blank, "account"].map(of_account).fillna("")
        peak = arr.groupby("account")["arr"].transform("max")
        arr.loc[blank, "segment"] = np.where(
            from_opps != "", from_opps, _by_band(peak[blank].to_numpy(), bands)
        )


def choose_window(
    opps: pd.DataFrame, arr: pd.DataFrame, fiscal_start: int
) -> tuple[np.datetime64, np.datetime64]:
    """Whole fiscal quarters covered by both the closed opportunities and the ARR history (each
    export is taken to run from the start of its first month to the end of its last month)."""
    first_close = np.datetime64(opps["closed"].min(), "M").astype("datetime64[D]")
    lo = max(first_close, np.datetime64(arr["month"].min(), "D"))
    last_close = add_months(np.datetime64(opps["closed"].max(), "M").astype("datetime64[D]"), 1)
    hi = min(last_close, add_months(np.datetime64(arr["month"].max(), "D"), 1))
    start = fiscal_quarter_start(np.array([lo]), fiscal_start)[0]
    if start < lo:
        start = add_months(start, 3)
    end = fiscal_quarter_start(np.array([hi]), fiscal_start)[0]
    return start, end


def load_history(
    opportunities: str | Path,
    accounts: str | Path,
    scenario: Scenario,
    people: str | Path | None = None,
    *,
    mapping: Mapping[str, str] | None = None,
    min_deals: int = MIN_DEALS,
) -> Crm:
    """Read and check the exports; every problem is one line (a :class:`ScenarioError`)."""
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name, path, reader in (
        ("opportunities", opportunities, read_opportunities),
        ("accounts", accounts, read_accounts),
        ("people", people, read_people),
    ):
        if path is None:
            continue
        try:
            frames[name] = reader(path, mapping)
        except ScenarioError as exc:  # every file's problems, not only the first file's
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    opps, arr = frames["opportunities"], frames["accounts"]
    ppl = frames.get("people", empty_frame(PEOPLE_COLUMNS))
    fill_segments(opps, arr, segment_bands(scenario))
    fiscal = scenario.company.fiscal_year_start_month
    start, end = choose_window(opps, arr, fiscal)
    file = str(opportunities)
    quarters = int((end.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(int)) // 3
    if quarters < MIN_QUARTERS:
        raise ScenarioError(
            [
                Problem(
                    file,
                    "close_date",
                    f"expected at least {MIN_QUARTERS} whole fiscal quarters covered by both the "
                    f"opportunities and the ARR history ({accounts}), found {max(quarters, 0)} (from {start} "
                    f"to {end})",
                )
            ]
        )
    crm = Crm(opps, arr, ppl, fiscal, start, end)
    closed = crm.new_business()
    won, lost = int(closed["won"].sum()), int((~closed["won"]).sum())
    if lost == 0 or won == 0:
        side, other = ("lost", "won") if lost == 0 else ("won", "lost")
        problems.append(
            Problem(
                file,
                "outcome",
                f"expected won and lost new-business opportunities (win rates need both), found "
                f"{max(won, lost)} {other} and 0 {side} closed from {start} to {end}; export closed-{side} "
                "opportunities too",
            )
        )
    counts = closed.groupby("segment").size()
    for seg in SEGMENTS:
        n = int(counts.get(seg, 0))
        if 0 < n < min_deals:
            problems.append(
                Problem(
                    file,
                    f"segment {seg}",
                    f"expected at least {min_deals} closed new-business opportunities per segment (for its "
                    f"win rate, deal sizes and sales cycle), found {n} from {start} to {end}; relabel or "
                    "drop this segment's rows, or lower --min-deals",
                )
            )
    if problems:
        raise ScenarioError(problems)
    left = len(opps) - len(opps[(opps["closed"] >= start) & (opps["closed"] < end)])
    crm.notes.append(
        f"window {start} to {end} ({crm.months} months, whole fiscal quarters covered by every export); "
        f"{left} opportunities closed outside it are used only where noted"
    )
    return crm
