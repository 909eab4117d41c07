"""Exploration: drive the experiment layer over many points of a scenario.

* :mod:`sim.explore.points`: the point runner. Scenario variants (points) x plans x replications
  on the experiment backends, with common random numbers (replication ``k`` uses the same seeds at
  every point and for every plan), checkpoints and resume.
* :mod:`sim.explore.sensitivity`: global sensitivity over the scenario's ``uncertainties:`` (SALib's
  Morris and Sobol), and how robust the choice of plan is (probability best, PRIM flip regions).
* :mod:`sim.explore.optimise`: search a plan's ``levers:`` under a budget (Optuna), confirmed on
  fresh replications.

Nothing here reaches into the world: a point is a validated scenario, a replication is the
experiment layer's ``replicate(scenario, plan, k)``. SALib, ema_workbench and Optuna are the
``explore`` extra, imported only when a command needs them.
"""
