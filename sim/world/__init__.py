"""The simulated company: one replication of one plan (SimPy agents + a numpy customer book).

Public API::

    from sim.world import simulate, NeutralPolicy
    result = simulate(scenario, "conventional", replication=0, policy=NeutralPolicy())
"""

from sim.world.model import simulate
from sim.world.neutral import NeutralPolicy
from sim.world.result import ReplicationResult

__all__ = ["NeutralPolicy", "ReplicationResult", "simulate"]
