"""Stage 1's uncertainty in stage 2's errors (Murphy & Topel 1985) and the effective number of
events behind a ratio of flows (GRR, NRR)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.calibrate.errors import sandwich
from sim.calibrate.estimates import BRIDGED, DIRECT, Estimate
from sim.calibrate.moments import effective_events
from sim.calibrate.two_step import Z95, held_fields, stage_one_covariance


def test_held_fields_are_identified_direct_ones_with_a_share_moved_with_its_complement() -> None:
    method = "outbound share"
    ests = [
        Estimate("company.lead_sources.outbound", 0.6, 0.5, 0.7, DIRECT, method, 100),
        Estimate("company.lead_sources.marketing", 0.4, 0.3, 0.5, DIRECT, method, 100),
        Estimate("company.deals.cycle_shape", 3.0, 2.0, 4.0, DIRECT, "gamma", 50),
        Estimate("company.deals.referral_win_odds", 2.0, 0.5, 9.0, DIRECT, "logit", 50, identified=False),
        Estimate("company.segments.smb.mean_fit", 0.6, 0.5, 0.7, BRIDGED, "beta", 50),
    ]
    held = held_fields(ests)
    assert [h.path for h in held] == ["company.lead_sources.outbound", "company.deals.cycle_shape"]
    share, shape = held
    assert share.complement == "company.lead_sources.marketing"
    assert share.se == pytest.approx(0.2 / (2 * Z95))
    moved = share.moved()
    assert moved["company.lead_sources.outbound"] == pytest.approx(0.6 + share.se, abs=1e-5)
    assert sum(moved.values()) == pytest.approx(1.0, abs=1e-5)
    assert shape.moved() == {"company.deals.cycle_shape": pytest.approx(3.0 + 2.0 / (2 * Z95), abs=1e-5)}


def test_a_share_near_one_is_moved_down() -> None:
    e = Estimate("company.lead_sources.outbound", 0.99, 0.9, 1.0, DIRECT, "m", 100)
    (h,) = held_fields([e])
    assert h.moved()["company.lead_sources.outbound"] < 0.99


def test_stage_one_covariance_is_the_outer_product_of_the_moments_move() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(8, 3))
    shift = np.array([0.5, -1.0, 0.0])
    got = stage_one_covariance(base, [base + shift])  # no noise in the move: exactly G1 V1 G1'
    np.testing.assert_allclose(got, np.outer(shift, shift), atol=1e-12)
    two = stage_one_covariance(base, [base + shift, base + 2 * shift])
    np.testing.assert_allclose(two, 5 * np.outer(shift, shift), atol=1e-12)


def test_a_move_that_is_only_noise_adds_next_to_nothing() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(size=(400, 2))
    noise = [base + rng.normal(scale=0.5, size=base.shape) for _ in range(5)]
    got = stage_one_covariance(base, noise)
    assert np.all(np.linalg.eigvalsh(got) >= -1e-12)  # positive semi-definite
    assert np.max(np.abs(got)) < 0.01  # the noise's own share (0.25 / 400 per field) is taken out
    naive = sum(np.outer(d, d) for d in ((m - base).mean(axis=0) for m in noise))
    assert np.trace(got) <= np.trace(naive)


def test_the_sandwich_gains_the_two_step_term() -> None:
    G = np.array([[2.0]])
    S = np.array([[0.04]])
    extra = np.array([[0.09]])
    base = sandwich(G, S, [0], [], 1, np.ones(0), 4, 2.0)
    both = sandwich(G, S, [0], [], 1, np.ones(0), 4, 2.0, stage_one=extra)
    assert base.se[0] ** 2 == pytest.approx(1.25 * 0.04 / 4)
    assert both.se[0] ** 2 == pytest.approx((1.25 * 0.04 + 0.09) / 4)


@pytest.mark.parametrize(
    ("x", "n"),
    [([5.0, 5.0, 5.0, 5.0], 4.0), ([1.0, 0.0, 0.0], 1.0), ([], 0.0), ([3.0, 1.0], 16 / 10)],
)
def test_effective_events(x: list[float], n: float) -> None:
    assert effective_events(np.array(x)) == pytest.approx(n)
