"""Verdicts claim nothing their intervals do not support: one test per rule of
``sim.experiment.claims`` (the rules' numbering), on the claims and on the sentences."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sim.experiment.claims import VERDICT_METRICS, Claim, claim, classify, quotes_cost_per_outcome
from sim.experiment.decision import HIGHER_IS_BETTER
from sim.report.verdicts import NOUNS, sentence, verdicts

finite = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False)


@st.composite
def interval(draw: st.DrawFn, significant: bool | None = None) -> tuple[float, float, float]:
    """(diff, low, high) with low <= diff <= high; ``significant`` forces whether 0 is outside."""
    # + 0.0 turns -0.0 into 0.0: sorted() keeps (0.0, -0.0), an empty range for st.floats
    a, b = sorted((draw(finite) + 0.0, draw(finite) + 0.0))
    if significant is True and a <= 0.0 <= b:
        a, b = (
            (abs(b) + 1.0, abs(b) + 2.0 + abs(a))
            if draw(st.booleans())
            else (-abs(a) - 2.0 - b, -abs(a) - 1.0)
        )
    if significant is False and not (a <= 0.0 <= b):
        a, b = -abs(a) - 1.0, abs(b) + 1.0
    d = draw(st.floats(min_value=a, max_value=b, allow_nan=False))
    return d, a, b


def _words(c: Claim) -> tuple[str, str]:
    gain, loss, _ = NOUNS[c.metric]
    return gain, loss


@given(st.sampled_from(VERDICT_METRICS), interval(significant=True))
def test_rule_1_a_gain_or_loss_only_when_the_interval_excludes_zero(metric: str, iv: tuple) -> None:
    d, lo, hi = iv
    c = claim(metric, d, lo, hi)
    up = HIGHER_IS_BETTER[metric]
    assert c.direction == ("better" if (lo > 0) == up else "worse")
    text = sentence("p", "base", [c], 8)
    gain, loss = _words(c)
    assert (gain in text) == (c.direction == "better")
    assert (loss in text) == (c.direction == "worse")


@given(st.sampled_from(VERDICT_METRICS), interval(significant=False), st.sampled_from(VERDICT_METRICS),
       interval(significant=True))  # fmt: skip
def test_rule_2_an_interval_including_zero_is_never_a_gain_or_a_loss(
    metric: str, iv: tuple, other: str, other_iv: tuple
) -> None:
    d, lo, hi = iv
    c = claim(metric, d, lo, hi)
    assert c.direction == "none"
    claims = [c] if other == metric else [c, claim(other, *other_iv)]
    text = sentence("p", "base", claims, 8)
    gain, loss = _words(c)
    assert gain not in text and loss not in text
    # and an undefined interval is no claim either
    assert claim(metric, d, float("nan"), hi).direction == "none"


@given(st.lists(st.tuples(st.sampled_from(VERDICT_METRICS), interval()), min_size=1, max_size=4))
def test_rule_3_the_plans_class_follows_its_claims(items: list) -> None:
    claims = [claim(m, *iv) for m, iv in {m: iv for m, iv in items}.items()]
    better = any(c.direction == "better" for c in claims)
    worse = any(c.direction == "worse" for c in claims)
    kind = classify(claims)
    assert (
        kind
        == {
            (True, True): "trade-off",
            (True, False): "dominates",
            (False, True): "dominated",
            (False, False): "no detectable difference",
        }[(better, worse)]
    )
    text = sentence("p", "base", claims, 5)
    if kind == "no detectable difference":
        assert "No difference from base is detectable at 5 replications" in text
        assert not any(w in text for c in claims for w in _words(c))


@given(interval(), interval(), st.booleans())
def test_rule_4_a_cost_per_nrr_point_only_for_a_supported_trade_off(
    nrr: tuple, pay: tuple, defined: bool
) -> None:
    claims = [claim("nrr", *nrr), claim("payout_cost", *pay)]
    per_point = {"estimate": 1.2e6, "ci_low": 0.8e6, "ci_high": 1.6e6, "defined": defined, "method": "m"}
    text = sentence("p", "base", claims, 8, per_point)
    allowed = (
        defined
        and classify(claims) == "trade-off"
        and claims[0].direction == "better"
        and claims[1].direction == "worse"
    )
    assert quotes_cost_per_outcome(claims, "payout_cost", "nrr", defined) == allowed
    assert ("Each NRR point costs" in text) == allowed


def test_the_example_sentence_of_the_issue() -> None:
    comparison = pd.DataFrame(
        [
            {"plan": "rr", "metric": "nrr", "diff": 0.017, "ci_low": 0.009, "ci_high": 0.025},
            {"plan": "rr", "metric": "payout_cost", "diff": -2.4e6, "ci_low": -2.9e6, "ci_high": -1.9e6},
            {"plan": "rr", "metric": "new_arr", "diff": -6.9e6, "ci_low": -9.8e6, "ci_high": -4.0e6},
            {"plan": "rr", "metric": "ending_arr", "diff": 1e5, "ci_low": -2e6, "ci_high": 2.2e6},
        ]
    )
    (v,) = verdicts(comparison, pd.DataFrame(), ["conv", "rr"], "conv", {"rr": 12})
    assert v.plan_class == "trade-off"
    assert v.text == (
        "rr vs conv: better retention (NRR +1.7 pp, CI +0.90 pp to +2.5 pp) and $2.40M lower payout a "
        "year (CI $1.90M to $2.90M), but $6.90M less new ARR a year (CI $4.00M to $9.80M); no detectable "
        "difference in ending ARR. A trade-off."
    )
