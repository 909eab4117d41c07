"""The choice rule and the incentive policy: choices follow the decider's own pay, nothing else."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import Event, Ledger
from sim.policy.choice import choice_probabilities, choose_index
from sim.policy.decisions import Decision, MeasureOutcome, Option
from sim.policy.incentive import IncentivePolicy, make_policy
from sim.policy.protocol import Policy
from sim.scenario import Scenario
from sim.scenario.behaviour import Behaviour
from sim.scenario.plans import PlanDesign
from sim.time.calendar import Calendar

CAL = Calendar(1, 36)
QUOTA = {"measure": "bookings_acv", "annual_amount": 1_000_000, "period": "quarter"}


def plan(
    ae_rates: list[tuple[float, float]],
    *,
    csm_rate: float = 0.0,
    ae_extra: list[Any] | None = None,
    name: str = "p",
) -> PlanDesign:
    rates = [{"from_attainment": a, "rate": r} for a, r in ae_rates]
    comps: list[Any] = [{"name": "commission", "measure": "bookings_acv", "rates": rates}, *(ae_extra or [])]
    return PlanDesign.model_validate(
        {
            "name": name,
            "ae": {
                "base_salary_annual_usd": 100_000,
                "target_variable_annual_usd": 100_000,
                "quota": QUOTA,
                "components": comps,
            },
            "csm": {
                "components": [
                    {
                        "name": "renewals",
                        "measure": "renewals_arr",
                        "rates": [{"from_attainment": 0.0, "rate": csm_rate}],
                    }
                ]
            },
        }
    )


CONVENTIONAL = plan([(0.0, 0.10), (1.0, 0.15)])
STEEP = plan([(0.0, 0.02), (0.5, 0.30)], name="steep")


def bound(p: PlanDesign, lam: float = 1.0, booked: float = 0.0, **kw: Any) -> IncentivePolicy:
    pol = IncentivePolicy(Behaviour(rationality_per_kusd=lam, annual_time_preference=0.0, **kw), p)
    ledger = Ledger()
    pol.bind(ledger, CAL, {1: "ae"})
    ledger.record(Event(0.0, "hire", role="ae", person=1))
    if booked:
        ledger.record(Event(5.0, "booking", amount=booked, deal=1, customer=1, ae=1, deal_kind="new"))
    return pol


@st.composite
def decisions(draw: st.DrawFn) -> Decision:
    """A deal-terms-like decision: each option a booking of some ACV, discount and timing."""
    n = draw(st.integers(2, 4))
    opts = []
    for i in range(n):
        acv = draw(st.floats(1_000, 200_000))
        outs = (
            MeasureOutcome(
                "bookings_acv",
                acv,
                draw(st.floats(0.05, 1.0)),
                draw(st.floats(0, 200)),
                discount=draw(st.sampled_from([0.0, 0.1, 0.2, 0.3])),
                churn_probability=draw(st.floats(0, 0.5)),
            ),
        )
        opts.append(Option(f"o{i}", outs, draw(st.floats(0, 2)), float(i)))
    return Decision("deal_terms", draw(st.floats(6, 80)), "ae", 1, tuple(opts), draw(st.integers(0, n - 1)))


@settings(max_examples=60)
@given(decisions(), st.floats(0, 1, exclude_max=True))
def test_policy_answers_every_decision_with_one_of_its_options(d: Decision, u: float) -> None:
    """The protocol's contract, not only its method names: a bound policy returns the index of
    an option of the decision, the same one for the same draw."""
    policy: Policy = bound(CONVENTIONAL)
    k = policy.choose(d, u)
    assert isinstance(k, int) and 0 <= k < len(d.options)
    assert policy.choose(d, u) == k


@settings(max_examples=80)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=5), st.data(), st.floats(0, 5))
def test_probabilities_are_a_distribution(utils: list[float], data: st.DataObject, lam: float) -> None:
    n = data.draw(st.integers(0, len(utils) - 1))
    p = choice_probabilities(utils, n, lam)
    assert sum(p) == pytest.approx(1.0)
    assert all(x >= 0 for x in p)
    if lam == 0 or max(utils) <= utils[n]:
        assert p[n] == 1.0


def test_choice_rule_by_hand() -> None:
    # U = [0, 1] ($k), neutral 0, λ = 1: ω = 1 - e^-1 = 0.632; logit s = [1, e] / (1 + e).
    p = choice_probabilities([0.0, 1.0], 0, 1.0)
    omega = 1 - math.exp(-1)
    s1 = math.e / (1 + math.e)
    assert p[1] == pytest.approx(omega * s1)
    assert p[0] == pytest.approx(1 - omega * s1)
    # Inverse CDF with the neutral option first.
    assert choose_index([0.0, 1.0], 0, 1.0, p[0] - 1e-9) == 0
    assert choose_index([0.0, 1.0], 0, 1.0, p[0] + 1e-9) == 1
    # Very rational: the best option.
    assert choose_index([0.0, 1.0, 0.5], 0, 50.0, 0.01) == 1


@settings(max_examples=50)
@given(decisions(), st.lists(st.floats(0, 1, exclude_max=True), min_size=5, max_size=5))
def test_lambda_zero_same_choices_for_two_plans(d: Decision, us: list[float]) -> None:
    a, b = bound(CONVENTIONAL, lam=0.0), bound(STEEP, lam=0.0)
    assert [a.choose(d, u) for u in us] == [b.choose(d, u) for u in us] == [d.neutral] * len(us)
    assert a.attrition_multiplier("ae", 1, 300.0) == b.attrition_multiplier("ae", 1, 300.0) == 1.0


def test_two_plans_do_differ_when_lambda_positive() -> None:
    """The test above could fail: with λ > 0 the same draws give different choices."""
    d = Decision(
        "deal_terms",
        10.0,
        "ae",
        1,
        (
            Option("deep discount", (MeasureOutcome("bookings_acv", 100_000, 0.9, 10),)),
            Option("list price", (MeasureOutcome("bookings_acv", 130_000, 0.6, 10),)),
        ),
        neutral=1,
    )
    us = [i / 50 for i in range(50)]
    a, b = bound(CONVENTIONAL, lam=2.0), bound(STEEP, lam=2.0)
    assert [a.choose(d, u) for u in us] != [b.choose(d, u) for u in us]


@settings(max_examples=50)
@given(decisions(), st.lists(st.floats(0, 1, exclude_max=True), min_size=5, max_size=5), st.floats(0.0, 0.5))
def test_other_roles_rates_leave_choices_identical(d: Decision, us: list[float], csm_rate: float) -> None:
    a = bound(plan([(0.0, 0.10), (1.0, 0.15)]), lam=1.0)
    b = bound(plan([(0.0, 0.10), (1.0, 0.15)], csm_rate=csm_rate), lam=1.0)
    assert [a.choose(d, u) for u in us] == [b.choose(d, u) for u in us]


@settings(max_examples=50)
@given(
    decisions(), st.lists(st.floats(0, 1, exclude_max=True), min_size=5, max_size=5), st.floats(1.0, 500.0)
)
def test_rate_on_a_measure_not_credited_changes_nothing(d: Decision, us: list[float], rate: float) -> None:
    """An AE rate on references (credited to CSMs) cannot move an AE's deal choices."""
    extra = [{"name": "refs", "measure": "references", "rates": [{"from_attainment": 0.0, "rate": rate}]}]
    a = bound(plan([(0.0, 0.10), (1.0, 0.15)]), lam=1.0)
    b = bound(plan([(0.0, 0.10), (1.0, 0.15)], ae_extra=extra), lam=1.0)
    assert [a.choose(d, u) for u in us] == [b.choose(d, u) for u in us]


def test_accelerator_shifts_choice_toward_the_bigger_deal() -> None:
    d = Decision(
        "deal_terms",
        10.0,
        "ae",
        1,
        (
            Option("small sure", (MeasureOutcome("bookings_acv", 50_000, 0.9, 10),)),
            Option("big risky", (MeasureOutcome("bookings_acv", 80_000, 0.6, 10),)),
        ),
        neutral=0,
    )
    # Expected pay below quota: 0.9 x 5,000 = 4,500 vs 0.6 x 8,000 = 4,800 (gain 0.3k);
    # above quota (15%): 6,750 vs 7,200 (gain 0.45k) -> the big deal is likelier above quota.
    below, above = bound(CONVENTIONAL, booked=50_000), bound(CONVENTIONAL, booked=300_000)
    pb = choice_probabilities(below.utilities(d), 0, 1.0)
    pa = choice_probabilities(above.utilities(d), 0, 1.0)
    assert pa[1] > pb[1] > 0


def test_risk_aversion_prefers_the_sure_option() -> None:
    d = Decision(
        "deal_terms",
        10.0,
        "ae",
        1,
        (
            Option("sure", (MeasureOutcome("bookings_acv", 50_000, 1.0, 10),)),
            Option("gamble", (MeasureOutcome("bookings_acv", 110_000, 0.5, 10),)),
        ),
        neutral=0,
    )
    neutral_risk = bound(CONVENTIONAL)
    averse = bound(CONVENTIONAL, risk_aversion_per_kusd=0.5)
    u_neutral = neutral_risk.utilities(d)
    assert u_neutral[1] > u_neutral[0]
    # Var = 0.25 x 11^2 = 30.25 $k^2; penalty 0.25 x 30.25 = 7.56k > 0.5k advantage.
    u_averse = averse.utilities(d)
    assert u_averse[1] < u_averse[0]


def test_attrition_multiplier_follows_realised_pay() -> None:
    pol = bound(CONVENTIONAL)
    # No variable pay in the first 200 days: shortfall = 100k x 200/365.25 / (200k x 200/365.25) = 0.5.
    assert pol.attrition_multiplier("ae", 1, 200.0) == pytest.approx(1.5)
    assert pol.attrition_multiplier("ae", 1, 30.0) == 1.0  # too early to tell
    assert pol.attrition_multiplier("csm", 1, 200.0) == 1.0
    rich = bound(CONVENTIONAL, booked=2_000_000)  # 10% x 250k + 15% x 1.75M = 287,500 in month 0
    assert rich.attrition_multiplier("ae", 1, 200.0) == pytest.approx(0.25)


def test_make_policy_from_scenario(scenario_from_text: Any) -> None:
    sc: Scenario = scenario_from_text("extends: seed-plans.yaml\nname: x\n")
    pol = make_policy(sc, "clawback")
    assert isinstance(pol, IncentivePolicy)
    assert pol.plan.name == "clawback"
    assert pol.measure_start_months == round(sc.company.warmup_years * 12)


@settings(max_examples=200, deadline=None)
@given(
    effort=st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=1, max_size=6),
    neutral=st.integers(0, 5),
    rationality=st.sampled_from([0.0, 0.05, 1.0, 7.5, 400.0]),
    risk=st.sampled_from([0.0, 0.5, 3.0]),
    us=st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=20),
)
def test_an_unpaid_decision_picks_what_the_compiled_choice_picks(
    effort: list[float], neutral: int, rationality: float, risk: float, us: list[float]
) -> None:
    """A decision whose options earn nothing is answered from its inverse-CDF steps, kept per table
    (``Valuer._unpaid_steps``): the same option as ``choose_option`` for every draw, rounding
    edges included (each step's cumulative probability is itself a draw)."""
    import numpy as np

    from sim.policy.choice import choose_option, inverse_cdf, pick

    neutral = neutral % len(effort)
    eff = np.array(effort)
    zeros = np.zeros(len(effort))
    rows = np.arange(len(effort), dtype=np.int64)
    mean_k = sd_k = zeros
    steps = inverse_cdf(mean_k - 0.5 * risk * sd_k * sd_k - eff, neutral, rationality)
    for u in [*us, *steps[0], *(np.nextafter(c, 0.0) for c in steps[0])]:
        want = int(choose_option(zeros, zeros, rows, eff, risk, neutral, rationality, float(u)))
        assert pick(steps, float(u)) == want
