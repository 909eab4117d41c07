"""Calibration to a company's own history: CRM exports in, a calibrated scenario and its fit out.

    from sim.calibrate import calibrate
    cal = calibrate("opportunities.csv", "accounts.csv", scenario, "people.csv", out="calibration/")
    cal.estimates_table()   # every field, its 95% interval, how it was estimated, identified or not
    cal.fit_table()         # every moment: observed, simulated, intervals
    cal.scenario            # the calibrated scenario (also calibration/calibrated.yaml)

Stage 1 (:mod:`sim.calibrate.stage1`) reads fields off the exports; stage 2
(:mod:`sim.calibrate.fit`) simulates the company under its current plan and matches world fields
to their statistics and behaviour fields to the behaviour moments (simulated method of moments).
``docs/calibrate.md`` describes the inputs, the estimators and what is identified.
"""

from sim.calibrate.fit import Settings
from sim.calibrate.run import Calibration, calibrate

__all__ = ["Calibration", "Settings", "calibrate"]
