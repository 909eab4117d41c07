"""Simulation time: the fiscal calendar (:mod:`sim.time.calendar`) and the working-day calendar
(:mod:`sim.time.workdays`) built from ``company.working_days`` (:mod:`sim.scenario.working_days`).
"""
