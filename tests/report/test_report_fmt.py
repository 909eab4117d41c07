"""Number formatting of the report: $k/$M, percents, percentage points."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from sim.report import fmt


def parse_money(text: str) -> float:
    m = re.fullmatch(r"([+−]?)\$(\d+(?:\.\d+)?)([kMB]?)", text)
    assert m, text
    scale = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}[m.group(3)]
    return (-1.0 if m.group(1) == "−" else 1.0) * float(m.group(2)) * scale


@given(st.floats(min_value=-5e11, max_value=5e11, allow_nan=False))
def test_money_round_trips_within_display_precision(x: float) -> None:
    back = parse_money(fmt.money(x))
    assert abs(back - x) <= max(0.5, 0.005 * abs(x)) + 1e-9
    assert fmt.money(x, signed=True)[0] in "+−$"


@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_percent_and_points_round_trip(x: float) -> None:
    p = fmt.pct(x)
    assert p.endswith("%")
    assert abs(float(p[:-1].replace("−", "-")) / 100 - x) <= 0.0005 + 1e-12
    q = fmt.pp(x)
    assert q.endswith(" pp") and q[0] in "+−"
    assert abs(float(q[:-3].replace("−", "-")) / 100 - x) <= 0.0005 + 1e-12


def test_examples() -> None:
    assert fmt.money(1_234_567) == "$1.23M"
    assert fmt.money(-456_000) == "−$456k"
    assert fmt.money(4_500, signed=True) == "+$4.50k"
    assert fmt.money(45_600) == "$45.6k"
    assert fmt.money(999.7) == "$1.00k"
    assert fmt.money(math.nan) == "–"
    assert fmt.pct(0.931) == "93.1%"
    assert fmt.pp(-0.0123) == "−1.2 pp"
    assert fmt.pp(0.0004) == "+0.04 pp"
    assert fmt.value("nrr", 1.05) == "105.0%"
    assert fmt.value("new_arr", 2.5e6) == "$2.50M"
    assert fmt.diff("grr_smb", 0.01) == "+1.0 pp"
    assert fmt.diff("payout_cost_ae", -2e4) == "−$20.0k"
    assert fmt.interval("cost_of_sales", 0.1, 0.12) == "[10.0%, 12.0%]"
