"""Monte Carlo experiments: replications of every plan, common random numbers, paired statistics.

Modules: ``runner`` (precision loop, checkpoints, resume), ``backends`` (serial, process, dask),
``tasks`` (what a worker runs), ``stats`` (t-intervals, paired differences, Bonferroni),
``results`` (Results, atomic folder writer and reader), ``progress``, ``summary``.
Nothing is imported here so that worker processes stay light.
"""
