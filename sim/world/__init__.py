"""The simulated company: one replication's world (SimPy agents + a numpy customer book).

``World`` (``sim.world.model``) wires the components; ``sim.replication.simulate`` runs one
replication of one plan and returns its metrics (:class:`sim.result.ReplicationResult`)::

    from sim.policy import NeutralPolicy
    from sim.replication import simulate
    result = simulate(scenario, "conventional", replication=0, policy=NeutralPolicy())
"""
