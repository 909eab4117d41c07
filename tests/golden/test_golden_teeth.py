"""The golden check has teeth: a changed world fails it, an unchanged one on new draws passes.

Both runs use replication indices the snapshot does not hold (fresh draws, as after an
engine rewrite that changes every draw), so the paired test gains nothing from shared draws
and the verdict rests on the unpaired tests.
"""

from __future__ import annotations

from typing import Any

import golden
import pytest

SCENARIO = "base-company"


@pytest.fixture(scope="module")
def snapshot() -> golden.Snapshot:
    return golden.Snapshot.read(golden.snapshot_path(SCENARIO))


def fresh(snap: golden.Snapshot) -> list[int]:
    """As many replications as the snapshot, none of its indices."""
    n = len(snap.config.replications)
    start = max(snap.config.replications) + 1
    return list(range(start, start + n))


def more_leads(snap: golden.Snapshot, factor: float) -> dict[str, Any]:
    over = snap.config.overrides
    return {
        f"company.segments.{s}.leads_per_month": round(
            over[f"company.segments.{s}.leads_per_month"] * factor, 6
        )
        for s in ("smb", "mid_market", "enterprise")
    }


def test_same_world_new_draws_passes(snapshot: golden.Snapshot) -> None:
    new = golden.run(snapshot.config, replications=fresh(snapshot))
    report = golden.compare(snapshot, new)
    assert not report.identical
    assert report.ok, report.render()


def test_twenty_percent_more_leads_fails_without_shared_draws(snapshot: golden.Snapshot) -> None:
    new = golden.run(snapshot.config, extra=more_leads(snapshot, 1.2), replications=fresh(snapshot))
    for paired in (True, False):
        report = golden.compare(snapshot, new, paired=paired)
        assert not report.ok, report.render(everything=True)
        moved = {r.metric for r in report.moved}
        assert "opportunities" in moved, report.render()
        assert all("welch" in r.rejected or "spread" in r.rejected for r in report.moved if not paired)


@pytest.mark.slow
def test_higher_smb_churn_fails_on_shared_draws(snapshot: golden.Snapshot) -> None:
    """SMB churn 16% -> 20% a year on the snapshot's own replications: the draws are mostly
    shared, and the paired test sees what the unpaired tests at this n may not."""
    new = golden.run(snapshot.config, extra={"company.segments.smb.annual_churn": 0.20})
    report = golden.compare(snapshot, new)
    assert not report.identical
    assert not report.ok, report.render(everything=True)
    assert {"logo_churn", "logo_churn_smb"} & {r.metric for r in report.moved}, report.render()
