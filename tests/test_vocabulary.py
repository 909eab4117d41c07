"""The vocabulary is the one place names live: every metric a replication reports is in it, the
precision targets are always reported, and docs/metrics.md's tables are current."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sim.policy import NeutralPolicy
from sim.replication import simulate
from sim.vocabulary import ROLE_FIELD, ROLE_LABELS, ROLE_SYNONYMS, ROLES
from sim.vocabulary.docs import REGENERATE, rewrite
from sim.vocabulary.metrics import (
    HIGHER_IS_BETTER,
    KEY_METRICS,
    METRICS,
    TARGETS,
    info,
    is_money,
    is_ratio,
    label,
)

sys.path.insert(0, str(Path(__file__).resolve().parent / "world"))
from world_fixtures import tiny

DOC = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"


def test_metrics_page_tables_are_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert rewrite(text) == text, f"docs/metrics.md is stale; run: {REGENERATE}"


@pytest.fixture(scope="module")
def reported() -> set[str]:
    """Every metric name replications report with SDRs, a finite market and billing on."""
    sc = tiny(
        company__sdrs={"headcount": 2},
        company__billing={"enabled": True},
        company__segments__smb__addressable_organisations=400,
    )
    names: set[str] = set()
    for plan in sc.plans:
        names |= set(simulate(sc, plan.name, 0, NeutralPolicy()).metrics)
    return names


def test_every_reported_metric_is_in_the_vocabulary(reported: set[str]) -> None:
    assert len(reported) > 100
    assert sorted(n for n in reported if info(n) is None) == []


def test_targets_are_always_reported(reported: set[str]) -> None:
    plain = set(simulate(tiny(), "base", 0, NeutralPolicy()).metrics)
    assert set(TARGETS) <= plain and set(TARGETS) <= reported
    assert set(KEY_METRICS) <= set(TARGETS)
    # a target may be the decision's objective: each has a better direction (minimised or maximised)
    assert [t for t in TARGETS if t not in HIGHER_IS_BETTER] == []


def test_families_expand_and_read() -> None:
    assert info("grr_mid_market") is info("grr_smb") and info("grr_smb") is not None
    assert info("collection_ratio_year7") is not None and info("grr_yearX") is None
    assert label("payout_cost_ae") == "Payout AE / yr" and label("grr_mid_market") == "GRR mid-market"
    assert label("not_a_metric_name") == "not a metric name"
    assert is_ratio("nrr_enterprise") and not is_money("nrr_enterprise")
    assert is_money("payout_cost_sdr") and not is_ratio("ending_arr")
    assert len({m.name for m in METRICS}) == len(METRICS)  # each written once


def test_roles_are_one_table() -> None:
    assert set(ROLE_LABELS) == set(ROLES)
    assert set(ROLE_FIELD) <= set(ROLES) and "product" not in ROLE_FIELD


def test_role_synonyms_name_roles_and_no_synonym_names_two() -> None:
    assert set(ROLE_SYNONYMS) <= set(ROLES)
    said = [w for role in ROLES for w in (role, *ROLE_SYNONYMS.get(role, ()))]
    assert len(said) == len(set(said))


def test_payout_share_of_bookings_is_payout_over_bookings() -> None:
    m = simulate(tiny(), "base", 1, NeutralPolicy()).metrics
    assert m["bookings"] > 0
    assert m["payout_share_of_bookings"] == pytest.approx(m["payout_cost"] / m["bookings"], rel=1e-12)


def test_metrics_file_reads_the_same_with_either_yaml_loader() -> None:
    import yaml

    import sim.vocabulary.metrics as vm

    text = (Path(vm.__file__).parent / "metrics.yaml").read_text(encoding="utf-8")
    assert yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) == yaml.safe_load(text)
