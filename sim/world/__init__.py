"""The simulated company: one replication's world (SimPy agents + a numpy customer book).

``World`` wires the components; ``sim.replication.simulate`` runs one replication of one plan
and returns its metrics::

    from sim.replication import simulate
    from sim.world import NeutralPolicy
    result = simulate(scenario, "conventional", replication=0, policy=NeutralPolicy())
"""

from sim.world.neutral import NeutralPolicy
from sim.world.result import ReplicationResult

__all__ = ["NeutralPolicy", "ReplicationResult"]
