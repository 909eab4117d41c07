"""Imported by the process backend's fork server: compiles every kernel there (``sim.warm``), so
the workers forked from it start with compiled code."""

from sim.warm import compile_kernels

compile_kernels()
