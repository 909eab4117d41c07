"""What the commands share on the command line: exit codes, whole-number arguments, where the
replications run (``--workers``, ``--backend``, ``--scheduler``) and the output folder (``--out``,
``--resume``, ``--force``, ``--quiet``), with the one-line problems those options can have."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


def positive_int(text: str) -> int:
    """An argument that must be a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {value}")
    return value


def replication_count(text: str) -> int:
    """Replications per plan: a whole number of at least 2 (a t-interval needs two)."""
    from sim.scenario.experiment import replications_problem

    value = positive_int(text)
    problem = replications_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def non_negative_int(text: str) -> int:
    """An argument that must be a whole number of at least 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, found {value}")
    return value


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    """``--workers``, ``--backend``, ``--scheduler``: where the replications run."""
    p.add_argument(
        "--workers", type=positive_int, metavar="N", help="worker processes (default: one per core)"
    )
    p.add_argument(
        "--backend",
        choices=("process", "serial", "dask"),
        default="process",
        help="where replications run (default: process)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler to join, e.g. tcp://host:8786 (with --backend dask)",
    )


def add_folder_arguments(
    p: argparse.ArgumentParser, out_help: str, what: str, required: bool = False
) -> None:
    """``--out`` (``out_help``; ``required`` or not), ``--resume`` (of an interrupted ``what``),
    ``--force`` and ``--quiet``."""
    p.add_argument("--out", metavar="DIR", required=required, help=out_help)
    p.add_argument(
        "--resume",
        action="store_true",
        help=f"continue an interrupted {what} in --out DIR; recomputes nothing already done",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="start over in an existing --out DIR that is not empty (what an earlier run left there, "
        "checkpoints included, is removed)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")


def start_backend_early(args: argparse.Namespace) -> None:
    """With ``--backend process``, start its fork server before the scenario is read, so that the
    two overlap (the server is reused when the run starts)."""
    if args.backend == "process":
        from sim.experiment.backends import start_fork_server

        start_fork_server()


def check_backend_arguments(args: argparse.Namespace, command: str, out_known: bool = False) -> str | None:
    """The one-line problem with ``--scheduler``, ``--resume`` or ``--force``, or None. ``out_known``:
    the folder is known without ``--out`` (a scenario's ``output.dir``)."""
    if args.scheduler and args.backend != "dask":
        return f"error: {command}: --scheduler: only used with --backend dask"
    if args.resume and not (args.out or out_known):
        return f"error: {command}: --resume: needs --out DIR (the folder to resume)"
    if args.resume and args.force:
        return f"error: {command}: --force: cannot be used with --resume"
    return None


def default_out(name: str, command: str) -> Path:
    """``runs/<scenario>-<command>-<UTC timestamp>`` (the name made a safe path component)."""
    from sim.safetext import path_component

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("runs") / f"{path_component(name)}-{command}-{stamp}"
