"""The ``incentsim`` command line.

Exit codes: 0 success, 1 runtime failure, 2 invalid input (one ``error:`` line per problem).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from sim._version import __version__
from sim.commands.options import EXIT_FAILURE, EXIT_INVALID, EXIT_OK
from sim.safetext import safe_text
from sim.scenario import ScenarioError, load_scenario, parse_set
from sim.source_date import source_date_epoch

EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds exactly like Ctrl-C: a run marks its
    folder ``interrupted`` (resumable), worker pools shut down, the folder lock is released."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in the project's one-line format, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"error: {self.prog}: (arguments): {message}\n")
        raise SystemExit(EXIT_INVALID)


def _cmd_validate(args: argparse.Namespace) -> int:
    failed = False
    for file in args.files:
        try:
            scenario = load_scenario(file, args.set or None)
        except ScenarioError as exc:
            failed = True
            for problem in exc.problems:
                print(problem.line(), file=sys.stderr)
            continue
        if not args.quiet:
            print(f"ok: {safe_text(file)}: {safe_text(scenario.name)} ({len(scenario.plans)} plans)")
    return EXIT_INVALID if failed else EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario.docs import json_schema

    print(json.dumps(json_schema(), indent=args.indent))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = _Parser(
        prog="incentsim",
        description="Simulate how compensation plans change behaviour, retention and revenue.",
    )
    parser.add_argument("--version", action="version", version=f"incentsim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for failures (developers)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    p.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a field, e.g. --set experiment.seed=7 (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing when files are valid")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of a scenario file")
    p.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")
    p.set_defaults(func=_cmd_schema)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []
"""Later modules (run, backtest, report) add their subcommands here."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``incentsim`` console script."""
    _load_extra_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_INVALID
    try:  # numpy parses it too, on import, and would fail with a bare ValueError
        source_date_epoch()
    except ValueError as exc:
        print(f"error: {parser.prog}: ${safe_text(exc)}", file=sys.stderr)
        return EXIT_INVALID
    if getattr(args, "set", None):
        try:
            parse_set(args.set)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(problem.line(), file=sys.stderr)
            return EXIT_INVALID
    previous = _install_sigterm()
    try:
        code: int = args.func(args)
        return code
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem.line(), file=sys.stderr)
        return EXIT_INVALID
    except Terminated:
        print("error: terminated (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - top-level contract: report, exit 1
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"error: {type(exc).__name__}: {safe_text(exc)} (rerun with --debug for a traceback)",
                file=sys.stderr,
            )
        return EXIT_FAILURE
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _install_sigterm() -> Any:
    """Handle SIGTERM like Ctrl-C while a command runs (main thread only); the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def _load_extra_commands() -> None:
    """Import the modules that register further subcommands (once)."""
    if _EXTRA_COMMANDS:
        return
    import importlib

    for module in ("sim.commands",):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        _EXTRA_COMMANDS.extend(getattr(mod, "COMMANDS", []))
