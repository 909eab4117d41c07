"""Sets of ledger codes: one table lookup answers what np.isin answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.code_sets import AE_CREDITED, ARR_MOVEMENTS, CodeSet
from sim.ledger import CREDITED_CODE, KIND_CODE
from sim.vocabulary import CREDITED, EVENT_KINDS


@given(
    codes=st.lists(st.integers(-128, 127), max_size=12),
    values=st.lists(st.integers(-128, 127), max_size=200),
)
def test_a_code_set_is_isin_for_signed_bytes(codes: list[int], values: list[int]) -> None:
    v = np.array(values, dtype=np.int8)
    assert np.array_equal(CodeSet(codes)(v), np.isin(v, np.array(codes, dtype=np.int64)))


@given(codes=st.lists(st.integers(0, 255), max_size=12), values=st.lists(st.integers(0, 255), max_size=200))
def test_a_code_set_is_isin_for_unsigned_bytes(codes: list[int], values: list[int]) -> None:
    v = np.array(values, dtype=np.uint8)
    assert np.array_equal(CodeSet(codes)(v), np.isin(v, np.array(codes, dtype=np.int64)))


def test_a_code_set_reads_a_strided_ledger_field() -> None:
    rows = np.zeros(5, dtype=[("day", "f8"), ("kind", "i1")])
    rows["kind"] = [0, 3, -1, 7, 3]
    assert CodeSet([3, -1])(rows["kind"]).tolist() == [False, True, True, False, True]


def test_a_code_set_refuses_wider_integers_and_codes_outside_a_byte() -> None:
    with pytest.raises(TypeError, match="one-byte"):
        CodeSet([1])(np.array([1, 2], dtype=np.int64))
    with pytest.raises(ValueError, match="one byte"):
        CodeSet([300])


def test_the_shared_sets_hold_their_codes() -> None:
    assert ARR_MOVEMENTS.codes == tuple(sorted(KIND_CODE[k] for k in EVENT_KINDS if k.startswith("arr_")))
    assert AE_CREDITED.codes == tuple(sorted(CREDITED_CODE[c] for c in CREDITED if "ae" in c))


@given(
    ae=st.lists(st.integers(-1, 3), min_size=1, max_size=50),
    data=st.data(),
)
def test_credits_an_ae_names_an_ae_on_a_new_logo_or_an_ae_crediting(
    ae: list[int], data: st.DataObject
) -> None:
    from sim.code_sets import credits_an_ae
    from sim.ledger import DEAL_KIND_CODE, EVENT_DTYPE
    from sim.vocabulary import DEAL_KINDS

    n = len(ae)
    rows = np.zeros(n, dtype=EVENT_DTYPE)
    rows["ae"] = ae
    rows["deal_kind"] = data.draw(st.lists(st.integers(0, len(DEAL_KINDS) - 1), min_size=n, max_size=n))
    rows["credited"] = data.draw(st.lists(st.integers(0, len(CREDITED) - 1), min_size=n, max_size=n))
    want = [
        a >= 0 and (DEAL_KINDS[d] == "new" or "ae" in CREDITED[c])
        for a, d, c in zip(ae, rows["deal_kind"].tolist(), rows["credited"].tolist(), strict=True)
    ]
    assert credits_an_ae(rows).tolist() == want
    assert DEAL_KIND_CODE["new"] == DEAL_KINDS.index("new")
