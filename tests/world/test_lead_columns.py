"""Leads as columns: the win log-odds and option tables computed in bulk are the per-lead numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from world_fixtures import tiny

from sim.policy.neutral import NeutralPolicy
from sim.replication import build_world
from sim.world.deal_terms import FIT_GRID
from sim.world.lead import N_UNIFORMS, Lead, LeadColumns

_WORLD = build_world(tiny(), "base", 0, NeutralPolicy())
_DT = _WORLD.deal_terms


def _leads(draw: st.DrawFn) -> list[Lead]:
    n = draw(st.integers(1, 12))
    out = []
    for _ in range(n):
        fit = draw(st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 0.5 / FIT_GRID, 2.5 / FIT_GRID])))
        out.append(Lead(draw(st.integers(0, 2)), draw(st.integers(0, 3)), fit, draw(st.floats(1e3, 1e6)),
                        1.0, 1.0, 0.0, [0.5] * N_UNIFORMS))  # fmt: skip
    return out


leads_st = st.composite(_leads)()


@settings(max_examples=60, deadline=None)
@given(leads_st)
def test_bulk_logits_are_the_per_lead_logits(leads: list[Lead]) -> None:
    got = _DT.lead_logits(LeadColumns.of(leads)).tolist()
    assert got == [_DT.lead_logit(x.segment, x.fit, x.source) for x in leads]  # bit for bit


@settings(max_examples=30, deadline=None)
@given(leads_st)
def test_a_leads_table_does_not_depend_on_the_others_in_its_batch(leads: list[Lead]) -> None:
    persons = np.zeros(len(leads), dtype=np.int64)
    together = _DT.lead_tables(LeadColumns.of(leads), persons, 3.0).data
    for i, lead in enumerate(leads):
        alone = _DT.lead_tables(LeadColumns.of([lead]), persons[:1], 3.0).data[0]
        assert together[i].tobytes() == alone.tobytes()


def test_columns_and_attributes_follow_the_leads() -> None:
    leads = [Lead(2, 3, 0.25, 5e4, 1.0, 1.0, 0.0, [0.5] * N_UNIFORMS),
             Lead(0, 1, 0.75, 1e4, 1.0, 1.0, 0.0, [0.5] * N_UNIFORMS)]  # fmt: skip
    cols = LeadColumns.of(leads)
    assert len(cols) == 2
    assert cols.segment.tolist() == [2, 0] and cols.source.tolist() == [3, 1]
    attrs = cols.attrs()
    assert attrs["segment"].tolist() == [2.0, 0.0] and attrs["fit"].tolist() == [0.25, 0.75]
    assert attrs["list_acv"].tolist() == [5e4, 1e4] and attrs["source"].tolist() == [3.0, 1.0]
    assert [round(x.fit * FIT_GRID) for x in leads] == np.rint(cols.fit * FIT_GRID).astype(int).tolist()


@given(st.lists(st.one_of(st.floats(0, 1), st.integers(0, 2 * FIT_GRID).map(lambda k: k / (2 * FIT_GRID)))))
def test_the_fit_grid_point_is_pythons_round(fits: list[float]) -> None:
    """The table's fit grid point in bulk (``np.rint``) is ``round(fit * FIT_GRID)``, halves included."""
    got = np.rint(np.array(fits, dtype=np.float64) * FIT_GRID).astype(np.int64).tolist()
    assert got == [round(f * FIT_GRID) for f in fits]
