"""The ledger's row copies (whole rows as bytes) give exactly what numpy's structured copies give."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import DEFAULT_ROW, EVENT_DTYPE, Ledger, blank_rows, concat_rows, events_of, take_rows


def _random_rows(seed: int, n: int) -> np.ndarray:
    """Rows whose every field holds a random value of its type (a NaN among the floats)."""
    rng = np.random.default_rng(seed)
    out = np.empty(n, dtype=EVENT_DTYPE)
    for name in EVENT_DTYPE.names or ():
        kind = EVENT_DTYPE[name].kind
        if kind == "f":
            col = rng.normal(size=n) * 1e6
            if n:
                col[rng.integers(n)] = np.nan
            out[name] = col
        elif kind == "b":
            out[name] = rng.random(n) < 0.5
        else:
            info = np.iinfo(EVENT_DTYPE[name])
            out[name] = rng.integers(info.min, info.max, size=n, endpoint=True)
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Same dtype, length and bytes (NaNs compare equal, unlike ``==``)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300))
def test_take_rows_is_indexing(seed: int, n: int) -> None:
    rows = _random_rows(seed, n)
    rng = np.random.default_rng(seed + 1)
    mask = rng.random(n) < 0.4
    order = rng.permutation(n)
    assert _same(take_rows(rows, mask), rows[mask])
    assert _same(take_rows(rows, order), rows[order])
    assert _same(take_rows(rows[::2], mask[::2]), rows[::2][mask[::2]])  # a strided view too
    got = take_rows(rows, mask)
    if len(got):
        got["amount"] = 12345.0  # a copy: the rows it came from are untouched
        assert not np.any(rows["amount"] == 12345.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(0, 50), max_size=5))
def test_concat_rows_is_concatenate(seed: int, sizes: list[int]) -> None:
    parts = [_random_rows(seed + i, n) for i, n in enumerate(sizes)] or [_random_rows(seed, 0)]
    assert _same(concat_rows(parts), np.concatenate(parts))


@given(st.integers(0, 9000), st.integers(0, 40), st.floats(0, 2000))
def test_blank_rows_are_default_rows(n: int, kind: int, day: float) -> None:
    expected = np.array([DEFAULT_ROW] * n, dtype=EVENT_DTYPE)
    expected["kind"], expected["day"] = kind, day
    got = blank_rows(kind, day, n)
    assert _same(got, expected)
    if n:
        got["amount"] = 7.0  # the template behind it is not changed
        assert blank_rows(kind, day, n)["amount"][0] == DEFAULT_ROW[2]


def test_a_ledger_keeps_appended_rows_through_growth_and_compaction() -> None:
    class Reader:
        cursor = 0

        def sync(self) -> None:
            pass

    led = Ledger(keep=False, capacity=16)
    reader = Reader()
    led.follow(reader)
    blocks = [_random_rows(s, n) for s, n in enumerate([5, 40, 1, 100, 0, 33])]
    for b in blocks:
        led.append_rows(b)
    every = np.concatenate(blocks)
    assert _same(led.rows, every)
    reader.cursor = 60  # read the first 60: compacting drops them
    led.compact()
    assert _same(led.rows_since(60), every[60:])
    led.extend(3, 9.0, 4, amount=np.arange(4.0))
    tail = led.rows_since(60 + len(every) - 60)
    expected = blank_rows(3, 9.0, 4)
    expected["amount"] = np.arange(4.0)
    assert _same(tail, expected)
    assert [e.kind for e in events_of(tail)] == [events_of(expected)[0].kind] * 4


def test_a_reader_with_a_batch_reads_once_enough_rows_wait_and_keeps_them_till_then() -> None:
    class Reader:
        def __init__(self, led: Ledger) -> None:
            self.led, self.cursor, self.reads = led, 0, []

        def sync(self) -> None:
            self.reads.append(self.led.end - self.cursor)
            self.cursor = self.led.end

    led = Ledger(keep=False, capacity=16)
    every, batched = Reader(led), Reader(led)
    led.follow(every)
    led.follow(batched, batch_rows=50)
    rows = _random_rows(1, 120)
    for lo in range(0, 120, 20):  # a month's 20 rows, then the month start's sync and compaction
        led.append_rows(rows[lo : lo + 20])
        led.sync_readers()
        led.compact()
        assert _same(led.rows_since(batched.cursor), rows[batched.cursor : lo + 20])
    assert every.reads == [20] * 6
    assert batched.reads == [60, 60]
    led.sync_readers()
    assert every.reads == [20] * 6 + [0]  # without a batch a reader is asked every time, as before
