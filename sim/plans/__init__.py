"""Compensation plans: the pure payout engine and the back-test.

``sim.plans`` knows nothing of SimPy or the world: it turns ledger events and a plan design
into payout lines, incrementally (:class:`PayState`) or over a whole ledger
(:func:`compute_payouts`).
"""

from sim.plans.engine import PayoutLine, Payouts, PayState, compute_payouts, payouts_from_state

__all__ = ["PayState", "PayoutLine", "Payouts", "compute_payouts", "payouts_from_state"]
